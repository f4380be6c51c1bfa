import xmlrpc.client

from odoo.tests import get_db_name, new_test_user, tagged
from odoo.tools import mute_logger

from .http_common import HrWebhookCase


@tagged("post_install", "-at_install")
class TestPayrollOverHttp(HrWebhookCase):
    """Payroll journals over real sockets: the signed webhook, and who may read the amounts
    (XML-RPC as each user, as any client would call)."""

    backend_code = "pay_http"
    backend_type = "payroll"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company._hc_hr_payroll_setup_accounting()
        Account = cls.env["account.account"]
        cls.salaries = Account.create(
            {"code": "619901", "name": "Salaries (http)", "account_type": "expense"}
        )
        cls.withholding = Account.create(
            {"code": "239901", "name": "Withholding (http)", "account_type": "liability_current"}
        )
        cls.env["hc.integration.mapping"].create(
            [
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": "earning_code",
                    "external_code": code,
                    "target_ref": f"account.account,{account.id}",
                }
                for code, account in (("REG", cls.salaries), ("FIT", cls.withholding))
            ]
        )
        users = {
            "pay_ordinary": "base.group_user",
            "pay_hr_resolver": "healthcare_hr_sync.group_hr_resolver",
            "pay_resolver": "healthcare_hr_sync.group_payroll_resolver",
            "pay_accountant": "account.group_account_readonly",
        }
        cls.users = {
            login: new_test_user(cls.env, login=login, groups=groups)
            for login, groups in users.items()
        }

    def run_event(self, net_pay="5234.56", **line_extra):
        return {
            "event_type": "payroll.journal",
            "schema_version": "1.0",
            "occurred_at": "2025-07-13T02:00:00Z",
            "pay_period_id": "PP-HTTP",
            "period_start": "2025-06-29",
            "period_end": "2025-07-12",
            "currency": self.company.currency_id.name,
            "lines": [
                dict({"type": "earning", "code": "REG", "amount": "6234.56"}, **line_extra),
                {"type": "deduction", "code": "FIT", "amount": 1000},
            ],
            "control_totals": {
                "earnings": "6234.56",
                "deductions": "1000.00",
                "employer_contributions": "0",
                "net_pay": net_pay,
            },
        }

    def rpc(self, login, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            get_db_name(), self.users[login].id, login, model, method, list(args), kwargs
        )

    def post_a_run(self):
        response = self.post("payroll_journal", self.run_event())
        self.assertEqual(response.status_code, 202, response.text)
        self.env["hc.integration.processor"]._cron_process_queue()
        journal = self.env["hc.hr.payroll.journal"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(journal.move_id.state, "posted")
        return journal

    def test_a_signed_pay_run_posts_and_bad_ones_are_422(self):
        mismatch = self.post("payroll_journal", self.run_event(net_pay="5234.55"))
        self.assertEqual(mismatch.status_code, 422)
        self.assertIn("/control_totals/net_pay", mismatch.text)
        self.assertNotIn("5234", mismatch.text, "no pay figure echoed")
        per_employee = self.post("payroll_journal", self.run_event(employee_external_id="HR-1001"))
        self.assertEqual(per_employee.status_code, 422)
        self.assertIn("/lines/0", per_employee.text)
        self.assertNotIn("HR-1001", per_employee.text)
        journal = self.post_a_run()
        self.assertEqual(journal.net_pay_total, 5234.56)
        self.assertEqual(
            self.env["hc.hr.payroll.journal"].search_count([("backend_id", "=", self.backend.id)]),
            1,
            "the refused deliveries posted nothing",
        )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.http")
    def test_only_payroll_readers_read_the_amounts(self):
        journal = self.post_a_run()
        line_ids = journal.move_id.line_ids.ids
        for login in ("pay_ordinary", "pay_hr_resolver"):
            with self.assertRaises(xmlrpc.client.Fault, msg=login) as caught:
                self.rpc(login, "hc.hr.payroll.journal", "read", [journal.id], ["net_pay_total"])
            self.assertIn("not allowed to access 'Payroll journal'", caught.exception.faultString)
            with self.assertRaises(xmlrpc.client.Fault, msg=login):
                self.rpc(login, "account.move.line", "read", line_ids, ["balance"])
            with self.assertRaises(xmlrpc.client.Fault, msg=login):
                self.rpc(login, "hc.hr.payroll.journal", "search_read", [], ["earnings_total"])
        # the HR resolver does not even see the payroll flow's messages
        self.assertEqual(
            self.rpc(
                "pay_hr_resolver",
                "hc.integration.message",
                "search_count",
                [("flow_id.code", "=", "payroll_journal")],
            ),
            0,
        )
        for login in ("pay_resolver", "pay_accountant"):
            rows = self.rpc(login, "hc.hr.payroll.journal", "read", [journal.id], ["net_pay_total"])
            self.assertEqual(rows[0]["net_pay_total"], 5234.56, login)
        self.assertEqual(
            self.rpc(
                "pay_resolver",
                "hc.integration.message",
                "search_count",
                [("flow_id.code", "=", "payroll_journal")],
            ),
            1,
        )
        # the payroll resolver resolves the flow; the ledger stays the accountants'
        with self.assertRaises(xmlrpc.client.Fault):
            self.rpc("pay_resolver", "account.move.line", "read", line_ids, ["balance"])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.http")
    def test_nobody_edits_a_payroll_journal(self):
        journal = self.post_a_run()
        for login in ("pay_resolver", "pay_accountant"):
            with self.assertRaises(xmlrpc.client.Fault, msg=login):
                self.rpc(
                    login, "hc.hr.payroll.journal", "write", [journal.id], {"net_pay_total": 1}
                )
            with self.assertRaises(xmlrpc.client.Fault, msg=login):
                self.rpc(login, "hc.hr.payroll.journal", "unlink", [journal.id])
        self.assertEqual(journal.net_pay_total, 5234.56)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.http")
    def test_payroll_codes_are_mapped_by_payroll_resolvers_only(self):
        domain = [("mapping_type", "=", "earning_code"), ("backend_id", "=", self.backend.id)]
        self.assertEqual(
            self.rpc("pay_hr_resolver", "hc.integration.mapping", "search_count", domain), 0
        )
        self.assertEqual(
            self.rpc("pay_resolver", "hc.integration.mapping", "search_count", domain), 2
        )
        self.assertEqual(
            self.rpc(
                "pay_resolver",
                "hc.integration.mapping",
                "search_count",
                [("mapping_type", "=", "department")],
            ),
            0,
        )
        # the chart stays closed to them: they pick accounts, they do not create them
        with self.assertRaises(xmlrpc.client.Fault):
            self.rpc(
                "pay_resolver",
                "account.account",
                "create",
                {"code": "619999", "name": "Nope", "company_ids": [(4, self.company.id)]},
            )
