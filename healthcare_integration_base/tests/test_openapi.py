"""The OpenAPI document: valid, every reference resolves, and the served surface keeps it."""

import copy
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from unittest.mock import patch

import requests

from odoo.modules.module import get_module_path
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
except ImportError:  # pragma: no cover - listed in requirements.txt; the tests then fail
    schemathesis = None
try:
    from openapi_spec_validator import validate as validate_openapi
except ImportError:  # pragma: no cover - listed in requirements.txt; the tests then fail
    validate_openapi = None

METRICS_TOKEN = "openapi-test-metrics-token"
DOCUMENTED_WEBHOOK_STATUSES = {"200", "202", "400", "401", "404", "413", "415", "422", "429", "503"}
SHIPPED_CONTACT_SCHEMA = "healthcare_integration_base/schemas/contact.upsert/1.0.json"


def references(node):
    """Every ``$ref`` value under ``node``."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def resolve(document, ref):
    """The node a local ``$ref`` (a JSON Pointer fragment, RFC 6901) points at; KeyError if
    it dangles."""
    if not ref.startswith("#"):
        raise KeyError(f"{ref} is not local to the document")
    node = document
    for token in filter(None, ref[1:].split("/")):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def inline(node, document):
    """``node`` with every local ``$ref`` replaced by what it points at (no cycles here)."""
    if isinstance(node, list):
        return [inline(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return inline(resolve(document, node["$ref"]), document)
    return {key: inline(value, document) for key, value in node.items()}


def shipped_schemas(env):
    """Every JSON Schema file that the installed addons ship, by ``(addon, relative path)``."""
    found = {}
    for module in env["ir.module.module"].search([("state", "=", "installed")]):
        path = get_module_path(module.name)
        for schema_file in sorted(Path(path).glob("schemas/*/*.json")) if path else []:
            found[(module.name, str(schema_file.relative_to(path)))] = json.loads(
                schema_file.read_text()
            )
    return found


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
        with file_open(SHIPPED_CONTACT_SCHEMA) as file:
            shipped = json.load(file)
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        self.assertNotIn("$id", body_schema)
        self.assertNotIn("$defs", body_schema)
        # the served schema says exactly what the shipped one says, its $defs now components
        expected = inline(shipped, shipped)
        for key in ("$id", "$schema", "$defs"):
            expected.pop(key)
        self.assertEqual(inline(body_schema, document), expected)
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

    def assertValidDocument(self, document):
        """A valid OpenAPI 3.1 document whose every ``$ref`` resolves inside it."""
        if validate_openapi is None:
            self.fail("openapi-spec-validator is not installed (see requirements.txt)")
        validate_openapi(document)
        refs = references(document)
        self.assertTrue(refs)
        dangling = set()
        for ref in refs:
            try:
                resolve(document, ref)
            except (KeyError, IndexError, ValueError):
                dangling.add(ref)
        self.assertFalse(dangling, "references that point nowhere in the document")
        self.assertNotIn('"$defs"', json.dumps(document), "flow schemas keep no local $defs")

    def test_served_document_is_valid_and_every_reference_resolves(self):
        document = self.document()
        self.assertValidDocument(document)
        components = document["components"]["schemas"]
        # the sample schema's $defs, lifted under its event type and version
        self.assertLessEqual(
            {"contact.upsert-1.0.contact", "contact.upsert-1.0.external_id"}, set(components)
        )
        contact = components["contact.upsert-1.0.contact"]
        self.assertEqual(
            contact["properties"]["external_id"],
            {"$ref": "#/components/schemas/contact.upsert-1.0.external_id"},
        )

    def test_every_shipped_schema_embeds_with_resolvable_references(self):
        """All installed addons' schemas at once (HR and revenue cycle when installed): their
        ``$defs`` (amount, credential, claim, …) resolve and never clash between flows."""
        shipped = shipped_schemas(self.env)
        self.assertIn(("healthcare_integration_base", "schemas/contact.upsert/1.0.json"), shipped)
        flows = [
            {"backend": "suite", "flow": f"flow{index}", "payload_format": "json", "schemas": [s]}
            for index, s in enumerate(shipped.values())
        ]
        document = openapi.build_document(flows)
        self.assertValidDocument(document)
        for index, schema in enumerate(shipped.values()):
            operation = document["paths"][f"/healthcare/webhook/suite/flow{index}"]["post"]
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            expected = inline(schema, schema)
            for key in ("$id", "$schema", "$defs"):
                expected.pop(key, None)
            self.assertEqual(inline(body, document), expected)

    def test_builder_lifts_definitions_without_clashes(self):
        """Same name in two schemas: two components. Same schema twice: one component.
        Two different schemas under one ``$id``: the second gets its own prefix."""

        def schema(schema_id, amount_type):
            return {
                "$id": schema_id,
                "type": "object",
                "properties": {"total": {"$ref": "#/$defs/amount"}},
                "$defs": {"amount": {"type": amount_type}},
            }

        billing = schema("https://x.example/schemas/billing.summary/1.0.json", "number")
        payroll = schema("https://x.example/schemas/payroll.journal/1.0.json", "string")
        billing_fork = schema("https://x.example/schemas/billing.summary/1.0.json", "integer")
        no_id = schema(None, "boolean")
        flows = [
            {"backend": "b", "flow": code, "payload_format": "json", "schemas": [body]}
            for code, body in (
                ("f1", billing),
                ("f2", payroll),
                ("f3", copy.deepcopy(billing)),
                ("f4", billing_fork),
                ("f5", no_id),
            )
        ]
        document = openapi.build_document(flows)
        self.assertValidDocument(document)
        lifted = {
            name: body
            for name, body in document["components"]["schemas"].items()
            if name.endswith(".amount")
        }
        self.assertEqual(
            lifted,
            {
                "billing.summary-1.0.amount": {"type": "number"},
                "payroll.journal-1.0.amount": {"type": "string"},
                "billing.summary-1.0-2.amount": {"type": "integer"},
                "b.f5-1.amount": {"type": "boolean"},
            },
        )
        types = {}
        for code in ("f1", "f2", "f3", "f4", "f5"):
            operation = document["paths"][f"/healthcare/webhook/b/{code}"]["post"]
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            types[code] = inline(body, document)["properties"]["total"]["type"]
        self.assertEqual(
            types,
            {"f1": "number", "f2": "string", "f3": "number", "f4": "integer", "f5": "boolean"},
        )

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
            self.fail("schemathesis is not installed (see requirements.txt)")
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
        webhook = seen[f"POST {self.url()}"]
        # the run went past authentication into parsing, validation and the queue
        self.assertLessEqual({202, 401, 422}, set(webhook), seen)
        self.assertLessEqual(
            {200, 401, 404}, set(seen["GET /healthcare/api/v1/messages/{event_id}"])
        )
        self.assertLessEqual({200, 401}, set(seen["GET /healthcare/metrics"]))

    def test_schemathesis_cli_resolves_every_reference_and_meets_no_server_error(self):
        """The schemathesis command line, as an API consumer runs it against the served
        document: it skips no part of any schema (it warns about each unresolvable
        reference) and no generated request gets a 5xx."""
        document = self.document()
        # its webhook deliveries are unsigned: the per-address cool-down would answer them
        # 429 and then cool down this address for the tests that follow
        self.patch(COOLDOWN, "limit", 10**9)
        cookies = "; ".join(f"{name}={value}" for name, value in self.opener.cookies.items())
        with tempfile.TemporaryDirectory() as workdir:
            location = Path(workdir) / "openapi.json"
            location.write_text(json.dumps(document))
            # fmt: off
            command = [
                sys.executable, "-m", "schemathesis.cli", "run", str(location),
                "--url", self.base_url(), "--header", f"Cookie: {cookies}",
                "--checks", "not_a_server_error", "--phases", "coverage,fuzzing",
                "--max-examples", "15", "--workers", "1", "--seed", "1",
                "--generation-deterministic", "--no-color",
            ]
            # fmt: on
            with mute_logger(
                "odoo.addons.healthcare_integration_base.models.hc_integration_webhook"
            ):
                run = subprocess.run(
                    command, cwd=workdir, capture_output=True, text=True, timeout=900, check=False
                )
        output = run.stdout + run.stderr
        self.assertNotIn("No module named", output, "schemathesis is not installed")
        self.assertNotIn("unresolvable", output.lower(), output[-3000:])
        self.assertEqual(run.returncode, 0, output[-3000:])
        self.assertIn("Tested: ", output)
