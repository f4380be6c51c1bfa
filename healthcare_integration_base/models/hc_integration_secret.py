import logging
import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..tools import crypto

_logger = logging.getLogger(__name__)

KEY_ENV_VAR = "HC_INTEGRATION_KEY"
KEY_CONFIG_OPTION = "hc_integration_key"


class HcIntegrationSecret(models.Model):
    """Encrypted store of every secret of the suite (credentials, signing secrets, tokens).

    The table holds Fernet tokens only; no access rights are granted on this model, so it is
    reachable through ``sudo()`` from model code and never through RPC, views or exports.
    Records are addressed by (model, record id, field name).
    """

    _name = "hc.integration.secret"
    _description = "Integration secret (encrypted)"
    _log_access = False

    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True)
    field_name = fields.Char(required=True)
    ciphertext = fields.Text(required=True)

    _sql_constraints = [
        (
            "secret_unique",
            "unique(res_model, res_id, field_name)",
            "One secret per record and field.",
        ),
    ]

    @api.model
    def _get_cipher(self):
        raw = os.environ.get(KEY_ENV_VAR) or config.get(KEY_CONFIG_OPTION)
        try:
            return crypto.make_cipher(raw)
        except crypto.KeyMissingError:
            raise UserError(
                self.env._(
                    "No encryption key is configured, so secrets cannot be stored or read. "
                    "Set the %(env)s environment variable or '%(option)s' in the Odoo "
                    "configuration file (see the README), then restart Odoo.",
                    env=KEY_ENV_VAR,
                    option=KEY_CONFIG_OPTION,
                )
            ) from None
        except crypto.KeyInvalidError as error:
            raise UserError(
                self.env._("The configured encryption key is invalid: %(reason)s.", reason=error)
            ) from None

    @api.model
    def _key_configured(self):
        return bool(os.environ.get(KEY_ENV_VAR) or config.get(KEY_CONFIG_OPTION))

    @api.model
    def _set_secret(self, record, field_name, value):
        """Encrypt and store ``value`` for ``record.field_name``; an empty value removes it."""
        record.ensure_one()
        store = self.sudo()
        existing = store.search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("field_name", "=", field_name),
            ]
        )
        if not value:
            existing.unlink()
            return
        ciphertext = crypto.encrypt(self._get_cipher(), value)
        if existing:
            existing.ciphertext = ciphertext
        else:
            store.create(
                {
                    "res_model": record._name,
                    "res_id": record.id,
                    "field_name": field_name,
                    "ciphertext": ciphertext,
                }
            )

    @api.model
    def _get_secret(self, record, field_name):
        """Decrypt the secret of ``record.field_name``; ``None`` when none is stored."""
        record.ensure_one()
        secret = self.sudo().search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("field_name", "=", field_name),
            ],
            limit=1,
        )
        if not secret:
            return None
        try:
            return crypto.decrypt(self._get_cipher(), secret.ciphertext)
        except crypto.DecryptionError:
            raise UserError(
                self.env._(
                    "A stored secret (%(field)s of %(record)s) cannot be decrypted with the "
                    "configured keys. Was the encryption key replaced instead of rotated?",
                    field=field_name,
                    record=record.display_name,
                )
            ) from None

    @api.model
    def _has_secrets(self, records, field_name):
        """Set of ids of ``records`` that have a secret stored for ``field_name``."""
        if not records.ids:
            return set()
        found = self.sudo().search_read(
            [
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
                ("field_name", "=", field_name),
            ],
            ["res_id"],
        )
        return {row["res_id"] for row in found}

    @api.model
    def _rotate_all(self):
        """Re-encrypt every stored secret with the primary (first) key. Returns the count."""
        cipher = self._get_cipher()
        secrets = self.sudo().search([])
        for secret in secrets:
            try:
                secret.ciphertext = crypto.rotate(cipher, secret.ciphertext)
            except crypto.DecryptionError:
                raise UserError(
                    self.env._(
                        "Secret %(field)s of %(model)s #%(id)s cannot be decrypted with the "
                        "configured keys; add the old key after the new one and try again.",
                        field=secret.field_name,
                        model=secret.res_model,
                        id=secret.res_id,
                    )
                ) from None
        self.env["hc.integration.audit"]._log(
            "secret.rotate", f"{len(secrets)} secrets re-encrypted with the primary key"
        )
        return len(secrets)
