"""The HTTP client of a backend: the one place where the suite calls other systems.

Every call goes through :meth:`HcIntegrationHttpClient._hc_request`, which

* uses a :class:`BackendSession` (a ``requests.Session`` that always sets the backend's
  timeout and never follows redirects, so credentials never leave for another host);
* authenticates as the backend says (none, API key header, bearer, basic, OAuth2 client
  credentials with a cached token refreshed once on a 401);
* propagates W3C Trace Context (``traceparent``: the message's trace id, a new span);
* turns failures into the engine's error classes: :class:`HttpRetryableError` for network
  errors, timeouts, 408, 429 and 5xx (``delay`` from ``Retry-After``), and
  :class:`HttpBusinessError` for the other 4xx and for configuration problems.

Nothing here logs or raises with headers, bodies or secrets: error messages carry the
backend, the path, the HTTP status and its reason phrase only.
"""

import base64
import email.utils
import hashlib
import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import psycopg2
import requests

from odoo import api, fields, models

from ..exceptions import BusinessError, RetryableError
from ..tools import cron_round
from ..tools.tracecontext import make_traceparent

_logger = logging.getLogger(__name__)

#: Name under which the OAuth2 access token is kept (encrypted) in ``hc.integration.secret``.
TOKEN_SECRET_FIELD = "oauth2_token"
#: A cached token is not used during its last seconds (clock skew, request time).
TOKEN_EXPIRY_MARGIN = 30
#: Lifetime assumed when the token endpoint does not say (``expires_in`` missing).
DEFAULT_TOKEN_LIFETIME = 300
#: A ``Retry-After`` beyond a day is taken as a day.
MAX_RETRY_AFTER = 24 * 3600
USER_AGENT = "Odoo-Healthcare-Integration/18.0"
RETRYABLE_STATUSES = {408, 425, 429}


class HttpRetryableError(RetryableError):
    """A call failed for a reason worth retrying. ``status_code`` is None for network
    errors and timeouts."""

    def __init__(self, message, *, status_code=None, delay=None, detail=None):
        super().__init__(message, delay=delay, detail=detail)
        self.status_code = status_code


class HttpBusinessError(BusinessError):
    """The other system refused the call (4xx) or the backend is misconfigured; retrying
    as is will not help. ``status_code`` is None for configuration problems."""

    def __init__(self, message, *, status_code=None, category="technical", detail=None):
        super().__init__(message, category=category, detail=detail)
        self.status_code = status_code


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), or None
    when absent or unreadable. Never negative, at most :data:`MAX_RETRY_AFTER`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        now = now or datetime.now(timezone.utc)
        seconds = int((when - now).total_seconds() + 0.999)
    return max(0, min(seconds, MAX_RETRY_AFTER))


def origin(url):
    """``(scheme, host, port)`` of a URL, the default port made explicit."""
    parts = urlsplit(url or "")
    scheme = (parts.scheme or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def is_absolute_url(value):
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def round_capped_timeout(timeout):
    """``timeout``, shortened so that a request made by a queue cron ends with the cron's
    round (``hc_integration_processor_budget.py``): a slow backend must not make the
    server reload or kill the cron worker. At least one second."""
    deadline = getattr(threading.current_thread(), "hc_round_deadline", None)
    if deadline is None:
        return timeout
    return max(1.0, min(timeout, deadline - time.monotonic() - cron_round.MIN_RESERVE))


class BackendSession(requests.Session):
    """A ``requests.Session`` whose every request has a timeout and follows no redirect.

    Redirects are refused because custom credential headers (e.g. ``X-API-Key``) would be
    sent on to whatever host the redirect names.
    """

    def __init__(self, timeout):
        super().__init__()
        self.hc_timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method, url, *args, **kwargs):
        # one number, not a (connect, read) tuple: Odoo's test harness compares it to 10
        kwargs["timeout"] = round_capped_timeout(kwargs.get("timeout") or self.hc_timeout)
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


class HcIntegrationHttpClient(models.AbstractModel):
    """Outgoing HTTP calls to backends (pulls, outbound delivery, handler look-ups)."""

    _name = "hc.integration.http.client"
    _description = "Integration HTTP client"

    # ------------------------------------------------------------------------------------
    # Session and URL
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_session(self, backend):
        """A new session for ``backend`` (reuse it for the pages of one pull; close it)."""
        backend.ensure_one()
        return BackendSession(backend.timeout_seconds or 30)

    @api.model
    def _hc_url(self, backend, path):
        """``path`` appended to the backend's base URL. An absolute URL is accepted only on
        the base URL's origin (scheme, host and port), so credentials stay there."""
        base = (backend.base_url or "").strip()
        if not is_absolute_url(base):
            raise HttpBusinessError(
                self.env._(
                    "The backend %(backend)s has no valid base URL (http:// or https://).",
                    backend=backend.name,
                )
            )
        if is_absolute_url(path):
            if origin(path) != origin(base):
                raise HttpBusinessError(
                    self.env._(
                        "%(backend)s pointed to another server (%(host)s); only its own base "
                        "URL is called.",
                        backend=backend.name,
                        host=urlsplit(path).hostname or "?",
                    )
                )
            return path
        if not path:
            return base
        return base.rstrip("/") + "/" + path.lstrip("/")

    # ------------------------------------------------------------------------------------
    # Request
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_request(
        self,
        backend,
        method,
        path,
        *,
        session=None,
        params=None,
        json_body=None,
        data=None,
        headers=None,
        trace_id=None,
        traceparent=None,
        accept="application/json",
    ):
        """Send one authenticated request to ``backend`` and return the 2xx response.

        ``path`` is appended to the base URL (or is an absolute URL on the same origin).
        ``trace_id`` continues that trace with a new span; ``traceparent`` is sent as is.
        Raises :class:`HttpRetryableError` or :class:`HttpBusinessError`.
        """
        backend_sudo = backend.sudo()
        own_session = session is None
        session = session or self._hc_session(backend_sudo)
        try:
            url = self._hc_url(backend_sudo, path)
            refreshed = False
            while True:
                request_headers = {"Accept": accept}
                request_headers.update(headers or {})
                if traceparent or trace_id:
                    request_headers["traceparent"] = traceparent or make_traceparent(trace_id)
                request_headers.update(
                    self._hc_auth_headers(backend_sudo, session, force_refresh=refreshed)
                )
                response = self._hc_send(
                    backend_sudo,
                    session,
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=request_headers,
                )
                if (
                    response.status_code == 401
                    and backend_sudo.auth_kind == "oauth2"
                    and not refreshed
                ):
                    # the token may have been revoked or expired early: one new token, once
                    refreshed = True
                    continue
                break
            self._hc_check_response(backend_sudo, response, url)
            return response
        finally:
            if own_session:
                session.close()

    @api.model
    def _hc_send(self, backend, session, method, url, **kwargs):
        """``session.request`` with transport failures turned into retryable errors."""
        path = urlsplit(url).path or "/"
        try:
            return session.request(method, url, **kwargs)
        except requests.Timeout:
            raise HttpRetryableError(
                self.env._(
                    "%(backend)s did not answer within %(seconds)s s (%(method)s %(path)s).",
                    backend=backend.name,
                    seconds=getattr(session, "hc_timeout", "?"),
                    method=method,
                    path=path,
                )
            ) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as error:
            raise HttpBusinessError(
                self.env._(
                    "The URL configured for %(backend)s is invalid (%(error)s).",
                    backend=backend.name,
                    error=type(error).__name__,
                )
            ) from None
        except requests.RequestException as error:
            raise HttpRetryableError(
                self.env._(
                    "%(backend)s could not be reached (%(error)s on %(method)s %(path)s).",
                    backend=backend.name,
                    error=type(error).__name__,
                    method=method,
                    path=path,
                )
            ) from None

    @api.model
    def _hc_check_response(self, backend, response, url):
        """Raise the engine error matching a non-2xx ``response``; never reads the body,
        except the ``title`` of an RFC 9457 problem document (a stable, data-free text)."""
        status = response.status_code
        if 200 <= status < 300:
            return
        path = urlsplit(url).path or "/"
        reason = (response.reason or "").strip()[:80]
        title = self._hc_problem_title(response)
        text = self.env._(
            "%(backend)s answered HTTP %(status)s %(reason)s on %(path)s%(title)s",
            backend=backend.name,
            status=status,
            reason=reason,
            path=path,
            title=f" ({title})" if title else "",
        )
        if status in RETRYABLE_STATUSES or status >= 500:
            delay = parse_retry_after(response.headers.get("Retry-After"))
            raise HttpRetryableError(text, status_code=status, delay=delay)
        if 300 <= status < 400:
            raise HttpBusinessError(
                self.env._(
                    "%(text)s: redirects are not followed; set the final URL on the backend.",
                    text=text,
                ),
                status_code=status,
            )
        category = {409: "conflict", 400: "validation", 422: "validation"}.get(status, "technical")
        raise HttpBusinessError(text, status_code=status, category=category)

    @api.model
    def _hc_problem_title(self, response):
        content_type = response.headers.get("Content-Type", "")
        if "application/problem+json" not in content_type:
            return ""
        try:
            title = response.json().get("title")
        except (ValueError, AttributeError):
            return ""
        return title.strip()[:100] if isinstance(title, str) else ""

    # ------------------------------------------------------------------------------------
    # Authentication
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_auth_headers(self, backend, session, force_refresh=False):
        """Headers that authenticate a call to ``backend`` (sudo record)."""
        kind = backend.auth_kind
        if kind == "none":
            return {}
        if kind in ("api_key", "bearer"):
            key = self._hc_required_secret(backend, "api_key")
            if kind == "bearer":
                return {"Authorization": f"Bearer {key}"}
            return {(backend.api_key_header or "X-API-Key").strip(): key}
        if kind == "basic":
            password = self._hc_required_secret(backend, "password")
            if not backend.username:
                raise self._hc_missing_credential(backend, "username")
            raw = f"{backend.username}:{password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        if kind == "oauth2":
            token = self._hc_oauth_token(backend, session, force_refresh=force_refresh)
            return {"Authorization": f"Bearer {token}"}
        raise HttpBusinessError(
            self.env._("Unknown authentication kind %(kind)s.", kind=kind)
        )  # pragma: no cover

    @api.model
    def _hc_required_secret(self, backend, field_name):
        secret = backend._hc_get_secret(field_name)
        if not secret:
            raise self._hc_missing_credential(backend, field_name)
        return secret

    @api.model
    def _hc_missing_credential(self, backend, what):
        return HttpBusinessError(
            self.env._(
                "%(backend)s needs a %(what)s for its authentication; set it on the backend.",
                backend=backend.name,
                what=backend._fields[what].string if what in backend._fields else what,
            )
        )

    @api.model
    def _hc_oauth_fingerprint(self, backend, client_secret):
        """Identifies the credentials a cached token was obtained with: changing the token
        URL, client, scope or secret invalidates it."""
        material = "\n".join(
            [
                backend.token_url or "",
                backend.client_id or "",
                backend.oauth_scope or "",
                hashlib.sha256(client_secret.encode()).hexdigest(),
            ]
        )
        return hashlib.sha256(material.encode()).hexdigest()

    @api.model
    def _hc_oauth_token(self, backend, session, force_refresh=False):
        """A valid access token: the cached one until shortly before its expiry, else a new
        one from the token endpoint (OAuth2 client credentials grant, RFC 6749 §4.4)."""
        client_secret = self._hc_required_secret(backend, "client_secret")
        for field_name in ("token_url", "client_id"):
            if not backend[field_name]:
                raise self._hc_missing_credential(backend, field_name)
        fingerprint = self._hc_oauth_fingerprint(backend, client_secret)
        now = fields.Datetime.now()
        if not force_refresh:
            cached = backend._hc_get_secret(TOKEN_SECRET_FIELD)
            try:
                cached = json.loads(cached) if cached else None
            except ValueError:
                cached = None
            if (
                isinstance(cached, dict)
                and cached.get("fingerprint") == fingerprint
                and cached.get("expires_at", "") > fields.Datetime.to_string(now)
            ):
                return cached["access_token"]
        token, lifetime = self._hc_fetch_token(backend, session, client_secret)
        expires_at = now + timedelta(seconds=max(0, lifetime - TOKEN_EXPIRY_MARGIN))
        self._hc_store_token(
            backend,
            json.dumps(
                {
                    "access_token": token,
                    "expires_at": fields.Datetime.to_string(expires_at),
                    "fingerprint": fingerprint,
                }
            ),
        )
        return token

    @api.model
    def _hc_fetch_token(self, backend, session, client_secret):
        """``(access_token, lifetime_seconds)`` from the token endpoint."""
        data = {"grant_type": "client_credentials"}
        if backend.oauth_scope:
            data["scope"] = backend.oauth_scope
        raw = f"{backend.client_id}:{client_secret}".encode()
        url = backend.token_url.strip()
        response = self._hc_send(
            backend,
            session,
            "POST",
            url,
            data=data,
            headers={
                "Accept": "application/json",
                "Authorization": "Basic " + base64.b64encode(raw).decode(),
            },
        )
        if response.status_code in (400, 401, 403):
            raise HttpBusinessError(
                self.env._(
                    "The token endpoint of %(backend)s refused the client credentials "
                    "(HTTP %(status)s); check the client ID, secret and scope.",
                    backend=backend.name,
                    status=response.status_code,
                ),
                status_code=response.status_code,
            )
        self._hc_check_response(backend, response, url)
        try:
            answer = response.json()
            token = answer["access_token"]
            token_type = (answer.get("token_type") or "bearer").lower()
            lifetime = int(answer.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, KeyError, TypeError, AttributeError):
            token, token_type, lifetime = None, None, 0
        if not isinstance(token, str) or not token or token_type != "bearer":
            raise HttpBusinessError(
                self.env._(
                    "The token endpoint of %(backend)s did not return a bearer access token.",
                    backend=backend.name,
                )
            )
        return token, lifetime

    @api.model
    def _hc_store_token(self, backend, value):
        """Cache the token, encrypted. Best effort: if another worker is writing it at the
        same moment, this worker simply uses its token without caching it."""
        try:
            with self.env.cr.savepoint():
                self.env["hc.integration.secret"]._set_secret(backend, TOKEN_SECRET_FIELD, value)
        except psycopg2.Error as error:
            _logger.info(
                "OAuth2 token of backend %s not cached (%s)", backend.id, type(error).__name__
            )

    @api.model
    def _hc_forget_token(self, backend):
        """Drop the cached OAuth2 token (e.g. after the credentials changed)."""
        self.env["hc.integration.secret"]._set_secret(backend.sudo(), TOKEN_SECRET_FIELD, False)
