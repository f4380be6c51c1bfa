"""HTTP surface of the integration engine. Thin on purpose: each route hands what it
received to one model method and turns the result into a response (see
``hc.integration.webhook`` and ``hc.integration.metrics``)."""

import json

from odoo import http
from odoo.http import request

from ..tools import problem as problems
from . import guard  # noqa: F401 - installs the /healthcare/ error guard

WEBHOOK_PREFIX = "/healthcare/webhook/"


def json_response(status, body, headers=None, content_type=None):
    """A JSON answer; error bodies (status >= 400) are ``application/problem+json``."""
    if content_type is None:
        content_type = (
            problems.PROBLEM_CONTENT_TYPE if status >= 400 else "application/json; charset=utf-8"
        )
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    response = request.make_response(data, status=status, headers=[("Content-Type", content_type)])
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _webhook_max_content_length(controller):
    """Per-flow body limit given to werkzeug before Odoo touches the request stream.

    Reading is then bounded by the flow's ``max_body_bytes`` + 1 (the extra byte tells an
    overflow from a body of exactly the limit), including chunked bodies without
    ``Content-Length``. A larger announced ``Content-Length`` is let through here so that
    the receiver refuses it with its own audited 413, without reading anything.
    """
    parts = request.httprequest.path[len(WEBHOOK_PREFIX) :].split("/")
    limit = None
    if len(parts) == 2:
        flow_id, limit = request.env["hc.integration.webhook"]._hc_body_limit(*parts)
        # the receiver reuses it (an id: a retried request gets a new environment)
        request.hc_webhook_flow_id = flow_id
    if limit is None:
        return http.DEFAULT_MAX_CONTENT_LENGTH
    return max(limit + 1, request.httprequest.content_length or 0)


class HealthcareIntegrationController(http.Controller):
    @http.route(
        "/healthcare/webhook/<string:backend>/<string:flow>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
        max_content_length=_webhook_max_content_length,
    )
    def webhook(self, backend, flow, **kwargs):
        """Signed inbound events (Standard Webhooks); answers 202/200 or a problem."""
        httprequest = request.httprequest
        status, body, headers = request.env["hc.integration.webhook"]._hc_receive(
            backend,
            flow,
            httprequest.headers,
            lambda limit: httprequest.get_data(),
            httprequest.headers.get("Content-Type"),
            flow_id=getattr(request, "hc_webhook_flow_id", None),
            source=httprequest.remote_addr,
        )
        return json_response(status, body, headers)

    @http.route(
        "/healthcare/api/v1/messages/<string:event_id>",
        type="http",
        auth="bearer",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def message_status(self, event_id, **kwargs):
        """Status of an event for its sending system (API key of the integration user)."""
        status, body = request.env["hc.integration.webhook"]._hc_message_status(event_id)
        return json_response(status, body)

    @http.route(
        "/healthcare/health",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def health(self, **kwargs):
        """Liveness and queue summary (no authentication, nothing secret)."""
        body = request.env["hc.integration.metrics"].sudo()._hc_health()
        return json_response(200, body, {"Cache-Control": "no-store"})

    @http.route(
        "/healthcare/metrics",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def metrics(self, **kwargs):
        """Prometheus metrics, for a bearer token set in the settings."""
        metrics = request.env["hc.integration.metrics"].sudo()
        authorization = request.httprequest.headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not metrics._hc_check_metrics_token(token.strip()):
            body = problems.problem(401, "A valid metrics token is required.")
            return json_response(401, body, {"WWW-Authenticate": 'Bearer realm="metrics"'})
        response = request.make_response(
            metrics._hc_prometheus(),
            headers=[("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @http.route(
        "/healthcare/api/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def openapi(self, **kwargs):
        """OpenAPI 3.1 document of this surface, from the active flows and their schemas."""
        document = request.env["hc.integration.webhook"]._hc_openapi(
            server_url=request.httprequest.host_url.rstrip("/")
        )
        return json_response(200, document)
