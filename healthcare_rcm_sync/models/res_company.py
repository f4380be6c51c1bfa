from datetime import timedelta

from odoo import Command, api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError

#: Posting settings: key -> (company field, what a person calls it). Handlers ask for the
#: keys they need with ``company._hc_rcm_settings(keys)``.
RCM_SETTINGS = {
    "journal": ("hc_rcm_journal_id", "Revenue cycle journal"),
    "payment_journal": ("hc_rcm_payment_journal_id", "Payer payments journal"),
    "insurance_receivable": ("hc_rcm_insurance_receivable_account_id", "Insurance receivable"),
    "patient_receivable": ("hc_rcm_patient_receivable_account_id", "Patient receivable"),
    "allowance": ("hc_rcm_allowance_account_id", "Contractual allowance"),
    "allowance_reserve": (
        "hc_rcm_allowance_reserve_account_id",
        "Contractual allowance reserve",
    ),
    "denial": ("hc_rcm_denial_account_id", "Denials and claim write-offs"),
    "collections_receivable": (
        "hc_rcm_collections_receivable_account_id",
        "Collections receivable",
    ),
    "interest": ("hc_rcm_interest_account_id", "Payer interest"),
    "recoupment": ("hc_rcm_recoupment_account_id", "Payer recoupments and offsets"),
    "writeoff_bad_debt": ("hc_rcm_writeoff_bad_debt_account_id", "Bad debt write-offs"),
    "writeoff_charity": ("hc_rcm_writeoff_charity_account_id", "Charity care write-offs"),
    "writeoff_small_balance": (
        "hc_rcm_writeoff_small_balance_account_id",
        "Small balance write-offs",
    ),
    "writeoff_administrative": (
        "hc_rcm_writeoff_administrative_account_id",
        "Administrative write-offs",
    ),
}
#: What ``_hc_rcm_setup_accounting`` creates when missing: key -> (code, name, type, reconcile).
DEFAULT_ACCOUNTS = {
    "insurance_receivable": ("121100", "Insurance receivable", "asset_receivable", True),
    "patient_receivable": ("121200", "Patient receivable", "asset_receivable", True),
    "allowance": ("410100", "Contractual allowances", "income", False),
    "allowance_reserve": (
        "129100",
        "Contractual allowance reserve",
        "asset_current",
        True,
    ),
    "denial": ("410200", "Denials and claim write-offs", "income", False),
    "collections_receivable": (
        "121300",
        "Collections receivable",
        "asset_receivable",
        True,
    ),
    "interest": ("420100", "Interest received from payers", "income_other", False),
    "recoupment": ("218100", "Payer recoupments and offsets", "liability_current", True),
    "forward_balance": ("218200", "Payer forward balances", "liability_current", True),
    "writeoff_bad_debt": ("650100", "Bad debt", "expense", False),
    "writeoff_charity": ("650200", "Charity care", "expense", False),
    "writeoff_small_balance": ("650300", "Small balance write-offs", "expense", False),
    "writeoff_administrative": ("650400", "Administrative write-offs", "expense", False),
}


class ResCompany(models.Model):
    """Revenue-cycle posting configuration, per company (see Settings › Integrations)."""

    _inherit = "res.company"

    hc_rcm_journal_id = fields.Many2one(
        "account.journal",
        string="Revenue cycle journal",
        help="Journal of billing summaries, remittance adjustments, denial write-offs and "
        "write-offs.",
    )
    hc_rcm_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payer payments journal",
        help="Bank journal receiving payer payments (835 and cash postings); its bank "
        "statements are reconciled with the payments by trace number.",
    )
    hc_rcm_insurance_receivable_account_id = fields.Many2one(
        "account.account", string="Insurance receivable"
    )
    hc_rcm_patient_receivable_account_id = fields.Many2one(
        "account.account", string="Patient receivable"
    )
    hc_rcm_allowance_account_id = fields.Many2one(
        "account.account",
        string="Contractual allowance",
        help="Contractual (CO) and payer-initiated (PI) adjustments.",
    )
    hc_rcm_allowance_policy = fields.Selection(
        [("remittance", "At remittance"), ("estimated", "Estimated at billing")],
        string="Contractual allowances",
        default="remittance",
        required=True,
        help="At remittance: billing posts gross charges, the 835 books the contractual "
        "adjustments. Estimated at billing: billing books the estimate to the allowance "
        "reserve, the 835 applies the actual contractual against it and books only the "
        "difference. Either way the allowance ends equal to the payers' contractual total.",
    )
    hc_rcm_allowance_reserve_account_id = fields.Many2one(
        "account.account",
        string="Contractual allowance reserve",
        help="Estimated contractual allowances of billed, not yet remitted claims, per payer "
        "(reconcilable: the 835 applications are matched with the billing estimates).",
    )
    hc_rcm_lock_date_policy = fields.Selection(
        [("exception", "Period locked exception"), ("first_open", "Post at the first open date")],
        string="Postings into a locked period",
        default="exception",
        required=True,
        help="A billing summary, remittance or cash posting dated in a locked period: either "
        "it waits as a 'Period locked' exception for finance, or the payment and all its "
        "entries are dated at the first open date (always the same date on all of them).",
    )
    hc_rcm_collections_policy = fields.Selection(
        [("receivable", "Collections receivable"), ("bad_debt", "Write off to bad debt")],
        string="Balances placed with agencies",
        default="receivable",
        required=True,
        help="collections.placed: the patient balance moves to the collections receivable "
        "(partner = the agency), or is written off to bad debt. collections.recovered then "
        "clears the collections receivable, or reduces bad debt.",
    )
    hc_rcm_collections_receivable_account_id = fields.Many2one(
        "account.account", string="Collections receivable"
    )
    hc_rcm_reassociation_days = fields.Integer(
        string="Days to match deposits and remittances",
        default=3,
        help="An 835 whose payment has no matching bank deposit after this many days, and a "
        "deposit with a trace-like reference and no 835 after this many days, raise an "
        "integration alert (cleared when they are matched).",
    )
    hc_rcm_denial_account_id = fields.Many2one(
        "account.account",
        string="Denials and claim write-offs",
        help="Other adjustments (OA) and denied claims a person decided to write off.",
    )
    hc_rcm_interest_account_id = fields.Many2one(
        "account.account", string="Payer interest", help="Provider-level interest (PLB L6)."
    )
    hc_rcm_recoupment_account_id = fields.Many2one(
        "account.account",
        string="Payer recoupments",
        help="Provider-level adjustments other than interest: overpayment recoveries (WO), "
        "offsets, withholdings…",
    )
    hc_rcm_forward_balance_account_id = fields.Many2one(
        "account.account",
        string="Payer forward balances",
        help="Forward balances (PLB FB) a payer carries to a later remittance; a "
        "reconcilable account lets Odoo match a deferral with its recovery. Empty: the "
        "recoupment account.",
    )
    hc_rcm_writeoff_bad_debt_account_id = fields.Many2one(
        "account.account", string="Bad debt write-offs"
    )
    hc_rcm_writeoff_charity_account_id = fields.Many2one(
        "account.account", string="Charity care write-offs"
    )
    hc_rcm_writeoff_small_balance_account_id = fields.Many2one(
        "account.account", string="Small balance write-offs"
    )
    hc_rcm_writeoff_administrative_account_id = fields.Many2one(
        "account.account", string="Administrative write-offs"
    )
    hc_rcm_inbound_folder = fields.Char(
        string="835 inbound folder",
        help="Server folder where 835 files are dropped; a scheduled action queues them and "
        "moves them to its processed/ or error/ subfolder.",
    )
    hc_rcm_inbound_flow_id = fields.Many2one(
        "hc.integration.flow",
        string="835 intake flow",
        help="The remittance flow that files from the inbound folder go through.",
    )

    # ------------------------------------------------------------------------------------
    # Reading the configuration
    # ------------------------------------------------------------------------------------
    def _hc_rcm_settings(self, keys):
        """The configured journals/accounts for ``keys`` (see :data:`RCM_SETTINGS`) as a
        dict. Missing settings raise a :class:`BusinessError` that lists them in plain
        words, so the message waits in exception until finance completes the setup."""
        self.ensure_one()
        company = self.sudo()
        values, missing = {}, []
        for key in keys:
            field_name, label = RCM_SETTINGS[key]
            record = company[field_name]
            if not record:
                missing.append(label)
            values[key] = record
        if missing:
            raise BusinessError(
                self.env._(
                    "Revenue-cycle posting is not configured for %(company)s: set %(missing)s "
                    "in Settings › Integrations › Revenue cycle, then retry.",
                    company=self.name,
                    missing=", ".join(missing),
                )
            )
        return values

    def _hc_rcm_posting_date(self, date, journals):
        """The one date the postings of an event dated ``date`` go on: ``date`` itself when
        its period is open on ``journals``; else, per the company's policy, the first open
        date or a *Period locked* business error (nothing posted)."""
        self.ensure_one()
        company = self.sudo()
        locks = [
            lock
            for journal in journals
            for lock, _field in company._get_violated_lock_dates(date, False, journal)
        ]
        if not locks:
            return date
        lock = max(locks)
        if company.hc_rcm_lock_date_policy == "first_open":
            return lock + timedelta(days=1)
        raise BusinessError(
            self.env._(
                "Period locked: %(company)s's books are locked until %(lock)s, and this event "
                "would post on %(date)s; nothing was posted. Reopen the period, or choose "
                "'Post at the first open date' in Settings › Integrations › Revenue cycle "
                "posting, then retry.",
                company=company.name,
                lock=lock,
                date=date,
            )
        )

    def _hc_rcm_forward_balance_account(self):
        self.ensure_one()
        company = self.sudo()
        return company.hc_rcm_forward_balance_account_id or company.hc_rcm_recoupment_account_id

    def _hc_rcm_writeoff_account(self, category):
        """The account of a write-off category (bad_debt, charity, …); raises when unset."""
        return self._hc_rcm_settings([f"writeoff_{category}"])[f"writeoff_{category}"]

    # ------------------------------------------------------------------------------------
    # One-click setup
    # ------------------------------------------------------------------------------------
    def _hc_rcm_setup_accounting(self):
        """Fill the missing revenue-cycle settings with default accounts and journals.

        Existing settings are kept. Accounts get the first free code from the defaults
        (e.g. 121100); the payer payments journal is the company's first bank journal (the
        one its bank statements arrive in), created only when there is none.
        """
        for company in self.sudo():
            values = {}
            for key, defaults in DEFAULT_ACCOUNTS.items():
                field_name = (
                    "hc_rcm_forward_balance_account_id"
                    if key == "forward_balance"
                    else RCM_SETTINGS[key][0]
                )
                if not company[field_name]:
                    values[field_name] = company._hc_rcm_default_account(*defaults).id
            if not company.hc_rcm_journal_id:
                values["hc_rcm_journal_id"] = company._hc_rcm_default_journal(
                    [("code", "=", "RCM")], "Revenue Cycle", "RCM", "general"
                ).id
            if not company.hc_rcm_payment_journal_id:
                values["hc_rcm_payment_journal_id"] = company._hc_rcm_default_journal(
                    [("type", "=", "bank")], "Payer Remittances", "RMT", "bank"
                ).id
            if values:
                company.write(values)
        return True

    def _hc_rcm_default_account(self, code, name, account_type, reconcile):
        """The company's account named ``name``, created with the first free code from
        ``code`` when there is none."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        return Account.search(
            [("name", "=", name), ("company_ids", "in", self.id)], limit=1
        ) or Account.create(
            {
                "name": name,
                "code": self._hc_rcm_free_account_code(code),
                "account_type": account_type,
                "reconcile": reconcile,
                "company_ids": [Command.link(self.id)],
            }
        )

    def _hc_rcm_default_journal(self, domain, name, code, journal_type):
        """The company's first journal matching ``domain``, else a new one."""
        self.ensure_one()
        Journal = self.env["account.journal"].sudo()
        return Journal.search(domain + [("company_id", "=", self.id)], limit=1) or Journal.create(
            {"name": name, "code": code, "type": journal_type, "company_id": self.id}
        )

    def _hc_rcm_free_account_code(self, code):
        """``code`` or the next free number after it in this company's chart."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        candidate = int(code)
        while Account.search_count(
            [("code", "=", str(candidate)), ("company_ids", "in", self.id)], limit=1
        ):
            candidate += 1
        return str(candidate)

    @api.model
    def _hc_rcm_demo_setup(self):
        """Demo data: the main company gets a chart of accounts (generic when it has
        none) and the revenue-cycle accounts and journals."""
        company = self.env.ref("base.main_company")
        if not company.chart_template:
            self.env["account.chart.template"].try_loading(
                "generic_coa", company=company, install_demo=False
            )
        company._hc_rcm_setup_accounting()
        return True
