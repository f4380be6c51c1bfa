from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestHrResolverSecurity(HrSyncCase):
    """HR resolvers see the HR flows' messages and exceptions, nothing of revenue-cycle
    flows (owned by another resolver group)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rcm_group = cls.env["res.groups"].create(
            {
                "name": "Revenue Cycle Resolver (test)",
                "implied_ids": [
                    (4, cls.env.ref("healthcare_integration_base.group_integration_user").id)
                ],
            }
        )
        cls.billing = cls.env["hc.integration.backend"].create(
            {"name": "Billing", "code": "billing_test", "backend_type": "billing"}
        )
        cls.rcm_flow = cls.env["hc.integration.flow"].create(
            {
                "name": "Billing summary",
                "code": "billing_summary",
                "backend_id": cls.billing.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
                "owning_group_id": cls.rcm_group.id,
            }
        )
        cls.rcm_user = new_test_user(cls.env, login="rcm_resolver", groups="base.group_user")
        cls.rcm_user.groups_id = [(4, cls.rcm_group.id)]

    def test_every_hr_flow_is_owned_by_the_hr_resolver_group(self):
        group = self.env.ref("healthcare_hr_sync.group_hr_resolver")
        self.assertEqual(set(self.flows.mapped("owning_group_id")), {group})
        self.assertEqual(
            set(self.flows.mapped("code")),
            {
                "employee_upsert",
                "employee_transfer",
                "employee_terminate",
                "credential_update",
                "credential_fhir",
                "attendance_summary",
                "roster_reconciliation",
            },
        )
        self.assertFalse(self.backend._hc_hr_setup_flows(), "idempotent")

    def test_hr_resolver_sees_hr_traffic_and_nothing_of_revenue_cycle(self):
        hr_message = self.send_and_process(
            "employee_upsert", self.upsert_event("E900", department_code="NEURO")
        )
        rcm_message, _status = self.Message._hc_enqueue(
            self.rcm_flow,
            {
                "event_type": "contact.upsert",
                "schema_version": "1.0",
                "occurred_at": "2026-01-01T00:00:00Z",
                "contact": {"external_id": "P1", "name": "Payer", "category_code": "UNKNOWN"},
            },
            external_id="rcm-1",
        )
        self.process()
        self.assertEqual(rcm_message.state, "exception")
        Message = self.env["hc.integration.message"].with_user(self.hr_resolver)
        Exception_ = self.env["hc.integration.exception"].with_user(self.hr_resolver)
        Flow = self.env["hc.integration.flow"].with_user(self.hr_resolver)
        Mapping = self.env["hc.integration.mapping"].with_user(self.hr_resolver)
        self.assertIn(hr_message, Message.search([]))
        self.assertNotIn(rcm_message, Message.search([]))
        self.assertIn(hr_message.exception_ids, Exception_.search([]))
        self.assertNotIn(rcm_message.exception_ids, Exception_.search([]))
        self.assertNotIn(self.rcm_flow, Flow.search([]))
        self.assertIn(self.upsert_flow, Flow.search([]))
        with self.assertRaises(AccessError):
            Message.browse(rcm_message.id).read(["external_id"])
        visible_types = set(Mapping.search([]).mapped("mapping_type"))
        self.assertIn("department", visible_types)
        self.assertNotIn("partner_category", visible_types, "revenue-cycle codes are hidden")
        self.assertFalse(
            self.env["hc.integration.binding"]
            .with_user(self.hr_resolver)
            .search([("res_model", "!=", "hr.employee")])
        )
        # and the revenue-cycle resolver sees nothing of HR
        self.assertNotIn(
            hr_message, self.env["hc.integration.message"].with_user(self.rcm_user).search([])
        )

    def test_hr_resolver_resolves_hr_exceptions(self):
        message = self.send_and_process(
            "employee_upsert", self.upsert_event("E901", department_code="NEURO")
        )
        exception = message.exception_ids.with_user(self.hr_resolver)
        self.assertEqual(exception.category, "mapping")
        neuro = self.env["hr.department"].create({"name": "Neurology"})
        exception.mapping_id.write({"target_ref": f"hr.department,{neuro.id}"})
        self.process()
        self.assertEqual(message.state, "done")

    def test_payloads_stay_with_managers(self):
        message = self.send_and_process("employee_upsert", self.upsert_event("E902"))
        with self.assertRaises(AccessError):
            message.with_user(self.hr_resolver).read(["payload"])
        self.assertTrue(message.with_user(self.integration_manager).read(["payload"])[0]["payload"])
