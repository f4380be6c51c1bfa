"""Shared setup of the HR tests over the real webhook route: a backend of the given type
with its standard HR flows and a signing secret, and a helper that signs and posts."""

import json
import os
import uuid
from unittest.mock import patch

from odoo.tests import HttpCase

from odoo.addons.healthcare_integration_base.tools import standard_webhooks

from .common import TEST_KEY

SECRET = "whsec_" + "aHItaHR0cC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"


class HrWebhookCase(HttpCase):
    """Backend ``backend_code`` of type ``backend_type`` with the flows of *Set up HR
    flows*, signing with :data:`SECRET`."""

    backend_code = "hr_http"
    backend_type = "hris"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.backend = cls.env["hc.integration.backend"].create(
            {
                "name": f"HR over HTTP ({cls.backend_code})",
                "code": cls.backend_code,
                "backend_type": cls.backend_type,
            }
        )
        cls.backend.webhook_secret = SECRET
        cls.flows = cls.backend._hc_hr_setup_flows()

    def post(self, flow_code, body):
        """Sign ``body`` (a dict, sent as JSON) and POST it to the flow's webhook."""
        data = json.dumps(body).encode()
        headers = standard_webhooks.sign_headers(SECRET, f"msg_{uuid.uuid4().hex}", data)
        headers["Content-Type"] = "application/json"
        return self.url_open(
            f"/healthcare/webhook/{self.backend.code}/{flow_code}", data=data, headers=headers
        )
