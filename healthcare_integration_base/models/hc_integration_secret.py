import hashlib
import logging
import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..tools import crypto

_logger = logging.getLogger(__name__)

KEY_ENV_VAR = "HC_INTEGRATION_KEY"
#: ciphertext -> plaintext of recently used secrets (bounded; this process only)
_DECRYPTED = {}
_DECRYPTED_MAX = 256


def _remember(cache_key, plaintext):
    if len(_DECRYPTED) >= _DECRYPTED_MAX:
        _DECRYPTED.pop(next(iter(_DECRYPTED)))
    _DECRYPTED[cache_key] = plaintext


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
    def _configured_keys(self):
        return os.environ.get(KEY_ENV_VAR) or config.get(KEY_CONFIG_OPTION) or ""

    @api.model
    def _get_cipher(self):
        raw = self._configured_keys()
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
        return self._get_secrets(record, [field_name]).get(field_name)

    @api.model
    def _get_secrets(self, record, field_names):
        """``{field_name: decrypted secret}`` of ``record`` in one query (webhook hot path).

        Decrypted values are remembered in this process per configured keys and
        ciphertext, so a backend's signing secret is decrypted once, not on every delivery;
        a changed secret has a new ciphertext and changed keys are a new cache key.
        """
        record.ensure_one()
        self.flush_model(["ciphertext"])
        self.env.cr.execute(
            "SELECT field_name, ciphertext FROM hc_integration_secret "
            "WHERE res_model = %s AND res_id = %s AND field_name IN %s",
            (record._name, record.id, tuple(field_names)),
        )
        return self._hc_decrypt_rows(record, self.env.cr.fetchall())

    @api.model
    def _hc_decrypt_rows(self, record, rows):
        """``{field_name: plaintext}`` of ``[(field_name, ciphertext)]`` rows of
        ``record`` (the webhook receiver reads them with its flow look-up)."""
        if not rows:
            return {}
        cipher = self._get_cipher()  # fails clearly without a (valid) key
        keys = hashlib.sha256(self._configured_keys().encode()).digest()
        secrets = {}
        for field_name, ciphertext in rows:
            plaintext = _DECRYPTED.get((keys, ciphertext))
            if plaintext is None:
                try:
                    plaintext = crypto.decrypt(cipher, ciphertext)
                except crypto.DecryptionError:
                    raise UserError(
                        self.env._(
                            "A stored secret (%(field)s of %(record)s) cannot be decrypted "
                            "with the configured keys.",
                            field=field_name,
                            record=record.display_name,
                        )
                    ) from None
                _remember((keys, ciphertext), plaintext)
            secrets[field_name] = plaintext
        return secrets

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
