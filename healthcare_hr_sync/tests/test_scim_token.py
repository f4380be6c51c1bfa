"""The SCIM bearer token is a secret of ``hc.integration.secret.mixin``: set, rotated and
verified through it, never readable over RPC, never in the server log or the audit."""

import logging
from xmlrpc.client import Fault

from odoo.tests import tagged
from odoo.tools import mute_logger

from .scim_common import TOKEN, ScimCase

NEW_TOKEN = "scim-rotated-token-9876543210"


class CaptureLogs(logging.Handler):
    """Every record the server logs meanwhile, down to DEBUG (SQL included), formatted."""

    LOGGERS = ("", "odoo", "werkzeug")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.levels = {}

    def emit(self, record):
        self.lines.append(self.format(record))

    def __enter__(self):
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self.levels[name] = logger.level
            logger.setLevel(logging.DEBUG)
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self)
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


@tagged("post_install", "-at_install")
class TestScimToken(ScimCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_rpc_users("scim_tok")

    def backend_rpc(self, user, method, *args):
        return self.rpc(user, "hc.integration.backend", method, *args)

    def status(self, token):
        return self.scim("GET", "/Users", token=token).status_code

    def secret_audits(self):
        return (
            self.env["hc.integration.audit"]
            .sudo()
            .search([("action", "=", "secret.write"), ("backend_id", "=", self.backend.id)])
        )

    def test_set_and_verified_through_the_mixin(self):
        Backend = self.env["hc.integration.backend"]
        self.assertEqual(Backend._hc_scim_backend_for_token(TOKEN), self.backend)
        self.assertTrue(self.backend._hc_secret_matches("scim_token", TOKEN))
        for wrong in ("", None, TOKEN[:-1], TOKEN + " "):
            self.assertFalse(Backend._hc_scim_backend_for_token(wrong))
        self.assertEqual(self.status(TOKEN), 200)
        self.assertIn("secret 'scim_token' set", self.secret_audits().mapped("summary"))

    def test_a_token_stored_before_still_answers(self):
        """Tokens were always rows of ``hc.integration.secret`` under ``scim_token``: one
        written straight into the store, as before the helper, authenticates."""
        self.env["hc.integration.secret"]._set_secret(self.backend, "scim_token", NEW_TOKEN)
        self.assertEqual(self.status(NEW_TOKEN), 200)
        self.assertTrue(self.backend.scim_token_is_set)

    def test_rotation_replaces_the_token_at_once(self):
        before = len(self.secret_audits())
        self.backend.scim_token = NEW_TOKEN
        self.assertEqual(self.status(TOKEN), 401, "the old token stops working")
        self.assertEqual(self.status(NEW_TOKEN), 200)
        self.env.cr.execute(
            "SELECT count(*) FROM hc_integration_secret WHERE res_model = %s AND res_id = %s "
            "AND field_name = 'scim_token'",
            (self.backend._name, self.backend.id),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1, "one encrypted token, replaced")
        self.assertEqual(len(self.secret_audits()), before + 1)
        self.backend._hc_clear_secret("scim_token")
        self.assertEqual(self.status(NEW_TOKEN), 401, "no token: no access")
        self.assertFalse(self.backend.scim_token_is_set)

    @mute_logger("odoo.http")
    def test_never_readable_over_rpc_but_by_reading_empty(self):
        ids = [self.backend.id]
        for user in (self.staff, self.integration_user):
            with self.assertRaises(Fault, msg=user.login):
                self.backend_rpc(user, "read", ids, ["scim_token"])
            with self.assertRaises(Fault, msg=user.login):
                self.backend_rpc(user, "search_read", [("id", "in", ids)], ["scim_token"])
        for user in (self.staff, self.integration_user, self.manager):
            for method, args in (
                ("_hc_get_secret", (ids, "scim_token")),
                ("_hc_secret_matches", (ids, "scim_token", TOKEN)),
                ("_hc_scim_backend_for_token", (TOKEN,)),
            ):
                with self.assertRaises(Fault, msg=f"{user.login} {method}"):
                    self.backend_rpc(user, method, *args)
        rows = self.backend_rpc(self.manager, "read", ids, ["scim_token", "scim_token_is_set"])
        self.assertEqual((rows[0]["scim_token"], rows[0]["scim_token_is_set"]), (False, True))
        rows = self.backend_rpc(self.manager, "web_read", ids, {"scim_token": {}})
        self.assertFalse(rows[0]["scim_token"])

    def test_token_in_no_log_line_nor_audit(self):
        with CaptureLogs() as logs:
            self.backend.scim_token = NEW_TOKEN
            self.assertEqual(self.status(TOKEN), 401)
            self.assertEqual(self.status(NEW_TOKEN), 200)
            self.backend.scim_token = TOKEN
        self.assertTrue(logs.lines, "the requests were logged")
        for token in (TOKEN, NEW_TOKEN):
            for line in logs.lines:
                self.assertNotIn(token, line)
            for summary in self.env["hc.integration.audit"].sudo().search([]).mapped("summary"):
                self.assertNotIn(token, summary or "")
