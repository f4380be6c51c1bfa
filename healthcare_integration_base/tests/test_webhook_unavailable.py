import json

import requests

from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .database_outage import OutageServerMixin


@tagged("post_install", "-at_install")
class TestDatabaseUnavailable(OutageServerMixin, BaseCase):
    """503 + Retry-After problems when PostgreSQL goes away under a real Odoo server.

    A separate Odoo server process reaches PostgreSQL through :class:`PostgresProxy`;
    once it has served a request (registry loaded, guard installed), the proxy is cut and
    the ``/healthcare/`` routes must answer 503 problems — through the ``_serve_db``
    wrapper when the server serves one database (``--database``), through the
    ``_serve_nodb`` one when it has to list databases (``--db-filter``) — then recover
    when the database is back."""

    def assertUnavailable(self, response):
        self.assertEqual(response.status_code, 503, response.text[:300])
        self.assertEqual(response.headers["Content-Type"], "application/problem+json")
        self.assertGreater(int(response.headers["Retry-After"]), 0)
        body = response.json()
        self.assertEqual(body["status"], 503)
        self.assertEqual(set(body), {"type", "title", "status", "detail"})
        self.assertNotIn("Traceback", response.text)

    def check_outage(self):
        event = json.dumps({"event_type": "contact.upsert", "schema_version": "1.0"}).encode()
        self.proxy.cut()
        for _attempt in range(2):  # the second request meets no pooled connection at all
            self.assertUnavailable(
                requests.post(
                    self.base + "/healthcare/webhook/any/flow",
                    data=event,
                    headers={"Content-Type": "application/json", "webhook-id": "x"},
                    timeout=30,
                )
            )
            self.assertUnavailable(requests.get(self.base + "/healthcare/health", timeout=30))
        # back: the same routes answer normally again
        self.proxy.start()
        self.wait_for(200)
        response = requests.post(
            self.base + "/healthcare/webhook/any/flow",
            data=event,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 404)

    def test_database_down_behind_a_single_database_server(self):
        self.start_server(["--database", get_db_name()])
        self.check_outage()
        # answered by the _serve_db wrapper: the cursor could not be opened
        self.assertIn("database unavailable", self.server_log())

    def test_database_down_when_databases_are_listed(self):
        self.start_server(["--db-filter", f"^{get_db_name()}$"])
        self.check_outage()
        # answered by the _serve_nodb wrapper: no database could even be listed
        self.assertIn("no database could be opened", self.server_log())
