import json
import logging

from odoo import api, models

from ..exceptions import BusinessError
from ..tools.standard_webhooks import sign_headers
from .hc_integration_http_client import HttpBusinessError, HttpRetryableError
from .hc_integration_processor_outbound import OUTCOME_CONTEXT_KEY

_logger = logging.getLogger(__name__)


class HcIntegrationHandlerOutbound(models.AbstractModel):
    """Base of outbound handlers: POST a message to the backend as signed JSON.

    The body is ``_hc_outbound_body(message)`` serialised as compact JSON and POSTed to the
    backend's base URL + the flow's ``outbound_path``, with Standard Webhooks headers
    (``webhook-id`` = the message's event id, stable across retries, so the receiver can
    de-duplicate; signed with the backend's outbound secret) and ``traceparent``.

    Outcomes: 2xx → done; network errors, timeouts, 5xx and 429 → retried with backoff or
    ``Retry-After``; 410 → the flow is paused and the message goes to exception; other
    4xx → exception with the status and reason (never the receiver's body). Consecutive
    failures open the flow's circuit breaker (see ``hc.integration.flow``).

    Producers queue messages with ``env["hc.integration.message"]._hc_enqueue(flow,
    payload, external_id=...)``; subclasses override the ``_hc_outbound_*`` hooks.
    """

    _name = "hc.integration.handler.outbound"
    _inherit = "hc.integration.handler"
    _description = "Outbound: signed JSON POST (base)"
    #: Not offered as a flow handler: inherit it.
    _hc_abstract_handler = True
    #: The producer builds the payload; the flow's allow-list (if set) still applies.
    _hc_allowlist = None

    # ------------------------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_outbound_path(self, message):
        return message.flow_id.outbound_path or ""

    @api.model
    def _hc_outbound_body(self, message):
        """The JSON-serialisable document to send."""
        return message.payload or {}

    @api.model
    def _hc_outbound_headers(self, message):
        """Extra headers (the signature, content type and trace headers are added)."""
        return {}

    @api.model
    def _hc_outbound_response(self, message, response):
        """Read the receiver's 2xx answer; return the records to link to the message."""
        return

    # ------------------------------------------------------------------------------------
    # Delivery
    # ------------------------------------------------------------------------------------
    def _hc_process(self, message):
        """Sign and POST the message; report how it went to the circuit breaker through
        the context's outcome dict (``OUTCOME_CONTEXT_KEY``) and raise the engine's errors
        for everything but a 2xx."""
        outcome = self.env.context.get(OUTCOME_CONTEXT_KEY)
        if outcome is None:
            outcome = {}
        backend = message.backend_id.sudo()
        body, headers = self._hc_outbound_request(message, backend)
        response = self._hc_outbound_post(message, backend, body, headers, outcome)
        outcome["result"] = "success"
        self.env["hc.integration.audit"]._log(
            "message.delivered",
            f"{message.flow_id.code}: delivered, HTTP {response.status_code}",
            message=message,
            backend=backend,
        )
        return self._hc_outbound_response(message, response)

    @api.model
    def _hc_outbound_request(self, message, backend):
        """``(body bytes, headers)``: the compact JSON body, signed with the backend's
        outbound secret; an exception for a person when the secret is missing or invalid."""
        secret = backend._hc_get_secret("outbound_secret")
        if not secret:
            raise BusinessError(
                self.env._(
                    "%(backend)s has no outbound signing secret: set one on the backend, "
                    "then retry.",
                    backend=backend.name,
                ),
                category="technical",
            )
        body = json.dumps(
            self._hc_outbound_body(message), separators=(",", ":"), ensure_ascii=False
        ).encode()
        try:
            signature = sign_headers(secret, message.external_id, body)
        except ValueError:
            raise BusinessError(
                self.env._(
                    "The outbound signing secret of %(backend)s is not a valid whsec_ value.",
                    backend=backend.name,
                ),
                category="technical",
            ) from None
        headers = dict(self._hc_outbound_headers(message))
        headers["Content-Type"] = "application/json"
        headers.update(signature)
        return body, headers

    @api.model
    def _hc_outbound_post(self, message, backend, body, headers, outcome):
        """POST to the receiver; a failed attempt sets ``outcome["result"]`` (throttled,
        failure, gone or rejected) before its error goes up to the processor."""
        try:
            return self.env["hc.integration.http.client"]._hc_request(
                backend,
                "POST",
                self._hc_outbound_path(message),
                data=body,
                headers=headers,
                trace_id=message.trace_id,
            )
        except HttpRetryableError as error:
            outcome["result"] = "throttled" if error.status_code == 429 else "failure"
            raise
        except HttpBusinessError as error:
            if error.status_code == 410:
                outcome["result"] = "gone"
                raise BusinessError(
                    self.env._(
                        "%(error)s: the receiver says this endpoint is gone. The flow is "
                        "paused; correct the address, resume the flow and retry.",
                        error=error.message,
                    ),
                    category="technical",
                ) from None
            # 4xx: the receiver is up and refused this message
            outcome["result"] = "rejected" if error.status_code else None
            raise
