import base64
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.models.hc_integration_http_client import (
    TOKEN_SECRET_FIELD,
    HttpBusinessError,
    HttpRetryableError,
    parse_retry_after,
)
from odoo.addons.healthcare_integration_base.tools.tracecontext import (
    new_trace_id,
    parse_traceparent,
)

from .stand_ins import (
    HrisStandIn,
    OAuthStandIn,
    Reply,
    TransportCase,
    problem,
    unused_url,
)

NOW = datetime(2031, 3, 3, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestHttpClient(TransportCase):
    def setUp(self):
        super().setUp()
        self.hris = self.start(
            HrisStandIn(items=[{"id": "W1", "updated_at": "2031-01-01T00:00:00Z"}])
        )
        self.backend.write({"base_url": self.hris.url + "/api", "auth_kind": "none"})

    def get(self, path="/workers", **kwargs):
        return self.Client._hc_request(self.backend, "GET", path, **kwargs)

    # ------------------------------------------------------------------------------------
    # Authentication kinds: the stand-in checks the header
    # ------------------------------------------------------------------------------------
    def test_auth_none_sends_no_credentials(self):
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.hris.requests[0].path, "/api/workers")
        self.assertIsNone(self.hris.requests[0].header("Authorization"))
        self.assertEqual(self.hris.requests[0].header("Accept"), "application/json")

    def test_auth_api_key_header(self):
        self.backend.write(
            {"auth_kind": "api_key", "api_key_header": "X-Api-Token", "api_key": "k-123"}
        )
        self.hris.expect_header("X-Api-Token", "k-123")
        self.assertEqual(self.get().status_code, 200)
        self.backend.api_key = "wrong"
        with self.assertRaises(HttpBusinessError) as caught:
            self.get()
        self.assertEqual(caught.exception.status_code, 401)
        self.assertNotIn("wrong", caught.exception.message)

    def test_auth_bearer(self):
        self.backend.write({"auth_kind": "bearer", "api_key": "bearer-xyz"})
        self.hris.expect_bearer("bearer-xyz")
        self.assertEqual(self.get().status_code, 200)

    def test_auth_basic(self):
        self.backend.write({"auth_kind": "basic", "username": "odoo", "password": "pw:1"})
        self.hris.expect_basic("odoo", "pw:1")
        self.assertEqual(self.get().status_code, 200)

    def test_missing_credentials_are_a_business_error(self):
        self.backend.write({"auth_kind": "bearer"})
        with self.assertRaises(HttpBusinessError) as caught:
            self.get()
        self.assertIn("API key", caught.exception.message)
        self.assertFalse(self.hris.requests, "nothing is sent without the credentials")

    # ------------------------------------------------------------------------------------
    # OAuth2 client credentials
    # ------------------------------------------------------------------------------------
    def oauth_backend(self, lifetime=3600):
        oauth = self.start(OAuthStandIn(lifetime=lifetime))
        self.backend.write(
            {
                "auth_kind": "oauth2",
                "token_url": oauth.token_url,
                "client_id": "odoo",
                "client_secret": "s3cret",
                "oauth_scope": "workers.read",
            }
        )
        self.hris.expect_oauth(oauth)
        return oauth

    def test_oauth2_token_cached_encrypted(self):
        oauth = self.oauth_backend()
        self.get()
        self.get()
        self.assertEqual(len(oauth.token_requests), 1, "the token is reused")
        self.assertEqual(oauth.scopes, ["workers.read"])
        token = self.hris.requests[-1].header("Authorization").removeprefix("Bearer ")
        self.assertTrue(oauth.accepts(f"Bearer {token}"))
        stored = (
            self.env["hc.integration.secret"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "hc.integration.backend"),
                    ("res_id", "=", self.backend.id),
                    ("field_name", "=", TOKEN_SECRET_FIELD),
                ]
            )
        )
        self.assertEqual(len(stored), 1)
        self.assertNotIn(token, stored.ciphertext, "the token is stored encrypted only")

    def test_oauth2_token_refreshed_after_expiry(self):
        oauth = self.oauth_backend(lifetime=600)
        with freeze_time(NOW) as frozen:
            self.get()
            frozen.tick(timedelta(seconds=500))
            self.get()
            self.assertEqual(len(oauth.token_requests), 1)
            # within the safety margin before expiry: a new token
            frozen.tick(timedelta(seconds=80))
            self.get()
            self.assertEqual(len(oauth.token_requests), 2)

    def test_oauth2_refreshed_once_on_401(self):
        oauth = self.oauth_backend()
        self.get()
        oauth.revoke_all()  # e.g. the HRIS restarted and forgot its tokens
        self.assertEqual(self.get().status_code, 200)
        self.assertEqual(len(oauth.token_requests), 2)
        # a resource server that refuses every token: one refresh, then an error
        self.hris.auth_check = lambda request: False
        with self.assertRaises(HttpBusinessError) as caught:
            self.get()
        self.assertEqual(caught.exception.status_code, 401)
        self.assertEqual(len(oauth.token_requests), 3, "refreshed once, not in a loop")

    def test_oauth2_refused_credentials(self):
        oauth = self.oauth_backend()
        oauth.client_secret = "rotated-on-the-other-side"
        with self.assertRaises(HttpBusinessError) as caught:
            self.get()
        self.assertIn("refused the client credentials", caught.exception.message)
        self.assertNotIn("s3cret", caught.exception.message)

    def test_oauth2_token_endpoint_down_is_retryable(self):
        oauth = self.oauth_backend()
        oauth.queue(Reply(503, headers={"Retry-After": "30"}))
        with self.assertRaises(HttpRetryableError) as caught:
            self.get()
        self.assertEqual(caught.exception.delay, 30)

    def test_oauth2_new_credentials_invalidate_the_cached_token(self):
        oauth = self.oauth_backend()
        self.get()
        oauth.client_id = "odoo-2"
        self.backend.client_id = "odoo-2"
        self.get()
        self.assertEqual(len(oauth.token_requests), 2)

    # ------------------------------------------------------------------------------------
    # Trace context
    # ------------------------------------------------------------------------------------
    def test_traceparent_propagated_with_a_new_span(self):
        trace_id = new_trace_id()
        self.get(trace_id=trace_id)
        self.get(trace_id=trace_id)
        parsed = [parse_traceparent(r.header("traceparent")) for r in self.hris.requests]
        self.assertEqual([p[0] for p in parsed], [trace_id, trace_id])
        self.assertNotEqual(parsed[0][1], parsed[1][1], "one span per call")
        self.get()
        self.assertIsNone(self.hris.requests[-1].header("traceparent"))

    # ------------------------------------------------------------------------------------
    # Error classification
    # ------------------------------------------------------------------------------------
    def test_429_and_503_honour_retry_after(self):
        self.hris.queue(Reply(429, headers={"Retry-After": "120"}))
        with self.assertRaises(HttpRetryableError) as caught:
            self.get()
        self.assertEqual((caught.exception.status_code, caught.exception.delay), (429, 120))
        when = datetime.now(timezone.utc) + timedelta(minutes=10)
        self.hris.queue(Reply(503, headers={"Retry-After": format_datetime(when, usegmt=True)}))
        with self.assertRaises(HttpRetryableError) as caught:
            self.get()
        self.assertAlmostEqual(caught.exception.delay, 600, delta=3)

    def test_5xx_retryable_4xx_business(self):
        self.hris.queue(Reply(500, {"detail": "stack trace with Jane Doe"}))
        with self.assertRaises(HttpRetryableError) as caught:
            self.get()
        self.assertIsNone(caught.exception.delay)
        self.assertIn("HTTP 500", caught.exception.message)
        self.assertIn("/api/workers", caught.exception.message)
        self.assertNotIn("Jane", caught.exception.message)
        cases = [(400, "validation"), (404, "technical"), (409, "conflict"), (422, "validation")]
        for status, category in cases:
            with self.subTest(status=status):
                self.hris.queue(problem(status, "Problem title"))
                with self.assertRaises(HttpBusinessError) as caught:
                    self.get()
                self.assertEqual(caught.exception.status_code, status)
                self.assertEqual(caught.exception.category, category)
                self.assertIn("(Problem title)", caught.exception.message)

    def test_redirects_are_not_followed(self):
        self.hris.queue(Reply(302, headers={"Location": "http://localhost:1/steal"}))
        with self.assertRaises(HttpBusinessError) as caught:
            self.get()
        self.assertIn("redirects are not followed", caught.exception.message)
        self.assertEqual(len(self.hris.requests), 1)

    def test_network_error_is_retryable(self):
        self.backend.base_url = unused_url()
        with self.assertRaises(HttpRetryableError) as caught:
            self.get()
        self.assertIsNone(caught.exception.status_code)
        self.assertIn("could not be reached", caught.exception.message)

    def test_absolute_urls_stay_on_the_backend(self):
        self.assertEqual(self.get(self.hris.url + "/api/workers").status_code, 200)
        other = self.hris.url.replace("127.0.0.1", "localhost")
        with self.assertRaises(HttpBusinessError):
            self.get(other + "/api/workers")
        self.backend.base_url = False
        with self.assertRaises(HttpBusinessError):
            self.get()

    def test_secrets_and_bodies_never_logged(self):
        self.backend.write({"auth_kind": "bearer", "api_key": "very-secret-token"})
        self.hris.expect_bearer("very-secret-token")
        self.hris.queue(Reply(500, {"name": "Jane Doe"}))
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.healthcare_integration_base").debug("start")
            with self.assertRaises(HttpRetryableError) as caught:
                self.get(trace_id=new_trace_id())
            self.get()
        text = "\n".join(logs.output) + caught.exception.message
        self.assertNotIn("very-secret-token", text)
        self.assertNotIn(base64.b64encode(b"very-secret-token").decode(), text)
        self.assertNotIn("Jane", text)


@tagged("post_install", "-at_install")
class TestRetryAfter(TransportCase):
    def test_parse_retry_after(self):
        now = datetime(2031, 3, 3, 8, 0, 0, tzinfo=timezone.utc)
        self.assertEqual(parse_retry_after("120"), 120)
        self.assertEqual(parse_retry_after(" 0 "), 0)
        self.assertEqual(parse_retry_after("Mon, 03 Mar 2031 08:05:00 GMT", now=now), 300)
        self.assertEqual(parse_retry_after("Mon, 03 Mar 2031 07:00:00 GMT", now=now), 0)
        self.assertEqual(parse_retry_after("99999999"), 24 * 3600)
        for value in (None, "", "soon", "-5"):
            self.assertIsNone(parse_retry_after(value), value)
