import unittest
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestExceptionResolutionTour(HttpCase):
    """The main resolution path in a real browser (Chromium), as a resolver user."""

    def browser_js(self, *args, **kwargs):
        """Odoo skips a browser test when it cannot find or reach Chromium; here that is a
        failure, so that a CI without a browser cannot report the tour as passed."""
        try:
            return super().browser_js(*args, **kwargs)
        except unittest.SkipTest as skipped:
            self.fail(f"The browser tour could not run ({skipped}); install Chromium.")

    def test_missing_chromium_fails_the_tour_instead_of_skipping_it(self):
        def no_chrome():
            raise unittest.SkipTest("Chrome executable not found")

        with patch("odoo.tests.common._find_executable", no_chrome):
            try:
                self.start_tour("/odoo", "hc_exception_mapping_tour", login="admin")
            except unittest.SkipTest:
                self.fail("a missing Chromium skipped the tour instead of failing it")
            except AssertionError as failure:
                self.assertIn("could not run", str(failure))
            else:
                self.fail("the tour reported success without a browser")

    def test_missing_mapping_resolved_from_the_exceptions_menu(self):
        backend = self.env["hc.integration.backend"].create(
            {"name": "Tour HRIS", "code": "tour_hris"}
        )
        flow = self.env["hc.integration.flow"].create(
            {
                "name": "Tour contacts",
                "code": "contacts",
                "backend_id": backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
            }
        )
        category = self.env["res.partner.category"].create({"name": "Orthopaedics"})
        message, status = self.env["hc.integration.message"]._hc_enqueue(
            flow,
            {"contact": {"external_id": "T1", "name": "Tour contact", "category_code": "ORTHO"}},
            external_id="evt-tour-ortho",
        )
        self.assertEqual(status, "created")
        processor = self.env["hc.integration.processor"]
        processor._cron_process_queue()
        self.assertEqual(message.state, "exception")
        new_test_user(
            self.env,
            login="hc_tour_resolver",
            groups="base.group_user,healthcare_integration_base.group_integration_user",
        )

        self.start_tour("/odoo", "hc_exception_mapping_tour", login="hc_tour_resolver")

        mapping = self.env["hc.integration.mapping"].search([("external_code", "=", "ORTHO")])
        self.assertEqual((mapping.state, mapping.target_ref), ("mapped", category))
        self.assertEqual(message.state, "pending", "mapping the value re-queued the message")
        processor._cron_process_queue()
        self.assertEqual(message.state, "done")
        partner = self.env["hc.integration.binding"]._find_record(
            backend, "contact", "T1", "res.partner"
        )
        self.assertIn(category, partner.category_id)

        self.start_tour("/odoo", "hc_message_done_tour", login="hc_tour_resolver")
