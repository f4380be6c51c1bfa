from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestRoleGrantsApplied(HrSyncCase):
    """The HR addon applies role groups with sudo(): it grants only groups of the
    allow-list, whatever the mapping names."""

    def setUp(self):
        super().setUp()
        self.upsert_flow.write({"hr_provision_users": True, "hr_user_invitation": "sso"})

    def _role(self, code):
        return self.Mapping.search(
            [
                ("backend_id", "=", self.backend.id),
                ("mapping_type", "=", "role"),
                ("external_code", "=", code),
            ]
        )

    def test_a_group_slipped_into_a_role_is_never_applied(self):
        system = self.env.ref("base.group_system")
        role = self._role("buyer")
        self.env.cr.execute(
            "INSERT INTO hc_integration_mapping_res_groups_rel "
            "(hc_integration_mapping_id, res_groups_id) VALUES (%s, %s)",
            (role.id, system.id),
        )
        role.invalidate_recordset()
        self.send_and_process(
            "employee_upsert", self.upsert_event("E480", job_code="CLERK", roles=["buyer"])
        )
        user = self.employee("E480").user_id
        self.assertIn(self.group_buyer, user.groups_id)
        self.assertNotIn(system, user.groups_id)
        self.assertFalse(user.has_group("base.group_system"))
        self.assertTrue(
            self.Audit.search([("action", "=", "mapping.role_refused"), ("res_id", "=", role.id)])
        )

    def test_a_group_removed_from_the_allow_list_is_taken_back_at_once(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E481", job_code="CLERK", roles=["buyer"])
        )
        employee = self.employee("E481")
        self.assertIn(self.group_buyer, employee.user_id.groups_id)
        self.Mapping._hc_set_grantable_groups(
            self.Mapping._hc_grantable_groups() - self.group_buyer
        )
        self.assertNotIn(self.group_buyer, employee.user_id.groups_id)
