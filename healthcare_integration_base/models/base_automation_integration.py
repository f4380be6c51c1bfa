from odoo import models

from .ir_actions_server_integration import STATE


# pylint: disable=consider-merging-classes-inherited
class BaseAutomation(models.Model):
    """An automation rule that sends to an integration flow decides what leaves Odoo
    and when: like its "Send to integration flow" action, only Integration Managers (or
    the superuser) change or delete it."""

    _inherit = "base.automation"

    def _hc_sends_to_flows(self):
        return any(action.state == STATE for action in self.sudo().action_server_ids)

    def write(self, vals):
        if self._hc_sends_to_flows():
            self.env["ir.actions.server"]._hc_check_flow_rights()
        return super().write(vals)

    def unlink(self):
        if self._hc_sends_to_flows():
            self.env["ir.actions.server"]._hc_check_flow_rights()
        return super().unlink()
