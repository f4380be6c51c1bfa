from odoo import fields, models

from ..tools.actions import filtered_action


class HcIntegrationLinkedMixin(models.AbstractModel):
    """For models whose records are created or changed by integration messages
    (employees, journal entries, payments): a smart button to their sync history."""

    _name = "hc.integration.linked.mixin"
    _description = "Records with an integration history"

    hc_message_count = fields.Integer(
        string="Sync history",
        compute="_compute_hc_message_count",
        groups="healthcare_integration_base.group_integration_user",
    )

    def _hc_linked_message_domain(self):
        return [
            ("link_ids.res_model", "=", self._name),
            ("link_ids.res_id", "in", self.ids),
        ]

    def _compute_hc_message_count(self):
        links = self.env["hc.integration.message.link"].sudo()
        counts = dict(
            links._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["message_id:count_distinct"],
            )
        )
        for record in self:
            record.hc_message_count = counts.get(record.id, 0)

    def action_view_hc_messages(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "hc_integration_message_action",
            [
                ("link_ids.res_model", "=", self._name),
                ("link_ids.res_id", "=", self.id),
            ],
        )
