"""A leaver's open work in the apps that are installed (expense reports, purchase orders)
is listed in the leaver exception and handed to their manager in one audited action."""

from unittest import SkipTest

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestLeaverOpenWork(HrSyncCase):
    def setUp(self):
        super().setUp()
        if "hr.expense.sheet" not in self.env or "purchase.order" not in self.env:
            raise SkipTest("needs hr_expense and purchase (make test installs them)")
        self.upsert_flow.hr_provision_users = True
        self.send_and_process("employee_upsert", self.upsert_event("E800", job_code="CLERK"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E801", job_code="CLERK", manager_external_id="E800"),
        )
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E802", job_code="CLERK", manager_external_id="E801"),
        )
        self.boss, self.leaver, self.report = (self.employee(x) for x in ("E800", "E801", "E802"))
        self.leaver_user = self.leaver.user_id
        self.sheet = self._submitted_expense_sheet()
        vendor = self.env["res.partner"].create({"name": "Supplies Inc."})
        self.order = self.env["purchase.order"].create(
            {"partner_id": vendor.id, "user_id": self.leaver_user.id}
        )

    def _submitted_expense_sheet(self):
        product = self.env["product.product"].create(
            {"name": "Taxi", "can_be_expensed": True, "standard_price": 20}
        )
        self.leaver_user.groups_id |= self.env.ref("hr_expense.group_hr_expense_team_approver")
        self.report.sudo().expense_manager_id = self.leaver_user
        expense = self.env["hr.expense"].create(
            {
                "name": "Taxi",
                "employee_id": self.report.id,
                "product_id": product.id,
                "total_amount_currency": 20,
            }
        )
        sheet = self.env["hr.expense.sheet"].create(
            {
                "name": "Trip",
                "employee_id": self.report.id,
                "expense_line_ids": [(6, 0, expense.ids)],
            }
        )
        sheet.action_submit_sheet()
        self.assertEqual(sheet.state, "submit")
        self.assertEqual(sheet.user_id, self.leaver_user)
        return sheet

    def terminate(self):
        message = self.send_and_process(
            "employee_terminate", self.terminate_event("E801", self.now().date(), immediate=True)
        )
        return message.exception_ids.filtered(lambda e: e.hc_hr_kind == "leaver_followup")

    def test_open_work_is_listed_in_the_leaver_exception(self):
        exception = self.terminate()
        self.assertIn("1 expense reports to approve", exception.description)
        self.assertIn("1 purchase orders awaiting their approval", exception.description)

    def test_hand_to_manager_moves_the_work_audited(self):
        exception = self.terminate()
        exception.with_user(self.hr_resolver).action_hc_hr_hand_to_manager()
        boss_user = self.boss.user_id
        self.assertEqual(self.sheet.user_id, boss_user)
        self.assertEqual(self.order.user_id, boss_user)
        self.assertEqual(exception.state, "resolved")
        self.assertTrue(self.audits("hr.leaver.handover", self.leaver))

    def test_no_manager_user_is_refused(self):
        exception = self.terminate()
        self.boss.user_id.sudo().active = False
        self.boss.sudo()._hc_hr_sync_env().user_id = False
        with self.assertRaises(UserError):
            exception.with_user(self.hr_resolver).action_hc_hr_hand_to_manager()
        self.assertEqual(exception.state, "open")
