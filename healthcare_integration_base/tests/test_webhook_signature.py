import base64
import os
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import standard_webhooks
from .http_common import OTHER_SECRET, SPEC_SECRET, WebhookHttpCase

SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@tagged("post_install", "-at_install")
class TestWebhookSignature(WebhookHttpCase):
    """Standard Webhooks verification through the real route: fail closed, spec vector,
    several signatures, unknown versions, rotation, timestamp tolerance."""

    def test_spec_vector_helper(self):
        self.assertEqual(
            standard_webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE
        )
        headers = {
            "webhook-id": SPEC_ID,
            "webhook-timestamp": str(SPEC_TIMESTAMP),
            "webhook-signature": SPEC_SIGNATURE,
        }
        self.assertEqual(
            standard_webhooks.verify([SPEC_SECRET], headers, SPEC_BODY, now=SPEC_TIMESTAMP + 5),
            SPEC_ID,
        )

    def test_spec_vector_through_the_route(self):
        """The published example, exactly as sent by a Standard Webhooks library, passes
        the route's verification (the flow then refuses the body: it is no contact)."""
        # the example is from 2021: widen the tolerance instead of moving the clock
        self.backend.timestamp_tolerance = 10**9
        headers = {
            "webhook-id": SPEC_ID,
            "webhook-timestamp": str(SPEC_TIMESTAMP),
            "webhook-signature": SPEC_SIGNATURE,
        }
        with mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_webhook"):
            response = self.post_event(SPEC_BODY, headers=headers, sign=False)
        body = self.assertProblem(response, 422, "/schema")
        self.assertIn("/schema_version", {error["path"] for error in body["errors"]})
        # a single changed byte and the same headers: refused as unsigned
        response = self.post_event(b'{"test": 2432232315}', headers=headers, sign=False)
        self.assertProblem(response, 401, "/signature")

    def test_good_signature_accepted(self):
        response = self.post_event()
        self.assertEqual(response.status_code, 202, response.text)

    def test_bad_signature_refused(self):
        data = self.encode(self.event())
        headers = self.signed_headers(data, secret=OTHER_SECRET)
        before = self.rejections()
        response = self.post_event(data, headers=headers, sign=False)
        body = self.assertProblem(response, 401)
        self.assertEqual(body["detail"], "no valid signature")
        self.assertRejectedOnce(before, 401)

    def test_missing_signature_refused(self):
        for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            data = self.encode(self.event())
            headers = self.signed_headers(data)
            del headers[missing]
            response = self.post_event(data, headers=headers, sign=False)
            self.assertProblem(response, 401)
        response = self.post_event(sign=False)
        self.assertProblem(response, 401)

    def test_garbage_headers_are_401_never_errors(self):
        data = self.encode(self.event())
        good = self.signed_headers(data)
        garbage = [
            {"webhook-signature": "nonsense"},
            {"webhook-signature": "v1,!!!not-base64!!!"},
            {"webhook-signature": "v1,"},
            {"webhook-signature": ","},
            {"webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()},
            {"webhook-timestamp": "yesterday"},
            {"webhook-timestamp": "1e10"},
            {"webhook-timestamp": "-1"},
            {"webhook-timestamp": "9" * 40},
            {"webhook-id": "x" * 300},
        ]
        for change in garbage:
            with self.subTest(change=change):
                response = self.post_event(data, headers=dict(good, **change), sign=False)
                self.assertProblem(response, 401)

    def test_several_signatures_one_valid(self):
        data = self.encode(self.event())
        headers = self.signed_headers(data)
        wrong = standard_webhooks.sign(
            OTHER_SECRET, headers["webhook-id"], int(headers["webhook-timestamp"]), data
        )
        headers["webhook-signature"] = f"{wrong} v1a,abc v2,xyz {headers['webhook-signature']}"
        response = self.post_event(data, headers=headers, sign=False)
        self.assertEqual(response.status_code, 202, response.text)

    def test_unknown_versions_only_refused(self):
        data = self.encode(self.event())
        headers = self.signed_headers(data)
        value = headers["webhook-signature"].split(",", 1)[1]
        headers["webhook-signature"] = f"v2,{value} v1a,{value}"
        response = self.post_event(data, headers=headers, sign=False)
        self.assertProblem(response, 401)

    def test_secret_without_prefix(self):
        self.backend.webhook_secret = SPEC_SECRET.removeprefix("whsec_")
        response = self.post_event()  # signed with the prefixed form
        self.assertEqual(response.status_code, 202, response.text)

    def test_rotation_previous_secret_until_expiry(self):
        self.backend.action_rotate_webhook_secret(OTHER_SECRET, keep_previous_hours=1)
        self.assertEqual(self.post_event(secret=OTHER_SECRET).status_code, 202)
        self.assertEqual(self.post_event(secret=SPEC_SECRET).status_code, 202)
        self.backend.webhook_secret_previous_expiry = fields.Datetime.now() - timedelta(seconds=1)
        self.assertProblem(self.post_event(secret=SPEC_SECRET), 401)
        self.assertEqual(self.post_event(secret=OTHER_SECRET).status_code, 202)

    def test_timestamp_tolerance(self):
        self.backend.timestamp_tolerance = 60
        self.assertEqual(self.post_event(timestamp=self.now() - 30).status_code, 202)
        self.assertEqual(self.post_event(timestamp=self.now() + 30).status_code, 202)
        before = self.rejections()
        past = self.assertProblem(self.post_event(timestamp=self.now() - 600), 401)
        self.assertIn("tolerance", past["detail"])
        self.assertRejectedOnce(before, 401)
        self.assertProblem(self.post_event(timestamp=self.now() + 600), 401)

    def test_no_secret_configured_fails_closed(self):
        self.backend._hc_clear_secret("webhook_secret")
        before = self.rejections()
        self.assertProblem(self.post_event(), 401)
        entry = self.assertRejectedOnce(before, 401)
        self.assertIn("no signing secret", entry.summary)

    def test_undecryptable_secret_is_503_not_401(self):
        """A wrong encryption key on the server is our problem, not the sender's: 503 and
        Retry-After so that the event is sent again once the key is fixed."""
        other_key = base64.urlsafe_b64encode(b"another-32-byte-key-for-tests!!!").decode()
        before = self.rejections()
        with (
            patch.dict(os.environ, {"HC_INTEGRATION_KEY": other_key}),
            mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_webhook"),
        ):
            response = self.post_event()
        self.assertProblem(response, 503)
        self.assertGreater(int(response.headers["Retry-After"]), 0)
        entry = self.assertRejectedOnce(before, 503)
        self.assertIn("cannot be decrypted", entry.summary)
