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
        limit = request.env["hc.integration.webhook"]._hc_body_limit(*parts)
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
        )
        return json_response(status, body, headers)
