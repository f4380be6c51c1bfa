from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestCompanyRules(IntegrationCase):
    """Bindings, audit entries and alerts follow the companies of the user, as messages
    and exceptions do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.backend.company_id
        cls.company_b = cls.env["res.company"].create({"name": "Hospital B"})
        cls.binding = cls.Binding.create(
            {
                "backend_id": cls.backend.id,
                "external_type": "contact",
                "external_id": "A-1",
                "res_model": "res.partner",
                "res_id": cls.env.user.partner_id.id,
            }
        )
        cls.entry = cls.Audit._log("test.company", "company A entry", backend=cls.backend)
        cls.alert = cls.env["hc.integration.alert"].create(
            {"flow_id": cls.flow.id, "kind": "backlog", "description": "company A backlog"}
        )

        def manager(login, company):
            return new_test_user(
                cls.env,
                login,
                groups="healthcare_integration_base.group_integration_manager",
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )

        cls.manager_a = manager("hc_co_mgr_a", cls.company_a)
        cls.manager_b = manager("hc_co_mgr_b", cls.company_b)

    def test_user_of_company_b_cannot_read_company_a_records(self):
        self.assertEqual(self.entry.company_id, self.company_a)
        self.assertEqual(self.alert.company_id, self.company_a)
        for record in (self.binding, self.entry, self.alert):
            with self.subTest(model=record._name):
                Model = self.env[record._name]
                self.assertFalse(Model.with_user(self.manager_b).search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    record.with_user(self.manager_b).read(["company_id"])
                self.assertEqual(
                    Model.with_user(self.manager_a).search([("id", "=", record.id)]), record
                )

    def test_entries_without_a_company_stay_visible_to_every_company(self):
        entry = self.Audit._log("test.company", "no backend")
        self.assertFalse(entry.company_id)
        self.assertEqual(
            self.Audit.with_user(self.manager_b).search([("id", "=", entry.id)]), entry
        )
