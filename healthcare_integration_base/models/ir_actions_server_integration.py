from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .hc_integration_flow_outbound_event import RECORD_HANDLER

MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"
STATE = "hc_integration_flow"


# pylint: disable=consider-merging-classes-inherited
class IrActionsServer(models.Model):
    """Server action type "Send to integration flow": used by a ``base.automation`` rule,
    Odoo decides when (trigger, domain, before/after-update conditions) and the outbound
    flow what (its declared fields) and how (queued, signed, retried, ordered per record).
    Only Integration Managers (or the superuser) create, change or delete such actions."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[(STATE, "Send to integration flow")], ondelete={STATE: "cascade"}
    )
    hc_flow_id = fields.Many2one(
        "hc.integration.flow",
        string="Integration flow",
        ondelete="restrict",
        index="btree_not_null",
        groups=MANAGER_GROUP,
        domain=[("direction", "=", "outbound"), ("handler_model", "=", RECORD_HANDLER)],
        help="Outbound flow that sends the records of this action: one event per record "
        "change, with the fields its definition declares.",
    )

    @api.constrains("state", "hc_flow_id", "model_id")
    def _check_hc_flow(self):
        for action in self.sudo().filtered(lambda a: a.state == STATE):
            flow = action.hc_flow_id
            if not flow:
                raise ValidationError(self.env._("Choose the integration flow to send to."))
            source = flow._hc_definition().get("source_model")
            if not flow._hc_is_record_event_flow() or source != action.model_id.model:
                raise ValidationError(
                    self.env._(
                        "The flow %(flow)s does not publish %(model)s records.",
                        flow=flow.display_name,
                        model=action.model_id.model,
                    )
                )

    def _hc_check_flow_rights(self):
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(
            self.env._("Only Integration Managers may configure 'Send to integration flow'.")
        )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("state") == STATE or vals.get("hc_flow_id") for vals in vals_list):
            self._hc_check_flow_rights()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("state") == STATE or "hc_flow_id" in vals or self._hc_has_flow_actions():
            self._hc_check_flow_rights()
        return super().write(vals)

    def unlink(self):
        if self._hc_has_flow_actions():
            self._hc_check_flow_rights()
        return super().unlink()

    def _hc_has_flow_actions(self):
        return any(action.state == STATE for action in self.sudo())

    def _run_action_hc_integration_flow_multi(self, eval_context=None):
        """Queue one event per record (the automation's records) on the flow when the
        transaction commits; the delivery cron sends them after the commit."""
        records = eval_context.get("records") or eval_context.get("record")
        if not records:
            return False
        flow = self.sudo().hc_flow_id
        if flow.active:
            flow._hc_enqueue_record_events_at_commit(
                records, rule_name=self.sudo().base_automation_id.name or self.name
            )
        return False
