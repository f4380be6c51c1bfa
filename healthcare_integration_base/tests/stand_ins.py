"""Real HTTP servers on 127.0.0.1 that play the external systems in transport tests.

Each stand-in runs an ``http.server`` in a thread, records every request it receives
(method, path, query, headers, body) and answers from its own logic, unless replies were
scripted with :meth:`StandIn.queue` (consumed first, one per request) or
:meth:`StandIn.on_request` (the n-th request). Odoo's test harness lets requests reach
127.0.0.1 only, and raises client timeouts below 10 s to 10 s: a :class:`Reply` with a
``delay`` a little above 10 s provokes a timeout.

* :class:`HrisStandIn` — a paged list of changes (cursor, next link in the body or in a
  ``Link`` header), filtered by ``updated_since``, behind any authentication check;
* :class:`OAuthStandIn` — an OAuth2 token endpoint (client credentials) issuing expiring
  tokens, which other stand-ins accept through :meth:`OAuthStandIn.accepts`;
* :class:`ReceiverStandIn` — a webhook receiver that verifies Standard Webhooks signatures
  with the pure-Python helper and answers what it is told (2xx, 4xx, 410, 5xx, 429).
"""

import base64
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo.tests import TransactionCase

from odoo.addons.healthcare_integration_base.tools import standard_webhooks

#: Encryption key of the secrets in transport tests (tests only).
TEST_KEY = "dHJhbnNwb3J0LXRlc3RzLWtleS1vbmx5LTMyYnl0ZXM="
#: Outbound signing secret used by the receiver stand-in.
RECEIVER_SECRET = "whsec_" + base64.b64encode(b"receiver-stand-in-secret-0123456").decode()
#: Slightly more than the 10 s minimum timeout Odoo's test harness enforces.
SLOW_SECONDS = 10.5


@dataclass
class Reply:
    """A scripted answer. ``body``: dict/list (sent as JSON), bytes or str (sent as is)."""

    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)
    delay: float = 0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def header(self, name):
        return self.headers.get(name.lower())


def unused_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def problem(status, title):
    return Reply(status, {"title": title}, {"Content-Type": "application/problem+json"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms stalls)
    stand_in = None  # set on the per-server subclass

    def _serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Recorded(
            method=self.command,
            path=parts.path,
            query={key: values[-1] for key, values in parse_qs(parts.query).items()},
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        reply = self.stand_in._dispatch(request)
        if reply.delay:
            time.sleep(reply.delay)
        payload = reply.body
        headers = dict(reply.headers)
        if isinstance(payload, dict | list):
            payload = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(payload, str):
            payload = payload.encode()
        payload = payload or b""
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (timeout tests)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):
        return


class StandIn:
    """Base of the stand-ins: a threaded HTTP server with recorded requests."""

    def __init__(self):
        self.requests = []
        self.replies = []
        self.scripted = {}
        self.auth_check = None
        self._lock = threading.Lock()
        self._server = None

    # lifecycle ------------------------------------------------------------------------
    def start(self):
        handler = type("StandInHandler", (_Handler,), {"stand_in": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # scripting ------------------------------------------------------------------------
    def queue(self, *replies):
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self.replies.extend(replies)

    def on_request(self, number, reply):
        """Answer the ``number``-th request (1-based, counting all requests) with ``reply``."""
        self.scripted[number] = reply

    def _dispatch(self, request):
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            if number in self.scripted:
                return self.scripted.pop(number)
            if self.replies:
                return self.replies.pop(0)
        if self.auth_check and not self.auth_check(request):
            return problem(401, "Unauthorized")
        return self.handle(request)

    def handle(self, request):
        return Reply(404, {"title": "Not Found"})

    # authentication checks ------------------------------------------------------------
    def expect_header(self, name, value):
        self.auth_check = lambda request: request.header(name) == value

    def expect_bearer(self, token):
        self.expect_header("Authorization", f"Bearer {token}")

    def expect_basic(self, username, password):
        raw = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.expect_header("Authorization", f"Basic {raw}")

    def expect_oauth(self, oauth):
        self.auth_check = lambda request: oauth.accepts(request.header("Authorization"))


class HrisStandIn(StandIn):
    """An HRIS listing changed workers at ``/api/workers``, oldest change first.

    ``mode``: ``cursor`` (``next_cursor`` in the body), ``link`` (absolute ``next`` link),
    ``relative_link`` (``next`` as a path) or ``link_header`` (RFC 8288 ``Link``).
    Items are dicts with an ``updated_at`` (ISO, UTC) used by ``updated_since``.
    """

    path = "/api/workers"

    def __init__(self, items=None, mode="cursor"):
        super().__init__()
        self.items = list(items or [])
        self.mode = mode

    def handle(self, request):
        if request.path != self.path or request.method != "GET":
            return Reply(404, {"title": "Not Found"})
        items = sorted(self.items, key=lambda item: (item.get("updated_at", ""), str(item)))
        since = request.query.get("updated_since")
        if since:
            since = datetime.fromisoformat(since.replace("Z", "+00:00"))
            items = [
                item
                for item in items
                if datetime.fromisoformat(item["updated_at"].replace("Z", "+00:00")) >= since
            ]
        limit = int(request.query.get("limit") or 100)
        offset = int(request.query.get("offset") or (request.query.get("cursor") or "o0")[1:])
        page, rest = items[offset : offset + limit], items[offset + limit :]
        body = {"items": page}
        headers = {}
        if rest:
            following = offset + limit
            query = {"offset": following, "limit": limit}
            if request.query.get("updated_since"):
                query["updated_since"] = request.query["updated_since"]
            link = f"{self.path}?{urlencode(query)}"
            if self.mode == "cursor":
                body["next_cursor"] = f"o{following}"
            elif self.mode == "link":
                body["next"] = self.url + link
            elif self.mode == "relative_link":
                body["next"] = link
            elif self.mode == "link_header":
                headers["Link"] = f'<{link}>; rel="next"'
        return Reply(200, body, headers)


class OAuthStandIn(StandIn):
    """OAuth2 token endpoint (``POST /oauth/token``, client credentials, HTTP Basic)."""

    path = "/oauth/token"

    def __init__(self, client_id="odoo", client_secret="s3cret", lifetime=3600):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.tokens = {}  # token -> expiry (epoch seconds)
        self.scopes = []

    @property
    def token_url(self):
        return self.url + self.path

    @property
    def token_requests(self):
        return [r for r in self.requests if r.path == self.path]

    def handle(self, request):
        if request.path != self.path or request.method != "POST":
            return Reply(404, {"title": "Not Found"})
        raw = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if request.header("Authorization") != f"Basic {raw}":
            return Reply(401, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type"})
        self.scopes.append(form.get("scope"))
        token = "tok-" + os.urandom(8).hex()
        with self._lock:
            self.tokens[token] = time.time() + self.lifetime
        return Reply(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}
        )

    def accepts(self, authorization):
        token = (authorization or "").removeprefix("Bearer ")
        with self._lock:
            expiry = self.tokens.get(token)
        return bool(expiry and time.time() < expiry)

    def revoke_all(self):
        with self._lock:
            self.tokens.clear()


class ReceiverStandIn(StandIn):
    """A webhook receiver at ``/hooks/payroll`` verifying Standard Webhooks signatures.

    Every delivery is recorded in ``deliveries`` with ``verified`` (signature check with
    ``standard_webhooks.verify``) and the parsed body; unsigned or badly signed ones are
    answered 401. Scripted replies (``queue``) are answered after the check.
    """

    path = "/hooks/payroll"

    def __init__(self, secret=RECEIVER_SECRET):
        super().__init__()
        self.secret = secret
        self.deliveries = []

    def _dispatch(self, request):
        try:
            standard_webhooks.verify([self.secret], request.headers, request.body)
            verified = True
        except standard_webhooks.WebhookVerificationError:
            verified = False
        with self._lock:
            self.deliveries.append(
                {
                    "verified": verified,
                    "id": request.header("webhook-id"),
                    "body": json.loads(request.body) if verified else None,
                    "traceparent": request.header("traceparent"),
                    "content_type": request.header("content-type"),
                }
            )
        if not verified:
            with self._lock:
                self.requests.append(request)
            return problem(401, "Invalid signature")
        return super()._dispatch(request)

    def handle(self, request):
        if request.path != self.path:
            return problem(404, "Not Found")
        return Reply(200, {"received": True})


def iso(moment):
    """ISO 8601 UTC text of a naive UTC datetime."""
    return moment.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TransportCase(TransactionCase):
    """A backend and the encryption key; helpers to start stand-ins for one test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        previous = os.environ.get("HC_INTEGRATION_KEY")
        os.environ["HC_INTEGRATION_KEY"] = TEST_KEY

        def restore():
            if previous is None:
                os.environ.pop("HC_INTEGRATION_KEY", None)
            else:
                os.environ["HC_INTEGRATION_KEY"] = previous

        cls.addClassCleanup(restore)
        cls.Message = cls.env["hc.integration.message"]
        cls.Processor = cls.env["hc.integration.processor"]
        cls.Puller = cls.env["hc.integration.puller"]
        cls.Client = cls.env["hc.integration.http.client"]
        cls.Alert = cls.env["hc.integration.alert"]
        cls.backend = cls.env["hc.integration.backend"].create(
            {
                "name": "Stand-in HRIS",
                "code": "standin_hris",
                "backend_type": "hris",
                "base_url": "http://127.0.0.1:9",  # replaced by each test's stand-in
                "timeout_seconds": 2,
            }
        )

    def start(self, stand_in):
        stand_in.start()
        self.addCleanup(stand_in.stop)
        return stand_in
