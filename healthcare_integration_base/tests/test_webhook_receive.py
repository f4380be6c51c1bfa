import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools.tracecontext import parse_traceparent
from .http_common import SPEC_SECRET, WebhookHttpCase

MARKER = "Zebulon-Quixote-7731"  # a payload value that must never be echoed or audited


@tagged("post_install", "-at_install")
class TestWebhookReceive(WebhookHttpCase):
    """Every answer of ``POST /healthcare/webhook/<backend>/<flow>`` over a real socket."""

    # -- accepted, duplicate, conflict -------------------------------------------------------
    def test_new_event_accepted_and_stored_minimised(self):
        event_id = self.new_event_id()
        body = self.event(name="Ann", ssn="123-45-6789", contact_extra={"salary": 1})
        response = self.post_event(body, event_id=event_id)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        answer = response.json()
        self.assertEqual(answer["status"], "accepted")
        self.assertEqual(answer["event_id"], event_id)
        message = self.Message.browse(answer["message_id"])
        self.assertEqual(message.external_id, event_id)
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.flow_id, self.flow)
        self.assertNotIn("ssn", message.sudo().payload)
        self.assertNotIn("contact_extra", message.sudo().payload)
        self.assertEqual(response.headers["Location"], f"/healthcare/api/v1/messages/{event_id}")
        # the engine's audit names the backend as actor
        received = self.Audit.sudo().search(
            [("action", "=", "message.received"), ("message_id", "=", message.id)]
        )
        self.assertEqual(received.actor_type, "backend")
        self.assertEqual(received.backend_id, self.backend)

    def test_event_id_with_any_printable_characters(self):
        event_id = "evt/1 ?#% \u00e9"  # sent as latin-1, as HTTP headers are
        response = self.post_event(event_id=event_id)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json()["event_id"], event_id)
        self.assertEqual(
            response.headers["Location"], "/healthcare/api/v1/messages/evt%2F1%20%3F%23%25%20%C3%A9"
        )

    def test_duplicate_answers_original(self):
        event_id = self.new_event_id()
        data = self.encode(self.event())
        first = self.post_event(data, event_id=event_id)
        self.assertEqual(first.status_code, 202)
        again = self.post_event(data, event_id=event_id)  # re-signed, new timestamp
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["message_id"], first.json()["message_id"])
        self.assertEqual(again.json()["status"], "duplicate")
        self.assertEqual(self.Message.search_count([("external_id", "=", event_id)]), 1)

    def test_same_id_different_body_is_422(self):
        event_id = self.new_event_id()
        self.assertEqual(self.post_event(self.event(), event_id=event_id).status_code, 202)
        before = self.rejections()
        response = self.post_event(self.event(name=MARKER), event_id=event_id)
        body = self.assertProblem(response, 422, "/idempotency_conflict")
        self.assertNotIn(MARKER, response.text)
        self.assertRejectedOnce(before, 422, MARKER)
        self.assertEqual(self.Message.search_count([("external_id", "=", event_id)]), 1)
        self.assertNotIn("errors", body)

    # -- 400 ----------------------------------------------------------------------------------
    def test_malformed_bodies_are_400(self):
        deep = "[" * 200 + "]" * 200
        very_deep = "[" * 100000 + "]" * 100000
        cases = {
            "not json": b"{not json",
            "empty": b"",
            "array": b"[1, 2, 3]",
            "string": b'"text"',
            "number": b"42",
            "null": b"null",
            "invalid utf-8": b'{"a": "\xff\xfe"}',
            "utf-16": json.dumps({"a": 1}).encode("utf-16"),
            "NaN": b'{"a": NaN}',
            "Infinity": b'{"a": -Infinity}',
            "deep": ('{"a": ' + deep + "}").encode(),
            "very deep": very_deep.encode(),
            "trailing data": b'{"a": 1} {"b": 2}',
            "huge integer": b'{"a": ' + b"9" * 5000 + b"}",
            # valid JSON that PostgreSQL jsonb refuses: never a 500
            "NUL character": b'{"contact": {"name": "a\\u0000b"}}',
            "NUL in a key": b'{"a\\u0000": 1}',
            "lone surrogate": b'{"contact": {"name": "\\ud800"}}',
            "float overflow": b'{"a": 1e400}',
        }
        for label, data in cases.items():
            with self.subTest(label):
                before = self.rejections()
                response = self.post_event(data)
                self.assertProblem(response, 400)
                self.assertRejectedOnce(before, 400)

    # -- 404 ----------------------------------------------------------------------------------
    def test_unknown_inactive_or_outbound_is_404(self):
        outbound = self.flow.copy({"code": "outbox", "direction": "outbound"})
        inactive_flow = self.flow.copy({"code": "off"})
        inactive_flow.active = False
        sleeping = self.backend.copy({"code": "sleeping"})
        self.flow.copy({"code": "contacts", "backend_id": sleeping.id})
        sleeping.active = False
        for backend, flow in [
            ("nope", "contacts"),
            (self.backend.code, "nope"),
            (self.backend.code, "outbox"),
            (self.backend.code, "off"),
            ("sleeping", "contacts"),
            ("a b", "c"),
        ]:
            with self.subTest(backend=backend, flow=flow):
                before = self.rejections()
                response = self.post_event(url=f"/healthcare/webhook/{backend}/{flow}")
                self.assertProblem(response, 404)
                self.assertRejectedOnce(before, 404)
        self.assertTrue(outbound)

    def test_unknown_path_and_method_are_problems(self):
        self.assertProblem(self.url_open("/healthcare/webhook/a"), 404)
        response = self.url_open(self.url())  # GET on a POST route
        self.assertProblem(response, 405)
        self.assertIn("POST", response.headers["Allow"])

    # -- 413 ----------------------------------------------------------------------------------
    def test_too_large_by_content_length(self):
        self.flow.max_body_bytes = 2048
        body = self.event(name="x" * 4096)
        before = self.rejections()
        response = self.post_event(body)
        self.assertProblem(response, 413)
        self.assertRejectedOnce(before, 413)
        # exactly at the limit is fine
        data = self.encode(self.event())
        self.flow.max_body_bytes = len(data)
        self.assertEqual(self.post_event(data).status_code, 202)

    def test_too_large_chunked_without_content_length(self):
        self.flow.max_body_bytes = 4096
        data = self.encode(self.event(name="y" * 20000))
        headers = self.signed_headers(data)
        headers["Content-Type"] = "application/json"

        def chunks():
            for start in range(0, len(data), 1024):
                yield data[start : start + 1024]

        before = self.rejections()
        response = self.opener.post(
            self.base_url() + self.url(), data=chunks(), headers=headers, timeout=30
        )
        self.assertEqual(response.request.headers.get("Transfer-Encoding"), "chunked")
        self.assertNotIn("Content-Length", response.request.headers)
        self.assertProblem(response, 413)
        self.assertRejectedOnce(before, 413)
        # a small chunked body is read completely and accepted
        small = self.encode(self.event())
        headers = self.signed_headers(small)
        headers["Content-Type"] = "application/json"
        response = self.opener.post(
            self.base_url() + self.url(),
            data=iter([small[:7], small[7:]]),
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 202, response.text)

    # -- 415 ----------------------------------------------------------------------------------
    def test_wrong_content_type_is_415(self):
        for content_type in (
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "application/json; charset=latin-1",
            None,
        ):
            with self.subTest(content_type=content_type):
                before = self.rejections()
                self.assertProblem(self.post_event(content_type=content_type), 415)
                self.assertRejectedOnce(before, 415)
        response = self.post_event(content_type="application/json; charset=UTF-8")
        self.assertEqual(response.status_code, 202)

    def test_x12_flow_accepts_edi_content_types(self):
        flow = self.flow.copy({"code": "x12", "payload_format": "x12"})
        self.assertProblem(
            self.post_event(url=self.url(flow=flow.code), content_type="application/json"), 415
        )
        # text/plain passes the content-type gate (the sample handler then finds no JSON)
        with mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_webhook"):
            response = self.post_event(
                b"ISA*00*~", url=self.url(flow=flow.code), content_type="text/plain"
            )
        self.assertProblem(response, 400)

    # -- 422 schema -----------------------------------------------------------------------------
    def test_schema_errors_listed_with_paths_without_values(self):
        body = self.event()
        body["contact"] = {"external_id": MARKER, "email": 12345}
        body["occurred_at"] = 7
        body["simulate"] = MARKER
        before = self.rejections()
        response = self.post_event(body)
        problem = self.assertProblem(response, 422, "/schema")
        paths = {error["path"] for error in problem["errors"]}
        self.assertLessEqual({"/contact", "/contact/email", "/occurred_at", "/simulate"}, paths)
        self.assertNotIn(MARKER, response.text)
        self.assertNotIn("12345", response.text)
        self.assertRejectedOnce(before, 422, MARKER)

    def test_wrong_schema_version_is_422(self):
        response = self.post_event(self.event(schema_version="9.9"))
        problem = self.assertProblem(response, 422)
        self.assertEqual(problem["errors"][0]["path"], "/schema_version")

    # -- 429 ----------------------------------------------------------------------------------
    def test_rate_limit_per_backend(self):
        self.backend.rate_limit_per_minute = 3
        for _attempt in range(3):
            self.assertEqual(self.post_event().status_code, 202)
        before = self.rejections()
        response = self.post_event()
        self.assertProblem(response, 429)
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= 60)
        self.assertRejectedOnce(before, 429)
        # an unauthenticated flood does not eat the sender's quota
        self.backend.rate_limit_per_minute = 4
        self.assertProblem(self.post_event(secret="whsec_" + "QUJD" * 8), 401)
        self.assertEqual(self.post_event().status_code, 202)
        self.assertProblem(self.post_event(), 429)
        # other backends have their own window
        other = self.backend.copy({"code": "other_sender", "rate_limit_per_minute": 1})
        other.webhook_secret = SPEC_SECRET
        self.flow.copy({"backend_id": other.id})
        self.assertEqual(
            self.post_event(url=f"/healthcare/webhook/{other.code}/contacts").status_code, 202
        )

    # -- traceparent -----------------------------------------------------------------------------
    def test_traceparent_in_and_out(self):
        incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        response = self.post_event(headers={"traceparent": incoming})
        self.assertEqual(response.status_code, 202)
        message = self.Message.browse(response.json()["message_id"])
        self.assertEqual(message.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(message.traceparent, incoming)
        trace_id, span_id = parse_traceparent(response.headers["traceparent"])
        self.assertEqual(trace_id, message.trace_id)
        self.assertNotEqual(span_id, "00f067aa0ba902b7")

    def test_traceparent_generated_when_absent_or_invalid(self):
        for header in ({}, {"traceparent": "garbage"}):
            response = self.post_event(headers=header)
            self.assertEqual(response.status_code, 202)
            message = self.Message.browse(response.json()["message_id"])
            self.assertEqual(len(message.trace_id), 32)
            # generated, stored with the message like a received one
            self.assertEqual(parse_traceparent(message.traceparent)[0], message.trace_id)
            self.assertEqual(
                parse_traceparent(response.headers["traceparent"])[0], message.trace_id
            )
        # rejections carry one too, and their audit entry has the same trace id
        incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        response = self.post_event(sign=False, headers={"traceparent": incoming})
        self.assertProblem(response, 401)
        self.assertEqual(
            parse_traceparent(response.headers["traceparent"])[0],
            "0af7651916cd43dd8448eb211c80319c",
        )
        self.assertEqual(self.rejections()[0].trace_id, "0af7651916cd43dd8448eb211c80319c")

    # -- audit of rejections -------------------------------------------------------------------
    def test_rejection_audit_has_no_payload_nor_secret(self):
        before = self.rejections()
        self.post_event(self.event(name=MARKER), secret="whsec_" + "QUJD" * 8)
        self.post_event(self.event(name=MARKER), content_type="text/plain")
        self.post_event(url=self.url(flow="unknown"))
        after = self.rejections()
        self.assertEqual(len(after) - len(before), 3)
        for entry in after[:3]:
            self.assertEqual(entry.action, "webhook.rejected")
            self.assertEqual(entry.actor_type, "backend")
            self.assertNotIn(MARKER, entry.summary)
            self.assertNotIn(SPEC_SECRET.removeprefix("whsec_"), entry.summary)
        self.assertEqual(after[1].backend_id, self.backend)
        self.assertIn("reason=unsupported_media_type", after[1].summary)
