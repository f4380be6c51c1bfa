"""``/scim/v2`` while PostgreSQL is away: SCIM errors, ``503`` with ``Retry-After`` (the
engine's HTTP guard, in SCIM's format), never Odoo's HTML pages — without a database,
Odoo answers ``404``, which an identity platform could read as "no such user"."""

import requests

from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from odoo.addons.healthcare_integration_base.tests.database_outage import OutageServerMixin

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@tagged("post_install", "-at_install")
class TestScimDatabaseUnavailable(OutageServerMixin, BaseCase):
    def assertScimError(self, response, status):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/scim+json")
        document = response.json()
        self.assertEqual(document["schemas"], [SCIM_ERROR])
        self.assertEqual(document["status"], str(status))
        return document

    def check_outage(self):
        user = self.base + "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646"
        # the route answers (no token: a SCIM 401)
        self.assertScimError(requests.get(user, timeout=30), 401)
        self.proxy.cut()
        for _attempt in range(2):  # the second request meets no pooled connection at all
            for method in ("GET", "DELETE"):
                response = requests.request(method, user, timeout=30)
                self.assertScimError(response, 503)
                self.assertGreater(int(response.headers["Retry-After"]), 0)
                self.assertNotIn("Traceback", response.text)
        self.proxy.start()
        self.wait_for(200)
        self.assertScimError(requests.get(user, timeout=30), 401)

    def test_database_down_behind_a_single_database_server(self):
        self.start_server(["--database", get_db_name()])
        self.check_outage()

    def test_database_down_when_databases_are_listed(self):
        self.start_server(["--db-filter", f"^{get_db_name()}$"])
        self.check_outage()
