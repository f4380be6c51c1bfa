from odoo import Command, api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError

#: What ``_hc_hr_payroll_setup_accounting`` creates when missing:
#: company field -> (code, name, account type).
DEFAULT_PAYROLL_ACCOUNTS = {
    "hc_hr_payroll_net_pay_account_id": ("230100", "Net pay payable", "liability_current"),
    "hc_hr_payroll_contribution_account_id": (
        "230200",
        "Employer contributions payable",
        "liability_current",
    ),
}


#: Demo payroll codes: code -> (label, (account code, name, type), liability account code).
DEMO_PAYROLL_CODES = {
    "REG": ("Regular pay", ("630000", "Salary Expenses", "expense"), None),
    "OT": ("Overtime", ("630000", "Salary Expenses", "expense"), None),
    "FIT": ("Income tax withheld", ("230100", "Employee Payroll Taxes", "liability_current"), None),
    "FICA_EE": (
        "Employee social security",
        ("230100", "Employee Payroll Taxes", "liability_current"),
        None,
    ),
    "FICA_ER": (
        "Employer social security",
        ("630100", "Employer payroll taxes", "expense"),
        ("230200", "Employer Payroll Taxes", "liability_current"),
    ),
    "MED_ER": ("Employer medical plan", ("630200", "Employee benefits", "expense"), None),
}


class ResCompany(models.Model):
    """Where payroll journals post, per company (Settings › Integrations › Payroll)."""

    _inherit = "res.company"

    hc_hr_payroll_journal_id = fields.Many2one(
        "account.journal",
        string="Payroll journal",
        help="Miscellaneous journal of the entries posted from payroll journal events.",
    )
    hc_hr_payroll_net_pay_account_id = fields.Many2one(
        "account.account",
        string="Net pay payable",
        help="Liability credited with the net pay of each pay run (earnings less "
        "deductions), cleared by the salary payments.",
    )
    hc_hr_payroll_contribution_account_id = fields.Many2one(
        "account.account",
        string="Employer contributions payable",
        help="Liability credited with employer contributions whose payroll code mapping "
        "names no liability account of its own.",
    )

    def _hc_hr_payroll_settings(self):
        """``{"journal", "net_pay", "contribution"}`` of this company; a missing journal or
        net pay account is a business error naming them (the batch waits in exception)."""
        self.ensure_one()
        company = self.sudo()
        settings = {
            "journal": company.hc_hr_payroll_journal_id,
            "net_pay": company.hc_hr_payroll_net_pay_account_id,
            "contribution": company.hc_hr_payroll_contribution_account_id,
        }
        labels = {"journal": self.env._("the payroll journal"), "net_pay": self.env._("Net pay")}
        missing = [label for key, label in labels.items() if not settings[key]]
        if missing:
            raise BusinessError(
                self.env._(
                    "Payroll posting is not configured for %(company)s: set %(missing)s in "
                    "Settings › Integrations › Payroll journals, then retry.",
                    company=company.name,
                    missing=", ".join(missing),
                )
            )
        return settings

    def _hc_hr_payroll_setup_accounting(self):
        """Fill the missing payroll settings: a ``PAY`` miscellaneous journal and the two
        liability accounts (first free code from 230100). Existing settings are kept."""
        Account = self.env["account.account"].sudo()
        Journal = self.env["account.journal"].sudo()
        for company in self.sudo():
            values = {}
            for field_name, (code, name, account_type) in DEFAULT_PAYROLL_ACCOUNTS.items():
                if company[field_name]:
                    continue
                accounts = Account.with_company(company)
                taken = set(accounts.search([("company_ids", "in", company.id)]).mapped("code"))
                while code in taken:
                    code = str(int(code) + 1)
                values[field_name] = accounts.create(
                    {
                        "name": name,
                        "code": code,
                        "account_type": account_type,
                        "reconcile": True,
                        "company_ids": [Command.link(company.id)],
                    }
                ).id
            if not company.hc_hr_payroll_journal_id:
                journal = Journal.search(
                    [("code", "=", "PAY"), ("company_id", "=", company.id)], limit=1
                ) or Journal.create(
                    {"name": "Payroll", "code": "PAY", "type": "general", "company_id": company.id}
                )
                values["hc_hr_payroll_journal_id"] = journal.id
            if values:
                company.write(values)
        return True

    @api.model
    def _hc_hr_payroll_demo_setup(self, backend_ids):
        """Demo data: the main company's payroll settings (a chart of accounts first, the
        generic one when it has none) and the demo payroll codes mapped on the backends."""
        company = self.env.ref("base.main_company")
        if not company.chart_template:
            self.env["account.chart.template"].try_loading(
                "generic_coa", company=company, install_demo=False
            )
        company._hc_hr_payroll_setup_accounting()
        Account = self.env["account.account"].sudo().with_company(company)

        def account(code, name, account_type):
            return Account.search(
                [("code", "=", code), ("company_ids", "in", company.id)], limit=1
            ) or Account.create(
                {
                    "code": code,
                    "name": name,
                    "account_type": account_type,
                    "company_ids": [Command.link(company.id)],
                }
            )

        mappings = self.env["hc.integration.mapping"].sudo()
        for backend_id in backend_ids:
            for code, (label, target, liability) in DEMO_PAYROLL_CODES.items():
                if mappings.search_count(
                    [
                        ("backend_id", "=", backend_id),
                        ("mapping_type", "=", "earning_code"),
                        ("external_code", "=", code),
                    ]
                ):
                    continue  # the demo data is loaded again on each update
                mappings.create(
                    {
                        "backend_id": backend_id,
                        "company_id": company.id,
                        "mapping_type": "earning_code",
                        "external_code": code,
                        "label": label,
                        "target_ref": f"account.account,{account(*target).id}",
                        "hc_hr_payroll_liability_account_id": (
                            account(*liability).id if liability else False
                        ),
                    }
                )
        return True
