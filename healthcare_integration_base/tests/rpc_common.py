"""XML-RPC as a given test user, over the test server's real socket."""

import xmlrpc.client

from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .http_common import WebhookHttpCase

#: odoo.addons.base.controllers.rpc: fault codes of /xmlrpc/object
FAULT_CODES = {"AccessError": 4}


class RpcCase(WebhookHttpCase):
    """A resolver owning the flow, and an Integration Manager, reachable over XML-RPC."""

    backend_code = "hc_rpc_guard"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resolver_group = cls.env["res.groups"].create({"name": "RPC test resolvers"})
        cls.flow.owning_group_id = cls.resolver_group
        cls.resolver = new_test_user(
            cls.env,
            "hc_rpc_resolver",
            groups="healthcare_integration_base.group_integration_user",
        )
        cls.resolver.groups_id |= cls.resolver_group
        cls.manager = new_test_user(
            cls.env,
            "hc_rpc_manager",
            groups="healthcare_integration_base.group_integration_manager",
        )

    def rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` as ``user`` (password = login, as new_test_user sets it)."""
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, user.login, user.login, {})
        self.assertTrue(uid)
        return self.xmlrpc_object.execute_kw(db, uid, user.login, model, method, args, kwargs)

    def assertRpcRefused(self, user, model, method, *args, match="", error=None, **kwargs):
        """The call fails with a fault matching ``match`` (and, when ``error`` is
        ``"AccessError"``, with the XML-RPC fault code of an AccessError)."""
        with mute_logger("odoo.http"), self.assertRaisesRegex(xmlrpc.client.Fault, match) as cm:
            self.rpc(user, model, method, *args, **kwargs)
        if error:
            self.assertEqual(cm.exception.faultCode, FAULT_CODES[error])
