from odoo import api, models


class HcIntegrationSecretMixin(models.AbstractModel):
    """Write-only secret fields backed by ``hc.integration.secret``.

    A model lists its secret fields in ``_hc_secret_fields``; each is declared as a
    non-stored Char with ``compute="_compute_hc_secrets"`` and ``inverse="_inverse_hc_secrets"``
    and reads as empty, always. ``<field>_is_set`` booleans (optional) tell whether one is
    stored. Changes are audited without the value.
    """

    _name = "hc.integration.secret.mixin"
    _description = "Write-only encrypted secrets"

    _hc_secret_fields = ()

    def _compute_hc_secrets(self):
        for record in self:
            for field_name in self._hc_secret_fields:
                record[field_name] = False

    def _inverse_hc_secrets(self):
        store = self.env["hc.integration.secret"]
        for record in self:
            for field_name in self._hc_secret_fields:
                value = record[field_name]
                if value:
                    store._set_secret(record, field_name, value)
                    record._hc_audit_secret_change(field_name, "set")
        # the value must not stay readable from the cache for the rest of the transaction
        self.invalidate_recordset(list(self._hc_secret_fields))

    def _compute_hc_secrets_set(self):
        store = self.env["hc.integration.secret"]
        for field_name in self._hc_secret_fields:
            flag = f"{field_name}_is_set"
            if flag not in self._fields:
                continue
            present = store._has_secrets(self, field_name)
            for record in self:
                record[flag] = record.id in present

    def _hc_get_secret(self, field_name):
        """The decrypted secret (model code only; never send it to a client)."""
        self.ensure_one()
        return self.env["hc.integration.secret"]._get_secret(self, field_name)

    def _hc_clear_secret(self, field_name):
        self.ensure_one()
        self.env["hc.integration.secret"]._set_secret(self, field_name, False)
        self._hc_audit_secret_change(field_name, "cleared")

    def _hc_audit_secret_change(self, field_name, what):
        self.env["hc.integration.audit"]._log(
            "secret.write",
            f"secret '{field_name}' {what}",
            record=self,
            backend=self if self._name == "hc.integration.backend" else None,
        )

    @api.ondelete(at_uninstall=True)
    def _unlink_hc_secrets(self):
        self.env["hc.integration.secret"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        ).unlink()
