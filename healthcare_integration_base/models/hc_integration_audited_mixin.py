from odoo import api, models


class HcIntegrationAuditedMixin(models.AbstractModel):
    """Configuration records whose creation, changes and deletion go to the audit log.

    Only field *names* are logged: values may be personal data or secrets.
    """

    _name = "hc.integration.audited.mixin"
    _description = "Configuration changes audited"

    _hc_audit_action = "config"
    #: Fields the engine itself updates while running (cursors, counters, circuit state):
    #: their changes are operations, not configuration, and are not logged as such.
    _hc_audit_runtime_fields = ()

    def _hc_audit_backend(self):
        return self.env["hc.integration.backend"]

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for record in records:
            self.env["hc.integration.audit"]._log(
                f"{self._hc_audit_action}.create",
                f"{self._description} '{record.display_name}' created",
                record=record,
                backend=record._hc_audit_backend(),
            )
        return records

    def write(self, vals):
        result = super().write(vals)
        skipped = set(getattr(self, "_hc_secret_fields", ())) | set(self._hc_audit_runtime_fields)
        changed = sorted(
            name
            for name in vals
            if name in self._fields and not name.startswith("message_") and name not in skipped
        )
        if changed:
            for record in self:
                self.env["hc.integration.audit"]._log(
                    f"{self._hc_audit_action}.write",
                    f"{self._description} '{record.display_name}' changed: {', '.join(changed)}",
                    record=record,
                    backend=record._hc_audit_backend(),
                )
        return result

    def unlink(self):
        for record in self:
            self.env["hc.integration.audit"]._log(
                f"{self._hc_audit_action}.unlink",
                f"{self._description} '{record.display_name}' deleted",
                record=record,
                backend=record._hc_audit_backend(),
            )
        return super().unlink()
