import logging

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TEST_KEY, IntegrationCase, key_patch

OTHER_KEY = "b3RoZXIta2V5LWZvci1oZWFsdGhjYXJlLXN1aXRlMDI="  # 32 bytes, tests only
SECRET = "whsec_dGhpcyBpcyBhIHZlcnkgc2VjcmV0IHZhbHVl"


@tagged("post_install", "-at_install")
class TestSecrets(IntegrationCase):
    def _all_text_in_tables(self, *tables):
        self.env.flush_all()
        found = []
        for table in tables:
            self.env.cr.execute(f"SELECT row_to_json(t)::text FROM {table} t")
            found.extend(row[0] for row in self.env.cr.fetchall())
        return "\n".join(found)

    def test_secret_is_write_only_and_encrypted_at_rest(self):
        self.backend.webhook_secret = SECRET
        self.backend.invalidate_recordset()
        self.assertFalse(self.backend.webhook_secret, "reads never return the secret")
        self.assertTrue(self.backend.webhook_secret_is_set)
        self.assertEqual(self.backend.read(["webhook_secret"])[0]["webhook_secret"], False)
        self.assertEqual(self.backend._hc_get_secret("webhook_secret"), SECRET)
        raw = self._all_text_in_tables(
            "hc_integration_backend", "hc_integration_secret", "hc_integration_audit"
        )
        self.assertNotIn(SECRET, raw)
        self.assertNotIn(SECRET[6:], raw, "not even the base64 part")

    def test_secret_is_not_exported(self):
        self.backend.api_key = "api-key-value-123"
        exported = self.backend.export_data(["name", "api_key", "api_key_is_set"])["datas"]
        self.assertNotIn("api-key-value-123", repr(exported))

    def test_secret_change_is_audited_without_the_value(self):
        self.backend.client_secret = "client-secret-xyz"
        entry = self.Audit.search(
            [("action", "=", "secret.write"), ("backend_id", "=", self.backend.id)], limit=1
        )
        self.assertIn("client_secret", entry.summary)
        self.assertNotIn("client-secret-xyz", entry.summary)

    def test_secret_never_appears_in_logs(self):
        with self.assertLogs("odoo", level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.healthcare_integration_base").debug("capture start")
            self.backend.password = "pa55-word-value"
            self.backend._hc_get_secret("password")
        self.assertNotIn("pa55-word-value", "\n".join(logs.output))

    def test_rotation_with_several_keys(self):
        self.backend.webhook_secret = SECRET  # encrypted with TEST_KEY
        with key_patch(f"{OTHER_KEY},{TEST_KEY}"):
            self.assertEqual(
                self.backend._hc_get_secret("webhook_secret"), SECRET, "old key still decrypts"
            )
            self.assertGreaterEqual(self.env["hc.integration.secret"]._rotate_all(), 1)
        with key_patch(OTHER_KEY):
            self.assertEqual(
                self.backend._hc_get_secret("webhook_secret"),
                SECRET,
                "re-encrypted with the new key",
            )
        with key_patch(TEST_KEY), self.assertRaises(UserError):
            self.backend._hc_get_secret("webhook_secret")

    def test_missing_key_refuses_to_store_a_secret(self):
        with key_patch(""), self.assertRaises(UserError) as caught:
            self.backend.api_key = "must-not-be-stored"
        self.assertIn("HC_INTEGRATION_KEY", str(caught.exception))
        self.assertFalse(self.backend.api_key_is_set)
        self.assertNotIn(
            "must-not-be-stored",
            self._all_text_in_tables("hc_integration_secret", "hc_integration_backend"),
        )

    def test_invalid_key_gives_a_clear_error_without_the_key(self):
        with key_patch("not-a-fernet-key"), self.assertRaises(UserError) as caught:
            self.backend.api_key = "x"
        self.assertIn("invalid", str(caught.exception))
        self.assertNotIn("not-a-fernet-key", str(caught.exception))

    def test_users_cannot_read_or_set_secrets_nor_the_store(self):
        user = new_test_user(
            self.env, "hc_secret_user", groups="healthcare_integration_base.group_integration_user"
        )
        self.backend.webhook_secret = SECRET
        with self.assertRaises(AccessError):
            self.backend.with_user(user).read(["webhook_secret"])
        with self.assertRaises(AccessError):
            self.env["hc.integration.secret"].with_user(user).search([])
        manager = new_test_user(
            self.env,
            "hc_secret_mgr",
            groups="healthcare_integration_base.group_integration_manager",
        )
        with self.assertRaises(AccessError):
            self.env["hc.integration.secret"].with_user(manager).search([])
        self.assertFalse(self.backend.with_user(manager).webhook_secret)
