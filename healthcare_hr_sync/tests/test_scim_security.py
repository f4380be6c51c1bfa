"""Least privilege around SCIM, over RPC and HTTP: the SCIM records and the token are
out of reach of ordinary users, the service cannot be called remotely, and one identity
platform never sees or changes the users of another."""

from xmlrpc.client import Fault

from odoo.tests import tagged
from odoo.tools import mute_logger

from .scim_common import ScimCase

OTHER_TOKEN = "scim-other-platform-token-42"


@tagged("post_install", "-at_install")
class TestScimSecurity(ScimCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_rpc_users("scim")

    @mute_logger("odoo.http")
    def test_staff_cannot_read_scim_users_nor_call_the_service(self):
        created = self.create_user("rpc.target@example.org")
        record = self.scim_user(created["id"])
        with self.assertRaises(Fault) as caught:
            self.rpc(self.staff, "hc.hr.scim.user", "read", [record.id], ["user_name"])
        self.assertIn("You are not allowed to access", caught.exception.faultString)
        with self.assertRaises(Fault):
            self.rpc(self.staff, "hc.hr.scim", "_hc_scim_dispatch", "GET", "Users")
        with self.assertRaises(Fault):
            self.rpc(self.manager, "hc.hr.scim", "_hc_scim_create", self.backend.id, {})

    def test_token_reads_empty_even_for_managers(self):
        rows = self.rpc(
            self.manager,
            "hc.integration.backend",
            "read",
            [self.backend.id],
            ["scim_token", "scim_token_is_set"],
        )
        self.assertEqual((rows[0]["scim_token"], rows[0]["scim_token_is_set"]), (False, True))

    def test_platforms_are_isolated(self):
        other = self.env["hc.integration.backend"].create(
            {"name": "Other platform", "code": "scim_other", "backend_type": "identity"}
        )
        other.scim_token = OTHER_TOKEN
        created = self.create_user("mine@example.org")
        path = f"/Users/{created['id']}"
        self.assertEqual(self.scim("GET", path, token=OTHER_TOKEN).status_code, 404)
        self.assertEqual(self.scim("DELETE", path, token=OTHER_TOKEN).status_code, 404)
        listed = self.scim("GET", "/Users", token=OTHER_TOKEN).json()
        self.assertEqual(listed["totalResults"], 0)
        self.assertTrue(self.scim_user(created["id"]).user_id.active)
