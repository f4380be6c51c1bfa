import os

from odoo import api, fields, models
from odoo.tools import config

from .hc_integration_audit import KEY_CONFIG_OPTION as AUDIT_KEY_CONFIG_OPTION
from .hc_integration_audit import KEY_ENV_VAR as AUDIT_KEY_ENV_VAR
from .hc_integration_secret import KEY_CONFIG_OPTION, KEY_ENV_VAR


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hc_processor_lanes = fields.Integer(
        string="Processing lanes",
        config_parameter="hc_integration.lanes",
        default=2,
        help="Processing crons claiming from the queue in parallel. Give Odoo at least as "
        "many cron threads (max_cron_threads) for them to run at once.",
    )
    hc_batch_size = fields.Integer(
        string="Claim batch size", config_parameter="hc_integration.batch_size", default=10
    )
    hc_lease_seconds = fields.Integer(
        string="Lease (seconds)",
        config_parameter="hc_integration.lease_seconds",
        default=300,
        help="A claimed message whose worker stopped returns to the queue after this delay.",
    )
    hc_payload_retention_days = fields.Integer(
        string="Keep payloads (days)",
        config_parameter="hc_integration.payload_retention_days",
        default=30,
        help="Payloads of finished messages are purged after this many days; metadata, "
        "hash and audit entries stay. 0 keeps payloads forever.",
    )
    hc_key_configured = fields.Boolean(
        string="Encryption key configured", compute="_compute_hc_key_configured"
    )
    hc_audit_key_configured = fields.Boolean(
        string="Audit key configured", compute="_compute_hc_key_configured"
    )
    # Metrics endpoint token: write-only, only its SHA-256 is kept (hc.integration.metrics)
    hc_metrics_token = fields.Char(
        string="Metrics token",
        compute="_compute_hc_metrics_token",
        inverse="_inverse_hc_metrics_token",
        help="Bearer token Prometheus sends to /healthcare/metrics. Only its SHA-256 is "
        "stored; type a new one to replace it.",
    )
    hc_metrics_token_set = fields.Boolean(
        string="Metrics token set", compute="_compute_hc_metrics_token"
    )
    hc_role_grantable_group_ids = fields.Many2many(
        "res.groups",
        relation="hc_settings_role_grantable_group_rel",
        string="Groups roles may grant",
        help="The only access groups that role mappings may give to synced users. "
        "Administrator rights (Settings, Access Rights, or any group implying them) never.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        grantable = self.env["hc.integration.mapping"]._hc_grantable_groups()
        values["hc_role_grantable_group_ids"] = [(6, 0, grantable.ids)]
        return values

    def _compute_hc_metrics_token(self):
        token_set = self.env["hc.integration.metrics"]._hc_metrics_token_set()
        for settings in self:
            settings.hc_metrics_token = False
            settings.hc_metrics_token_set = token_set

    def _inverse_hc_metrics_token(self):
        for settings in self:
            if settings.hc_metrics_token and self.env.user.has_group("base.group_system"):
                self.env["hc.integration.metrics"]._hc_set_metrics_token(settings.hc_metrics_token)
                self.env["hc.integration.audit"]._log("config.metrics_token", "metrics token set")

    @api.depends("company_id")
    def _compute_hc_key_configured(self):
        configured = bool(os.environ.get(KEY_ENV_VAR) or config.get(KEY_CONFIG_OPTION))
        audit_key = bool(os.environ.get(AUDIT_KEY_ENV_VAR) or config.get(AUDIT_KEY_CONFIG_OPTION))
        for settings in self:
            settings.hc_key_configured = configured
            settings.hc_audit_key_configured = audit_key

    def set_values(self):
        result = super().set_values()
        if self.env.user.has_group("base.group_system"):
            self.env["hc.integration.processor"].sudo()._sync_lanes(self.hc_processor_lanes or 1)
            self.env["hc.integration.mapping"]._hc_set_grantable_groups(
                self.hc_role_grantable_group_ids
            )
            self.env["hc.integration.audit"]._log("config.settings", "integration settings saved")
        return result

    def action_hc_rotate_secrets(self):
        count = self.env["hc.integration.secret"]._rotate_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s secret(s) re-encrypted with the primary key.", count),
            },
        }
