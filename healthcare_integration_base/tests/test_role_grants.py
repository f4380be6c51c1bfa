from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models.hc_integration_mapping_role import GRANTABLE_PARAM
from .rpc_common import RpcCase


@tagged("post_install", "-at_install")
class TestRoleGrants(RpcCase):
    """A role mapping gives groups to every synced user holding the role (applied with
    sudo()): resolvers cannot change it, and nobody can make it grant administrator
    rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Mapping = cls.env["hc.integration.mapping"]
        cls.group_user = cls.env.ref("base.group_user")
        cls.group_system = cls.env.ref("base.group_system")
        cls.integration_user = cls.env.ref("healthcare_integration_base.group_integration_user")
        cls.role = cls.Mapping.create(
            {
                "mapping_type": "role",
                "external_code": "staff",
                "group_ids": [Command.set(cls.group_user.ids)],
            }
        )
        cls.admin = new_test_user(cls.env, "hc_rpc_settings_admin", groups="base.group_system")

    def test_resolver_cannot_change_what_a_role_grants_over_rpc(self):
        for values in (
            {"group_ids": [(4, self.group_system.id)]},
            {"group_ids": [(4, self.integration_user.id)]},  # allowed group, still refused
            {"target_ref": f"res.groups,{self.group_system.id}"},
            {"external_code": "admins"},
        ):
            with self.subTest(values=values):
                self.assertRpcRefused(
                    self.resolver,
                    "hc.integration.mapping",
                    "write",
                    [self.role.id],
                    values,
                    match="Only Integration Managers",
                    error="AccessError",
                )
        self.assertRpcRefused(
            self.resolver,
            "hc.integration.mapping",
            "create",
            {
                "mapping_type": "role",
                "external_code": "root",
                "group_ids": [(6, 0, self.group_user.ids)],
            },
            match="Only Integration Managers",
            error="AccessError",
        )
        self.role.invalidate_recordset()
        self.assertEqual(self.role.group_ids, self.group_user)
        self.assertEqual(self.role.external_code, "staff")

    def test_manager_cannot_grant_administrator_rights_over_rpc(self):
        implies_admin = self.env["res.groups"].create(
            {"name": "Sneaky", "implied_ids": [Command.link(self.group_system.id)]}
        )
        for group in (
            self.group_system,
            self.env.ref("base.group_erp_manager"),
            implies_admin,
        ):
            with self.subTest(group=group.name):
                self.assertRpcRefused(
                    self.manager,
                    "hc.integration.mapping",
                    "write",
                    [self.role.id],
                    {"group_ids": [(4, group.id)]},
                    match="cannot grant",
                )
        self.role.invalidate_recordset()
        self.assertEqual(self.role.group_ids, self.group_user)
        # not even the superuser, not even after listing it
        with self.assertRaises(ValidationError):
            self.role.sudo().group_ids = [(4, self.group_system.id)]
        with self.assertRaises(ValidationError):
            self.Mapping._hc_set_grantable_groups(self.group_user | implies_admin)

    def test_manager_changes_an_allowed_group_and_the_change_is_audited(self):
        self.rpc(
            self.manager,
            "hc.integration.mapping",
            "write",
            [self.role.id],
            {"group_ids": [(6, 0, (self.group_user | self.integration_user).ids)]},
        )
        self.assertEqual(self.role.group_ids, self.group_user | self.integration_user)
        entry = self.Audit.search(
            [("action", "=", "mapping.role_groups"), ("res_id", "=", self.role.id)],
            order="id desc",
            limit=1,
        )
        self.assertEqual(entry.user_id, self.manager)
        before, after = entry.summary.split("→")
        self.assertIn(self.group_user.full_name, before)
        self.assertNotIn(self.integration_user.full_name, before)
        self.assertIn(self.integration_user.full_name, after)

    def test_default_allow_list_is_internal_user_and_user_level_of_apps(self):
        self.env["ir.config_parameter"].sudo().search([("key", "=", GRANTABLE_PARAM)]).unlink()
        grantable = self.Mapping._hc_grantable_groups()
        self.assertIn(self.group_user, grantable)
        self.assertIn(self.integration_user, grantable)
        for xmlid in (
            "healthcare_integration_base.group_integration_manager",
            "base.group_system",
            "base.group_erp_manager",
            "base.group_portal",
        ):
            self.assertNotIn(self.env.ref(xmlid), grantable, xmlid)

    def test_only_settings_administrators_keep_the_allow_list(self):
        with self.assertRaises(AccessError):
            self.Mapping.with_user(self.manager)._hc_set_grantable_groups(self.group_user)
        self.assertRpcRefused(
            self.manager, "res.config.settings", "create", {"hc_role_grantable_group_ids": []}
        )
        settings_id = self.rpc(
            self.admin,
            "res.config.settings",
            "create",
            {"hc_role_grantable_group_ids": [(6, 0, self.group_user.ids)]},
        )
        self.rpc(self.admin, "res.config.settings", "execute", [settings_id])
        self.assertEqual(self.Mapping._hc_grantable_groups(), self.group_user)
        self.assertTrue(self.Audit.search([("action", "=", "config.role_groups")]))

    def test_groups_outside_the_allow_list_are_not_applied(self):
        """Checked again when roles are applied: a group listed before the allow-list
        shrank, or slipped in by SQL, is not granted."""
        self.role.group_ids = [(4, self.integration_user.id)]
        self.env.cr.execute(
            "INSERT INTO hc_integration_mapping_res_groups_rel "
            "(hc_integration_mapping_id, res_groups_id) VALUES (%s, %s)",
            (self.role.id, self.group_system.id),
        )
        self.role.invalidate_recordset()
        self.Mapping._hc_set_grantable_groups(self.group_user)
        self.assertEqual(self.role._get_target(), self.group_user)
        refused = self.Audit.search(
            [("action", "=", "mapping.role_refused"), ("res_id", "=", self.role.id)], limit=1
        )
        self.assertIn(self.group_system.full_name, refused.summary)
