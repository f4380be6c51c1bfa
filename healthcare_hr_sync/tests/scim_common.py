"""Shared setup of the SCIM tests: an identity backend with a bearer token, and helpers
that call ``/scim/v2`` over real HTTP."""

import json
import os
from unittest.mock import patch

from odoo.tests import HttpCase, new_test_user

from .common import TEST_KEY

TOKEN = "scim-test-token-0123456789"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#: the users least-privilege tests call RPC as: attribute → groups
RPC_USERS = {
    "staff": "base.group_user",
    "integration_user": "base.group_user,healthcare_integration_base.group_integration_user",
    "manager": "base.group_user,healthcare_integration_base.group_integration_manager",
}


class ScimCase(HttpCase):
    """Backend ``scim_test`` (identity platform) answering to :data:`TOKEN`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.backend = cls.env["hc.integration.backend"].create(
            {"name": "Identity platform", "code": "scim_test", "backend_type": "identity"}
        )
        cls.backend.scim_token = TOKEN

    @classmethod
    def _setup_rpc_users(cls, prefix):
        """``cls.staff``, ``cls.integration_user``, ``cls.manager`` (password = login)."""
        for attribute, groups in RPC_USERS.items():
            user = new_test_user(cls.env, login=f"{prefix}_{attribute}", groups=groups)
            setattr(cls, attribute, user)

    def rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` over XML-RPC as ``user``."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def scim(self, method, path, body=None, token=TOKEN, headers=None):
        """One SCIM request; returns the response (``.json()`` when it has a body)."""
        all_headers = {"Content-Type": "application/scim+json"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        return self.opener.request(
            method,
            f"{self.base_url()}/scim/v2{path}",
            data=data,
            headers=all_headers,
            timeout=30,
        )

    def create_user(self, user_name, **extra):
        body = {
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "active": True,
        }
        body.update(extra)
        response = self.scim("POST", "/Users", body)
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    def scim_user(self, scim_id):
        return self.env["hc.hr.scim.user"].sudo().search([("scim_id", "=", scim_id)])
