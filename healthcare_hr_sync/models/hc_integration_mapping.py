from odoo import api, models

#: Mapping types of the HR flows (DESIGN §4), with the model each code maps to.
HR_MAPPING_TARGETS = {
    "department": "hr.department",
    "job": "hr.job",
    "cost_center": "account.analytic.account",
    "location": "hr.work.location",
    "credential_type": "hc.hr.credential.type",
}


class HcIntegrationMapping(models.Model):
    _inherit = "hc.integration.mapping"

    @api.model
    def _hc_mapping_types(self):
        return [
            *super()._hc_mapping_types(),
            ("department", self.env._("Department")),
            ("job", self.env._("Job position")),
            ("cost_center", self.env._("Cost centre")),
            ("location", self.env._("Work location")),
            ("credential_type", self.env._("Credential type")),
        ]

    @api.model
    def _mapping_target_models(self):
        targets = super()._mapping_target_models()
        targets.update(HR_MAPPING_TARGETS)
        return targets

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        self.env.registry.clear_cache()  # hc.hr.sync._mapped_target
        return mappings

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _hc_set_grantable_groups(self, groups):
        """A group no longer grantable is taken back from the users holding a role at once."""
        changed = super()._hc_set_grantable_groups(groups)
        if changed:
            employees = (
                self.env["hr.employee"]
                .sudo()
                .with_context(active_test=False)
                .search([("hc_role_mapping_ids", "!=", False)])
            )
            employees._hc_hr_sync_access()
        return changed

    def write(self, vals):
        """A role's groups changed: bring the users holding that role in line at once."""
        result = super().write(vals)
        self.env.registry.clear_cache()  # hc.hr.sync._mapped_target
        if {"group_ids", "target_ref", "state"}.intersection(vals):
            roles = self.filtered(lambda m: m.mapping_type == "role")
            if roles:
                employees = (
                    self.env["hr.employee"]
                    .sudo()
                    .with_context(active_test=False)
                    .search([("hc_role_mapping_ids", "in", roles.ids)])
                )
                employees._hc_hr_sync_access()
        return result
