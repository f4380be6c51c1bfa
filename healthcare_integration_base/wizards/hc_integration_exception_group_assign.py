from odoo import fields, models


class HcIntegrationExceptionGroupAssign(models.TransientModel):
    """Assign groups of exceptions to a person (one activity per group)."""

    _name = "hc.integration.exception.group.assign"
    _description = "Assign exception groups"

    group_ids = fields.Many2many(
        "hc.integration.exception.group",
        relation="hc_integration_exception_group_assign_rel",
        column1="wizard_id",
        column2="group_id",
        default=lambda self: self.env.context.get("active_ids"),
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Assign to", required=True, default=lambda self: self.env.user
    )

    def action_confirm(self):
        self.group_ids._hc_assign(self.user_id)
        return {"type": "ir.actions.act_window_close"}
