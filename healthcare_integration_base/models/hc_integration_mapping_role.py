import logging

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"
#: ir.config_parameter holding the ids of the groups a role may grant (unset: defaults)
GRANTABLE_PARAM = "hc_integration.role_grantable_group_ids"
#: Never grantable through a role, nor any group implying them, whoever asks.
ADMIN_GROUPS = ("base.group_system", "base.group_erp_manager")
#: Fields that decide what a role grants, and to whom (a code renamed onto another role
#: hands its groups to that role's holders).
ROLE_GRANT_FIELDS = {
    "group_ids",
    "target_ref",
    "target_name",
    "state",
    "mapping_type",
    "external_code",
    "backend_id",
    "company_id",
}


class HcIntegrationMapping(models.Model):
    """Role mappings give access groups to the users of synced people, and the flow
    addons apply them with ``sudo()``: only Integration Managers change what a role
    grants, only groups of an allow-list kept by a Settings administrator can be granted
    (never administrator rights), and every change is audited with group names."""

    _inherit = "hc.integration.mapping"

    # ------------------------------------------------------------------------------------
    # The allow-list
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_admin_groups(self, groups):
        """The groups among ``groups`` that are, or imply, administrator rights."""
        admins = self.env["res.groups"]
        for xmlid in ADMIN_GROUPS:
            admins |= self.env.ref(xmlid)
        return groups.filtered(lambda g: g in admins or g.trans_implied_ids & admins)

    @api.model
    def _hc_default_grantable_groups(self):
        """Internal user plus the lowest ("user") level of every installed application
        whose access levels form a ladder (an application with a single group has no user
        level: that group is often its administrator)."""
        groups = self.env.ref("base.group_user")
        by_application = self.env["res.groups"].sudo().get_groups_by_application()
        for app, kind, app_groups, _category in by_application:
            ladder = kind == "selection" and len(app_groups) > 1
            if ladder and app.xml_id != "base.module_category_user_type":
                groups |= app_groups[:1]
        return groups.filtered(lambda g: not g.share)

    @api.model
    def _hc_grantable_groups(self):
        Groups = self.env["res.groups"].sudo()
        raw = self.env["ir.config_parameter"].sudo().get_param(GRANTABLE_PARAM)
        if raw is None or raw is False:
            groups = self._hc_default_grantable_groups().sudo()
        else:
            groups = Groups.browse(int(i) for i in raw.split(",") if i.strip().isdigit())
            groups = groups.exists()
        return groups - self._hc_admin_groups(groups)

    @api.model
    def _hc_set_grantable_groups(self, groups):
        """Replace the allow-list (Settings administrators; administrator rights refused).
        Returns whether it changed."""
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            raise AccessError(self.env._("Only Settings administrators keep this list."))
        refused = self._hc_admin_groups(groups)
        if refused:
            raise ValidationError(
                self.env._(
                    "Roles can never grant administrator rights: %(groups)s.",
                    groups=", ".join(refused.mapped("full_name")),
                )
            )
        before = self._hc_grantable_groups()
        if set(before.ids) == set(groups.ids):
            return False
        self.env["ir.config_parameter"].sudo().set_param(
            GRANTABLE_PARAM, ",".join(str(i) for i in sorted(groups.ids))
        )
        self.env.registry.clear_cache()  # cached role targets of the flow addons
        self.env["hc.integration.audit"]._log(
            "config.role_groups",
            f"groups roles may grant: {_names(before)} → {_names(groups)}",
        )
        return True

    # ------------------------------------------------------------------------------------
    # Checks at write time
    # ------------------------------------------------------------------------------------
    def _hc_role_groups(self):
        """Every group this role mapping names, whatever its state."""
        self.ensure_one()
        groups = self.group_ids
        if self.target_ref and self.target_ref._name == "res.groups":
            groups |= self.target_ref
        return groups

    @api.constrains("group_ids", "target_ref", "mapping_type")
    def _check_role_groups_grantable(self):
        grantable = self._hc_grantable_groups()
        for mapping in self.sudo():
            if mapping.mapping_type != "role":
                if mapping.group_ids:
                    raise ValidationError(self.env._("Only role mappings grant groups."))
                continue
            refused = mapping._hc_role_groups() - grantable
            if refused:
                raise ValidationError(
                    self.env._(
                        "Role %(code)s cannot grant %(groups)s: a Settings administrator "
                        "decides which groups roles may grant (Settings › Integrations), and "
                        "administrator rights never are.",
                        code=mapping.external_code,
                        groups=", ".join(refused.mapped("full_name")),
                    )
                )

    @api.model
    def _hc_may_change_roles(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _hc_refuse_role_change(self):
        raise AccessError(self.env._("Only Integration Managers change what a role grants."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self._hc_may_change_roles():
            for vals in vals_list:
                grants = vals.get("group_ids") or vals.get("target_ref") or vals.get("target_name")
                if vals.get("mapping_type") == "role" and grants:
                    self._hc_refuse_role_change()
        mappings = super().create(vals_list)
        for mapping in mappings.filtered(lambda m: m.mapping_type == "role"):
            mapping._hc_audit_role_groups(self.env["res.groups"])
        return mappings

    def write(self, vals):
        touched = ROLE_GRANT_FIELDS.intersection(vals)
        if vals.get("state") == "ignored" and len(touched) == 1:
            touched = set()  # ignoring a role code only takes rights away
        roles = self.filtered(lambda m: m.mapping_type == "role")
        grants_change = touched and (roles or vals.get("mapping_type") == "role")
        if grants_change and not self._hc_may_change_roles():
            self._hc_refuse_role_change()
        before = {mapping.id: mapping._hc_role_groups() for mapping in roles}
        result = super().write(vals)
        if touched:
            for mapping in self.filtered(lambda m: m.mapping_type == "role"):
                mapping._hc_audit_role_groups(before.get(mapping.id, self.env["res.groups"]))
        return result

    def _hc_audit_role_groups(self, before):
        after = self._hc_role_groups()
        if after == before:
            return
        self.env["hc.integration.audit"]._log(
            "mapping.role_groups",
            f"role {self.external_code}: groups {_names(before)} → {_names(after)}",
            record=self,
            backend=self.backend_id,
        )

    # ------------------------------------------------------------------------------------
    # Checked again when roles are applied (the flow addons apply them with sudo())
    # ------------------------------------------------------------------------------------
    def _get_target(self):
        target = super()._get_target()
        if self.mapping_type != "role" or not target:
            return target
        refused = target - self._hc_grantable_groups()
        if refused:
            _logger.warning(
                "Role mapping %s names %d group(s) outside the allow-list: not granted",
                self.id,
                len(refused),
            )
            self.env["hc.integration.audit"]._log(
                "mapping.role_refused",
                f"role {self.external_code}: not granted (not allowed): {_names(refused)}",
                record=self,
                backend=self.backend_id,
            )
        return target - refused


def _names(groups):
    return ", ".join(sorted(groups.mapped("full_name"))) or "(none)"
