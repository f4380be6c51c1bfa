import json
import logging
import math
import re
from urllib.parse import quote

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from odoo import SUPERUSER_ID, api, models
from odoo.exceptions import UserError
from odoo.modules.module import get_manifest

from ..exceptions import IngestHookError, ingest_hook
from ..tools import openapi, standard_webhooks
from ..tools import problem as problems
from ..tools.payload import is_url_code, json_depth, safe_segment, sha256_hex
from ..tools.source_cooldown import COOLDOWN
from ..tools.tracecontext import make_traceparent, new_trace_id, parse_traceparent

_logger = logging.getLogger(__name__)

#: Content types accepted per flow payload format (RFC 8259 JSON is UTF-8 only; FHIR
#: servers and clients send their JSON as ``application/fhir+json``).
CONTENT_TYPES = {
    "json": ("application/json", "application/fhir+json"),
    "x12": ("application/edi-x12", "text/plain"),
}
#: Deeper JSON is refused as malformed: no canonical event nests beyond a few levels, and
#: deep nesting is a classic way to make parsers and validators burn CPU or recurse.
MAX_JSON_DEPTH = 32


class WebhookRejection(Exception):
    """A delivery refused with an HTTP status; ``detail`` is safe to send back (it never
    holds payload values or secrets)."""

    def __init__(self, status, detail, *, reason=None, errors=None, headers=None, audit=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.reason = reason
        self.errors = errors
        self.headers = headers or {}
        #: what the audit entry says, when it should say more than ``detail``
        self.audit = audit


def _strict_json(text):
    def refuse_constant(name):
        raise ValueError(f"{name} is not valid JSON")

    return json.loads(text, parse_constant=refuse_constant)


def _unstorable(payload):
    """Why ``payload`` cannot be stored as PostgreSQL ``jsonb`` (valid JSON that it
    refuses: NUL characters, lone surrogates, numbers beyond float range), or None."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "strings may not contain \\u0000"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "strings may not contain unpaired surrogates"
        elif isinstance(item, float) and not math.isfinite(item):
            return "numbers must be finite"
    return None


class HcIntegrationWebhook(models.AbstractModel):
    """Receives Standard Webhooks deliveries for ``/healthcare/webhook/<backend>/<flow>``.

    The controller only hands over what it received; everything else is here, testable
    without HTTP. "Persist, then process": a delivery is authenticated (fail closed),
    checked (size, type, JSON, schema), minimised and inserted idempotently; the processor
    applies it later. Nothing here calls out: Odoo may re-run the whole request after a
    serialization failure (e.g. two deliveries of the same event racing each other).
    """

    _name = "hc.integration.webhook"
    _description = "Inbound webhook receiver"

    # ------------------------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_receive(
        self, backend_code, flow_code, headers, body, content_type, flow_id=None, source=None
    ):
        """Handle one delivery and return ``(status, body_dict, headers_dict)``.

        ``flow_id`` (optional) is the flow the caller already found for these codes with
        :meth:`_hc_find_flow` in this request, so it is not looked up twice.

        ``headers`` is a mapping of the request headers (any case); ``body`` the raw bytes,
        or a callable ``body(limit)`` returning them, so that the caller reads the request
        only once the flow's size limit is known (it may raise werkzeug's
        ``RequestEntityTooLarge``). Rejections come back as RFC 9457 problem dicts,
        audited (without payload) as ``webhook.rejected``: one entry each once the sender
        is authenticated, aggregated per minute before (see
        ``hc.integration.webhook.refusal``). ``source`` is the sender's address, cooled
        down after repeated unauthenticated refusals (``tools/source_cooldown.py``).
        """
        headers = {str(key).lower(): value for key, value in (headers or {}).items()}
        receiver = self._hc_as_backend()
        incoming = parse_traceparent(headers.get("traceparent"))
        trace_id = incoming[0] if incoming else new_trace_id()
        if not incoming:
            # generated when absent (or invalid): stored with the message like a received
            # one, so the sender can correlate with the traceparent we answer
            headers["traceparent"] = make_traceparent(trace_id)
        context = {
            "backend": None,
            "flow": None,
            "trace_id": trace_id,
            "flow_id": flow_id,
            "authenticated": False,
            "source": source,
        }
        try:
            status, answer, message_trace_id = receiver._hc_receive_checked(
                backend_code, flow_code, headers, body, content_type, context
            )
        except WebhookRejection as rejection:
            return receiver._hc_reject(rejection, backend_code, flow_code, context)
        out_headers = {"traceparent": make_traceparent(message_trace_id or trace_id)}
        if status == 202:
            # percent-encoded: an event id may hold any printable character
            out_headers["Location"] = "/healthcare/api/v1/messages/" + quote(
                answer["event_id"], safe=""
            )
        return status, answer, out_headers

    @api.model
    def _hc_body_limit(self, backend_code, flow_code):
        """``(flow id or 0, size limit in bytes or None)`` of an active inbound flow."""
        flow = self._hc_as_backend()._hc_find_flow(backend_code, flow_code)
        return (flow.id, flow.max_body_bytes) if flow else (0, None)

    # ------------------------------------------------------------------------------------
    # Steps
    # ------------------------------------------------------------------------------------
    def _hc_as_backend(self):
        """This model as the integration machinery acting for a backend: a narrow sudo
        (this model's methods only) whose audit entries name the backend as actor."""
        env = self.env
        if env.uid is None:  # auth='none' routes have no user at all
            env = env(user=SUPERUSER_ID)
        return self.with_env(env).sudo().with_context(hc_actor="backend")

    @api.model
    def _hc_receive_checked(self, backend_code, flow_code, headers, body, content_type, context):
        """Find the flow, check the delivery (content type, size, signature, rate limit,
        body, contract) and queue it; ``(status, answer, trace id)`` or a
        :class:`WebhookRejection`. The checks run cheapest and least revealing first:
        nothing of the body is parsed before the signature holds."""
        flow = self._hc_target_flow(backend_code, flow_code, context)
        backend = flow.backend_id
        self._hc_check_content_type(flow, content_type)
        raw = self._hc_read_body(flow, headers, body)
        self._hc_verify_signature(backend, headers, raw)
        context["authenticated"] = True
        self._hc_check_rate_limit(backend)
        payload = self._hc_parse(flow, raw, content_type)
        self._hc_check_contract(flow, payload)
        event_id = headers["webhook-id"].strip()
        try:
            message, status = self.env["hc.integration.message"]._hc_enqueue(
                flow,
                payload,
                external_id=event_id,
                content_hash=sha256_hex(raw),
                traceparent=headers.get("traceparent"),
            )
        except IngestHookError as error:
            raise self._hc_hook_rejection(flow, error) from None
        if status != "created" and message.flow_id != flow:
            # event ids are unique per backend: never answer with another flow's message
            raise WebhookRejection(
                422,
                "This webhook-id was already received for another flow of this backend; "
                "a new event needs a new id.",
                reason="idempotency_conflict",
            )
        if status == "conflict":
            raise WebhookRejection(
                422,
                "This webhook-id was already received with a different body; a new event "
                "needs a new id.",
                reason="idempotency_conflict",
            )
        if status == "duplicate":
            return self._hc_answer_duplicate(flow, message)
        # a new message is pending with our trace id: no need to read it back
        answer = {
            "message_id": message.id,
            "event_id": event_id,
            "status": "accepted",
            "state": "pending",
        }
        return 202, answer, context["trace_id"]

    @api.model
    def _hc_target_flow(self, backend_code, flow_code, context):
        """The flow addressed (the one the caller found already, if any), recorded in
        ``context`` for the audit of a rejection; 404 when there is none."""
        if context.get("flow_id") is not None:
            flow = self.env["hc.integration.flow"].browse(context["flow_id"] or ())
        else:
            flow = self._hc_find_flow(backend_code, flow_code)
        if not flow:
            raise WebhookRejection(404, "No active inbound flow at this address.")
        context.update(backend=flow.backend_id, flow=flow)
        return flow

    @api.model
    def _hc_check_rate_limit(self, backend):
        retry_after = self.env["hc.integration.webhook.hit"]._hc_check_and_record(backend)
        if retry_after:
            raise WebhookRejection(
                429,
                f"Rate limit of {backend.rate_limit_per_minute} deliveries per minute reached.",
                headers={"Retry-After": str(retry_after)},
            )

    @api.model
    def _hc_check_contract(self, flow, payload):
        """422 listing the schema errors (paths and rules, never values); a 422 too
        when the handler's own checks raise instead of listing problems."""
        try:
            with ingest_hook("checks"):
                errors = flow._validate_payload(payload)
        except IngestHookError as error:
            raise self._hc_hook_rejection(flow, error) from None
        if errors:
            raise WebhookRejection(
                422,
                f"The event does not match the contract of flow {flow.code} "
                f"({len(errors)} error(s)).",
                reason="schema",
                errors=errors,
            )

    @api.model
    def _hc_hook_rejection(self, flow, error):
        """The 422 of an event that the flow's handler code could not read (fail closed:
        nothing is stored; the sender learns which step, never a value)."""
        return WebhookRejection(
            422,
            f"The event cannot be read by flow {flow.code} ({error.hook} failed); check "
            "it against the flow's contract.",
            reason="unreadable",
            audit=f"the handler's {error.hook} code raised {error.error_class}",
        )

    @api.model
    def _hc_answer_duplicate(self, flow, message):
        """200 with the original message, audited as a duplicate delivery."""
        self.env["hc.integration.audit"]._log(
            "webhook.duplicate",
            f"flow={flow.code}: event delivered again, answered with the original message",
            message=message,
            backend=flow.backend_id,
            trace_id=message.trace_id,
        )
        answer = {
            "message_id": message.id,
            "event_id": message.external_id,
            "status": "duplicate",
            "state": message.state,
        }
        return 200, answer, message.trace_id

    @api.model
    def _hc_check_content_type(self, flow, content_type):
        mimetype, _, params = (content_type or "").partition(";")
        mimetype = mimetype.strip().lower()
        accepted = CONTENT_TYPES.get(flow.payload_format, ())
        if mimetype not in accepted:
            raise WebhookRejection(
                415,
                f"Flow {flow.code} accepts {' or '.join(accepted)} bodies.",
                headers={"Accept-Post": ", ".join(accepted)},
            )
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
            raise WebhookRejection(415, "Bodies must be encoded in UTF-8.")

    @api.model
    def _hc_read_body(self, flow, headers, body):
        """The raw body, never more than the flow's ``max_body_bytes`` (+1 to detect
        overflow): refused from ``Content-Length`` before reading, and while reading when
        the length is not announced (chunked transfer)."""
        limit = flow.max_body_bytes
        declared = headers.get("content-length")
        if declared not in (None, ""):
            try:
                declared = int(declared)
            except (TypeError, ValueError):
                raise WebhookRejection(400, "Invalid Content-Length header.") from None
            if declared > limit:
                raise WebhookRejection(413, f"The body exceeds {limit} bytes.")
        if callable(body):
            try:
                body = body(limit)
            except RequestEntityTooLarge:
                raise WebhookRejection(413, f"The body exceeds {limit} bytes.") from None
            except ClientDisconnected:
                raise WebhookRejection(400, "The body could not be read completely.") from None
        body = body or b""
        if isinstance(body, str):
            body = body.encode()
        if len(body) > limit:
            raise WebhookRejection(413, f"The body exceeds {limit} bytes.")
        return body

    @api.model
    def _hc_verify_signature(self, backend, headers, raw):
        try:
            secrets = self._hc_signing_secrets(backend)
        except UserError:
            # no or wrong encryption key: we cannot check anything, the sender should retry
            _logger.error("Backend %s: webhook secrets cannot be decrypted", backend.code)
            raise WebhookRejection(
                503,
                "Signatures cannot be verified at the moment; retry later.",
                headers={"Retry-After": "60"},
                audit="signing secrets cannot be decrypted (encryption key?)",
            ) from None
        if not secrets:
            raise WebhookRejection(
                401, "No valid signature.", audit="no signing secret configured (fail closed)"
            )
        try:
            standard_webhooks.verify(secrets, headers, raw, tolerance=backend.timestamp_tolerance)
        except standard_webhooks.WebhookVerificationError as error:
            raise WebhookRejection(401, str(error), reason="signature") from None

    @api.model
    def _hc_parse(self, flow, raw, content_type):
        """Parse the body into the payload dict; every failure is a 400."""
        handler = flow._get_handler()
        try:
            if flow.payload_format == "json":
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ValueError("the body is not valid UTF-8") from None
                payload = _strict_json(text)
                if json_depth(payload, MAX_JSON_DEPTH):
                    raise ValueError(f"the JSON nests deeper than {MAX_JSON_DEPTH} levels")
                if not isinstance(payload, dict):
                    raise ValueError("the body must be a JSON object")
            if flow.payload_format != "json" or self._hc_handler_parses(handler):
                payload = handler._hc_parse_body(flow, raw, content_type)
        except RecursionError:
            raise WebhookRejection(400, "The JSON nests too deeply.") from None
        except ValueError as error:
            detail = str(error) if not isinstance(error, json.JSONDecodeError) else None
            raise WebhookRejection(
                400, f"Malformed body: {detail or 'invalid JSON (' + error.msg + ')'}."
            ) from None
        except Exception as error:  # noqa: BLE001 - a bad body is never a 500
            _logger.warning(
                "Flow %s: the handler's parser failed with %s", flow.code, type(error).__name__
            )
            raise WebhookRejection(400, "Malformed body.") from None
        if not isinstance(payload, dict):
            raise WebhookRejection(400, "Malformed body: the body must be a JSON object.")
        if json_depth(payload, MAX_JSON_DEPTH):
            raise WebhookRejection(400, "Malformed body: the payload nests too deeply.")
        problem = _unstorable(payload)
        if problem:
            raise WebhookRejection(400, f"Malformed body: {problem}.")
        return payload

    @api.model
    def _hc_handler_parses(self, handler):
        """True when the handler overrides ``_hc_parse_body`` (JSON flows are parsed here
        otherwise, strictly, and parsing twice would be wasted work)."""
        base = type(self.env["hc.integration.handler"])._hc_parse_body
        return type(handler)._hc_parse_body is not base

    # ------------------------------------------------------------------------------------
    # Status look-up for the sending system
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_message_status(self, event_id):
        """``(status, body)`` describing the message of event ``event_id`` for the current
        user, who must be the integration user of the message's backend (the API key's
        owner). Anything else is a 404, so ids of other systems cannot be probed."""
        user = self.env.user
        messages = self.env["hc.integration.message"].sudo()
        message = messages.browse()
        if user and event_id:
            message = messages.search(
                [
                    ("external_id", "=", str(event_id)),
                    ("backend_id.integration_user_id", "=", user.id),
                ],
                order="id desc",
                limit=1,
            )
        if not message:
            return 404, problems.problem(404, "No message with this event id for this key.")
        return 200, self._hc_status_body(message)

    @api.model
    def _hc_status_body(self, message):
        error = None
        if message.last_error:
            first_line = message.last_error.strip().splitlines()[0] if message.last_error else ""
            error = {"class": message.error_class or None, "summary": first_line[:300]}
        records = []
        for link in message.link_ids:
            if link.res_model not in self.env:
                continue
            record = self.env[link.res_model].sudo().browse(link.res_id).exists()
            records.append(
                {
                    "model": link.res_model,
                    "id": link.res_id,
                    "display_name": record.display_name if record else None,
                }
            )

        def stamp(value):
            return value.isoformat() + "Z" if value else None

        return {
            "event_id": message.external_id,
            "message_id": message.id,
            "backend": message.backend_id.code,
            "flow": message.flow_id.code,
            "state": message.state,
            "attempts": message.attempts,
            "received_at": stamp(message.received_at),
            "finished_at": stamp(message.finished_at),
            "next_attempt_at": stamp(message.next_attempt_at)
            if message.state in ("pending", "retry")
            else None,
            "trace_id": message.trace_id,
            "last_error": error,
            "records": records,
        }

    # ------------------------------------------------------------------------------------
    # OpenAPI
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_openapi(self, server_url=None):
        """The OpenAPI 3.1 document of the HTTP surface: one webhook path per active
        inbound flow, its request body the flow's JSON Schema(s)."""
        receiver = self._hc_as_backend()
        flows = receiver.env["hc.integration.flow"].search(
            [("direction", "=", "inbound"), ("backend_id.active", "=", True)]
        )
        described = []
        for flow in flows:
            try:
                handler = flow._get_handler()
            except UserError:
                continue  # handler not installed: the webhook answers 404 anyway
            versions = flow._get_accepted_versions()
            schemas = handler._hc_schemas(flow, versions)
            described.append(
                {
                    "backend": flow.backend_id.code,
                    "flow": flow.code,
                    "name": flow.name,
                    "payload_format": flow.payload_format,
                    "event_type": flow.event_type,
                    "versions": versions,
                    "schemas": schemas,
                    "max_body_bytes": flow.max_body_bytes,
                }
            )
        version = get_manifest("healthcare_integration_base").get("version", "1.0.0")
        return openapi.build_document(described, version=version, server_url=server_url)

    # ------------------------------------------------------------------------------------
    # Rejections
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_reject(self, rejection, backend_code, flow_code, context):
        """Audit a rejection (without payload) and build its problem answer."""
        flow = context.get("flow")
        reason = rejection.reason or problems.PROBLEMS.get(rejection.status, ("error",))[0]
        if context["authenticated"] and rejection.status != 429:
            # a known sender's event refused: one entry, with its trace id
            self.env["hc.integration.audit"]._log(
                "webhook.rejected",
                f"status={rejection.status} reason={reason} flow={flow.code}: "
                f"{rejection.audit or rejection.detail}",
                backend=context.get("backend") or None,
                trace_id=context["trace_id"],
            )
        else:
            self._hc_count_noise(rejection, reason, backend_code, flow_code, context)
        body = problems.problem(
            rejection.status, rejection.detail, reason=rejection.reason, errors=rejection.errors
        )
        headers = dict(rejection.headers)
        headers["traceparent"] = make_traceparent(context["trace_id"])
        return rejection.status, body, headers

    @api.model
    def _hc_count_noise(self, rejection, reason, backend_code, flow_code, context):
        """Refusals before authentication (and rate-limit refusals) are counted, folded
        into one audit entry per bucket, status, reason and minute; a source refused
        again and again is cooled down (answered 429 before any database access)."""
        refusals = self.env["hc.integration.webhook.refusal"]
        flow = context.get("flow")
        backend = context.get("backend") or self._hc_backend_named(backend_code)
        target = (
            f"flow={flow.code}"
            if flow
            else f"address={safe_segment(backend_code)}/{safe_segment(flow_code)}"
        )
        refusals._hc_count(
            rejection.status,
            reason,
            f"{target}: {rejection.audit or rejection.detail}",
            backend=backend,
            trace_id=context["trace_id"],
        )
        source = context.get("source")
        # our own failures (503: secrets unreadable) are not held against the sender
        if source and not context["authenticated"] and rejection.status < 500:
            COOLDOWN.refused(source)
            blocked = COOLDOWN.take_blocked(source)
            if blocked:
                refusals._hc_count(
                    429,
                    "source_cooldown",
                    "answered before any database access: the source kept being refused",
                    count=blocked,
                )

    @api.model
    def _hc_backend_named(self, backend_code):
        """The active backend of a URL's first segment (the bucket of a 404 on one of its
        addresses), or an empty recordset."""
        backends = self.env["hc.integration.backend"]
        if not is_url_code(backend_code):
            return backends
        return backends.search([("code", "=", backend_code)], limit=1)
