from urllib.parse import parse_qs, urlsplit

from odoo.tests import tagged

from .common import HrSyncCase, JsonStandIn


@tagged("post_install", "-at_install")
class TestReconciliation(HrSyncCase):
    def setUp(self):
        super().setUp()
        for external_id in ("E700", "E701", "E702"):
            self.send_and_process("employee_upsert", self.upsert_event(external_id))
        self.roster_flow = self.flow["roster_reconciliation"]
        self.roster_flow.pull_page_size = 2

    def roster(self):
        items = [
            self.employee_data("E700"),
            self.employee_data("E701", department_code="ED", work_phone="+1 555 0701"),
            self.employee_data("E703", first_name="Newton"),
            self.employee_data("E704", status="terminated"),
        ]
        # fields outside the contract are dropped by the allow-list
        items[0]["ssn"] = "987-65-4321"
        return items

    def serve(self, items):
        def hris(method, path, headers, body):
            query = parse_qs(urlsplit(path).query)
            start = int((query.get("cursor") or ["0"])[0])
            limit = int((query.get("limit") or ["100"])[0])
            page = items[start : start + limit]
            following = start + limit
            return 200, {
                "employees": page,
                "next_cursor": str(following) if following < len(items) else None,
            }

        return JsonStandIn(hris)

    def test_roster_pull_lists_missing_extra_and_different(self):
        with self.serve(self.roster()) as stand_in:
            self.backend.base_url = stand_in.url
            drift = self.env["hc.hr.handler.roster"]._hc_reconcile(self.roster_flow)
            self.assertEqual(len(stand_in.requests), 2, "paged")
        by_id = {line.external_id: line for line in drift}
        self.assertEqual(set(by_id), {"E701", "E702", "E703"})
        self.assertEqual(by_id["E703"].kind, "missing")
        self.assertEqual(by_id["E702"].kind, "extra")
        self.assertEqual(by_id["E702"].employee_id, self.employee("E702"))
        different = by_id["E701"]
        self.assertEqual(different.kind, "different")
        self.assertIn("Department", different.field_names)
        self.assertIn("Work Phone", different.field_names)
        self.assertIn("Intensive Care (Odoo) ≠ Emergency (HRIS)", different.details)
        self.assertNotIn("987-65-4321", str(drift.mapped("hris_data")))
        self.assertTrue(self.audits("hr.roster.reconciled"))

    def test_reapply_the_hris_version(self):
        with self.serve(self.roster()) as stand_in:
            self.backend.base_url = stand_in.url
            drift = self.env["hc.hr.handler.roster"]._hc_reconcile(self.roster_flow)
        to_fix = drift.filtered(lambda d: d.kind in ("missing", "different"))
        to_fix.with_user(self.hr_resolver).action_reapply()
        self.process()
        self.assertEqual(set(to_fix.mapped("state")), {"resolved"})
        self.assertEqual(self.employee("E701").department_id, self.ed)
        self.assertEqual(self.employee("E703").name, "Newton Nurse E703")
        self.assertTrue(all(line.resolution_message_id.state == "done" for line in to_fix))
        with self.serve(self.roster()) as stand_in:
            self.backend.base_url = stand_in.url
            again = self.env["hc.hr.handler.roster"]._hc_reconcile(self.roster_flow)
        self.assertEqual(again.mapped("external_id"), ["E702"], "only the extra one is left")

    def test_pushed_roster(self):
        message = self.send_and_process(
            "roster_reconciliation",
            self.envelope("hr.roster", employees=self.roster()),
        )
        self.assertEqual(message.state, "done")
        self.assertEqual(
            set(self.env["hc.hr.drift"].search([("state", "=", "open")]).mapped("external_id")),
            {"E701", "E702", "E703"},
        )

    def test_unreachable_hris(self):
        self.backend.base_url = "http://127.0.0.1:9"
        self.assertEqual(self.env["hc.hr.handler.roster"]._cron_reconcile(), 0)
        self.assertIn("could not be reached", self.roster_flow.pull_last_error)
        self.assertFalse(self.env["hc.hr.drift"].search([]), "nothing reported from nothing")
