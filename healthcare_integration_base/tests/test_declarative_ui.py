import shutil

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDeclarativeFlowTour(HttpCase):
    """Issue 14 §1: a declarative flow built and previewed in the form, in Chromium."""

    def test_build_and_preview_a_declarative_flow(self):
        if not any(
            shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
        ):
            self.fail("Chromium is required for the browser tour (not skipped).")
        self.env["hc.integration.backend"].create({"name": "Tour backend", "code": "tour_decl"})
        new_test_user(
            self.env,
            login="hc_tour_decl_mgr",
            groups="base.group_user,healthcare_integration_base.group_integration_manager",
        )
        self.start_tour("/odoo", "hc_declarative_flow_tour", login="hc_tour_decl_mgr")
        flow = self.env["hc.integration.flow"].search([("code", "=", "tour_vendors")])
        self.assertEqual(
            (flow.handler_model, flow.declarative_target_model, flow.declarative_version),
            ("hc.integration.handler.declarative", "res.partner", 1),
        )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Tour Vendor")]))
        self.assertFalse(self.env["hc.integration.binding"].search([("external_id", "=", "TV-1")]))
