import hmac

from odoo import api, fields, models

MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"


def secret_field(**kwargs):
    """A write-only secret of the mixin (list its name in ``_hc_secret_fields`` too);
    visible to integration managers unless ``groups`` says otherwise."""
    kwargs.setdefault("groups", MANAGER_GROUP)
    return fields.Char(compute="_compute_hc_secrets", inverse="_inverse_hc_secrets", **kwargs)


def secret_is_set_field(**kwargs):
    """``<name>_is_set``: whether the secret ``<name>`` is stored."""
    return fields.Boolean(compute="_compute_hc_secrets_set", **kwargs)


class HcIntegrationSecretMixin(models.AbstractModel):
    """Write-only secret fields backed by ``hc.integration.secret``.

    A model lists its secret fields in ``_hc_secret_fields``; each is declared with
    :func:`secret_field` (a non-stored Char computed by ``_compute_hc_secrets`` with the
    inverse ``_inverse_hc_secrets``) and reads as empty, always. ``<field>_is_set``
    booleans (optional, :func:`secret_is_set_field`) tell whether one is stored. Changes
    are audited without the value.
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

    def _hc_secret_matches(self, field_name, candidate):
        """Whether ``candidate`` is the stored secret (constant-time; nothing stored or an
        empty candidate never matches). Model code only."""
        self.ensure_one()
        secret = self.env["hc.integration.secret"].sudo()._get_secret(self, field_name)
        if not secret or not candidate:
            return False
        return hmac.compare_digest(secret.encode(), candidate.encode())

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
