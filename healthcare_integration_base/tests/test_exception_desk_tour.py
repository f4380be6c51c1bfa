import unittest

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestExceptionDeskTour(HttpCase):
    """A resolver resolves a group of 50 exceptions with one suggested mapping (Chromium)."""

    def start_tour(self, *args, **kwargs):
        # Odoo skips a tour when no browser is found: a skip is not a pass
        try:
            return super().start_tour(*args, **kwargs)
        except unittest.SkipTest as skipped:
            self.fail(f"This tour needs Chromium: {skipped}")

    def test_group_of_fifty_resolved_with_one_suggestion(self):
        backend = self.env["hc.integration.backend"].create(
            {"name": "Desk HRIS", "code": "desk_hris"}
        )
        flow = self.env["hc.integration.flow"].create(
            {
                "name": "Desk contacts",
                "code": "contacts",
                "backend_id": backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
            }
        )
        target = self.env["res.partner.category"].create({"name": "Neonatal Intensive Care"})
        self.env["res.partner.category"].create({"name": "Pharmacy"})
        messages = self.env["hc.integration.message"]
        for index in range(50):
            message, _status = messages._hc_enqueue(
                flow,
                {
                    "contact": {
                        "external_id": f"D{index}",
                        "name": f"Desk contact {index}",
                        "category_code": "NEONATAL",
                    }
                },
                external_id=f"evt-desk-{index}",
            )
            messages |= message
        processor = self.env["hc.integration.processor"]
        while processor._cron_process_queue():
            pass
        self.assertEqual(set(messages.mapped("state")), {"exception"})
        mapping = self.env["hc.integration.mapping"].search([("external_code", "=", "NEONATAL")])
        mapping.label = "Neonatal intensive care"
        resolver = new_test_user(
            self.env,
            login="hc_desk_resolver",
            groups="base.group_user,healthcare_integration_base.group_integration_user",
        )

        self.start_tour("/odoo", "hc_exception_desk_tour", login="hc_desk_resolver")

        self.assertEqual((mapping.state, mapping.target_ref), ("mapped", target))
        self.assertEqual(set(messages.mapped("state")), {"pending"}, "every message re-queued")
        self.assertEqual(set(messages.exception_ids.mapped("state")), {"resolved"})
        accepted = self.env["hc.integration.audit"].search(
            [("action", "=", "mapping.suggestion_accepted")]
        )
        self.assertEqual(accepted.user_id, resolver)
