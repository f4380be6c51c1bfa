import json
import time
from collections import Counter
from unittest.mock import patch

import requests

from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import file_open

from ..tools import openapi
from ..tools.source_cooldown import COOLDOWN
from .http_common import WebhookHttpCase

try:
    import schemathesis
    from hypothesis import HealthCheck, Phase, assume, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )
except ImportError:  # pragma: no cover - listed in requirements.txt
    schemathesis = None

METRICS_TOKEN = "openapi-test-metrics-token"
DOCUMENTED_WEBHOOK_STATUSES = {"200", "202", "400", "401", "404", "413", "415", "422", "429", "503"}


@tagged("post_install", "-at_install")
class TestOpenApi(WebhookHttpCase):
    """The OpenAPI document describes the surface, and the surface keeps its promises."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.x12_flow = cls.flow.copy({"code": "remit", "payload_format": "x12"})
        cls.env["hc.integration.metrics"]._hc_set_metrics_token(METRICS_TOKEN)

    def document(self):
        response = self.url_open("/healthcare/api/openapi.json")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_document_is_built_from_the_active_flows(self):
        document = self.document()
        self.assertEqual(document["openapi"], "3.1.0")
        operation = document["paths"][self.url()]["post"]
        with file_open("healthcare_integration_base/schemas/contact.upsert/1.0.json") as file:
            shipped = json.load(file)
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(body_schema["properties"], shipped["properties"])
        self.assertEqual(body_schema["required"], shipped["required"])
        self.assertNotIn("$id", body_schema)
        self.assertEqual(set(operation["responses"]), DOCUMENTED_WEBHOOK_STATUSES)
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        self.assertLessEqual({"webhook-id", "webhook-timestamp", "webhook-signature"}, headers)
        x12 = document["paths"][self.url(flow="remit")]["post"]["requestBody"]["content"]
        self.assertEqual(set(x12), {"application/edi-x12", "text/plain"})
        for path in (
            "/healthcare/api/v1/messages/{event_id}",
            "/healthcare/health",
            "/healthcare/metrics",
            "/healthcare/api/openapi.json",
        ):
            self.assertIn(path, document["paths"])
        # inactive flows are not documented
        self.x12_flow.active = False
        self.assertNotIn(self.url(flow="remit"), self.document()["paths"])

    def test_builder_without_schema(self):
        document = openapi.build_document(
            [{"backend": "b", "flow": "f", "payload_format": "json", "schemas": []}]
        )
        body = document["paths"]["/healthcare/webhook/b/f"]["post"]["requestBody"]
        self.assertEqual(body["content"]["application/json"]["schema"], {"type": "object"})

    def _exercise(self, operation, strategies, examples, statuses, credentials_for, checks):
        """Run ``examples`` generated requests of one operation; record their statuses."""
        base_url = self.base_url()

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies), credentials=st.booleans())
        def exercise(case, credentials):
            kwargs = case.as_transport_kwargs(base_url=base_url)
            headers = dict(kwargs.get("headers") or {})
            data = kwargs.get("data")
            if "json" in kwargs:
                data = json.dumps(kwargs["json"]).encode()
            if isinstance(data, str):
                data = data.encode()
            if credentials:
                headers.update(credentials_for(data or b""))
            try:
                response = self.opener.request(
                    kwargs["method"],
                    kwargs["url"],
                    headers=headers,
                    data=data,
                    params=kwargs.get("params"),
                    timeout=30,
                )
            except (UnicodeError, ValueError, requests.exceptions.InvalidHeader):
                assume(False)  # the client cannot send it (e.g. a non-latin-1 header)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=checks)

        exercise()

    def test_schemathesis_no_server_error_no_undocumented_status(self):
        """Property-based client (schemathesis on hypothesis) against the running server:
        generated requests, valid and invalid, signed or not, with or without
        credentials, never get a 5xx or a status, content type or body the document does
        not announce."""
        if schemathesis is None:
            self.skipTest("schemathesis is not installed (see requirements.txt)")
        self.x12_flow.active = False  # the sample handler has no X12 parser to exercise
        user = self.env["res.users"].create({"name": "Sender", "login": "hc_t1_openapi"})
        self.backend.integration_user_id = user
        api_key = self.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "k", None)
        known_event = self.new_event_id()
        self.assertEqual(self.post_event(event_id=known_event).status_code, 202)

        # half of the generated deliveries are unsigned: the per-address cool-down would
        # answer the rest 429 (tested in test_webhook_noise), not what is exercised here
        cooldown = patch.object(COOLDOWN, "limit", 10**9)
        cooldown.start()
        self.addCleanup(cooldown.stop)
        schema = schemathesis.openapi.from_dict(self.document())
        schema.config.update(base_url=self.base_url())
        checks = [
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ]
        seen = {}
        started = time.time()
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path.startswith("/healthcare/webhook/") and not operation.path.startswith(
                f"/healthcare/webhook/{self.backend.code}/"
            ):
                continue  # flows of other backends of the database are not ours to test
            statuses = seen.setdefault(operation.label, Counter())
            is_webhook = operation.path.startswith("/healthcare/webhook/")
            strategies = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
            if "{event_id}" in operation.path:
                strategies.append(operation.as_strategy(path_parameters={"event_id": known_event}))
            examples = 250 if is_webhook else 60

            if is_webhook:
                credentials_for = self.signed_headers
            elif operation.path == "/healthcare/metrics":
                credentials_for = lambda data: {"Authorization": f"Bearer {METRICS_TOKEN}"}
            else:
                credentials_for = lambda data: {"Authorization": f"Bearer {api_key}"}
            with mute_logger(
                "odoo.addons.healthcare_integration_base.models.hc_integration_webhook"
            ):
                self._exercise(operation, strategies, examples, statuses, credentials_for, checks)
        elapsed = time.time() - started
        webhook = seen[f"POST {self.url()}"]
        # the run went past authentication into parsing, validation and the queue
        self.assertLessEqual({202, 401, 422}, set(webhook), seen)
        self.assertLessEqual(
            {200, 401, 404}, set(seen["GET /healthcare/api/v1/messages/{event_id}"])
        )
        self.assertLessEqual({200, 401}, set(seen["GET /healthcare/metrics"]))
        self.assertLess(elapsed, 120, "keep the property-based run under two minutes")
