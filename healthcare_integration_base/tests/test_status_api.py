from odoo.tests import new_test_user, tagged

from .http_common import WebhookHttpCase


@tagged("post_install", "-at_install")
class TestStatusApi(WebhookHttpCase):
    """``GET /healthcare/api/v1/messages/<event id>`` with real Odoo API keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api_user = new_test_user(cls.env, login="hc_t1_sender", groups="base.group_user")
        cls.other_user = new_test_user(cls.env, login="hc_t1_stranger", groups="base.group_user")
        cls.backend.integration_user_id = cls.api_user
        Keys = cls.env["res.users.apikeys"]
        cls.key = Keys.with_user(cls.api_user).sudo()._generate(None, "sender", None)
        cls.other_key = Keys.with_user(cls.other_user).sudo()._generate(None, "other", None)

    def status(self, event_id, key=None):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.url_open(f"/healthcare/api/v1/messages/{event_id}", headers=headers)

    def test_status_of_own_event(self):
        event_id = self.new_event_id()
        self.assertEqual(self.post_event(event_id=event_id).status_code, 202)
        message = self.Message.search([("external_id", "=", event_id)])
        response = self.status(event_id, self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        body = response.json()
        self.assertEqual(body["event_id"], event_id)
        self.assertEqual(body["message_id"], message.id)
        self.assertEqual(body["backend"], self.backend.code)
        self.assertEqual(body["flow"], self.flow.code)
        self.assertEqual(body["state"], "pending")
        self.assertEqual(body["attempts"], 0)
        self.assertIsNone(body["last_error"])
        self.assertEqual(body["records"], [])
        self.assertNotIn("payload", body)

    def test_status_after_processing_lists_records_and_errors(self):
        done_id, failed_id = self.new_event_id(), self.new_event_id()
        self.post_event(self.event(external_id="S1", name="Status Contact"), event_id=done_id)
        self.post_event(self.event(simulate="business"), event_id=failed_id)
        processor = self.env["hc.integration.processor"]
        while processor._cron_process_queue(lane=1, direction="inbound"):
            pass
        body = self.status(done_id, self.key).json()
        self.assertEqual(body["state"], "done")
        self.assertEqual(body["attempts"], 1)
        self.assertTrue(body["finished_at"])
        partner = self.env["hc.integration.binding"]._find_record(
            self.backend, "contact", "S1", "res.partner"
        )
        self.assertEqual(
            body["records"],
            [{"model": "res.partner", "id": partner.id, "display_name": "Status Contact"}],
        )
        body = self.status(failed_id, self.key).json()
        self.assertEqual(body["state"], "exception")
        self.assertEqual(body["last_error"]["class"], "validation")
        self.assertIn("cannot be applied", body["last_error"]["summary"])

    def test_unknown_or_foreign_events_are_404(self):
        event_id = self.new_event_id()
        self.post_event(event_id=event_id)
        self.assertProblem(self.status("no-such-event", self.key), 404)
        # another user's valid key: the event exists but is not theirs
        self.assertProblem(self.status(event_id, self.other_key), 404)
        # the same event id on a backend of another integration user
        self.backend.integration_user_id = self.other_user
        self.assertProblem(self.status(event_id, self.key), 404)
        self.assertEqual(self.status(event_id, self.other_key).status_code, 200)

    def test_missing_or_invalid_key_is_401(self):
        event_id = self.new_event_id()
        self.post_event(event_id=event_id)
        response = self.status(event_id)
        self.assertProblem(response, 401)
        self.assertIn("Bearer", response.headers.get("WWW-Authenticate", ""))
        self.assertProblem(self.status(event_id, "not-a-key"), 401)
        self.assertProblem(self.status(event_id, self.key + "x"), 401)
