import hashlib

from odoo.tests import tagged

from .rpc_common import RpcCase

#: Engine fields of a message a person could use to move, hide or re-run it.
MESSAGE_ENGINE_VALUES = {
    "company_id": False,
    "wait_key": "mapping:1",
    "ordering_key": "employee:someone-else",
    "next_attempt_at": "2000-01-01 00:00:00",
    "lease_expires_at": "2000-01-01 00:00:00",
    "payload_purged_at": "2000-01-01 00:00:00",
    "attempts": 0,
    "payload": {"contact": {}},
    "state": "pending",
}


@tagged("post_install", "-at_install")
class TestEngineFieldsGuard(RpcCase):
    """Resolvers act on exceptions through the actions only: no write over RPC can
    re-point an exception to another message, close it, or move a message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.message = cls._failed_message("guard-1")
        cls.exception = cls.message.exception_ids
        nobody = cls.env["res.groups"].create({"name": "Nobody here"})
        other_flow = cls.flow.copy({"code": "hidden_flow", "owning_group_id": nobody.id})
        cls.hidden = cls._failed_message("guard-hidden", flow=other_flow)

    @classmethod
    def _failed_message(cls, event_id, flow=None):
        message, _status = cls.Message._hc_enqueue(
            flow or cls.flow,
            {
                "event_type": "contact.upsert",
                "schema_version": "1.0",
                "contact": {"external_id": event_id, "name": "Someone"},
                "simulate": "business",
            },
            external_id=event_id,
        )
        cls.env["hc.integration.processor"]._cron_process_queue(lane=1)
        assert message.state == "exception", message.state
        return message

    def test_exception_cannot_be_repointed_or_closed_by_a_write(self):
        for user in (self.resolver, self.manager):
            for values in (
                {"message_id": self.hidden.id},
                {"state": "ignored"},
                {"resolution_note": "closed by hand"},
                {"flow_id": False},
                {"company_id": False},
            ):
                with self.subTest(user=user.login, values=values):
                    self.assertRpcRefused(
                        user,
                        "hc.integration.exception",
                        "write",
                        [self.exception.id],
                        values,
                        context={"hc_engine": True},
                        match="through their actions only",
                        error="AccessError",
                    )
        self.exception.invalidate_recordset()
        self.assertEqual(self.exception.message_id, self.message)
        self.assertEqual(self.exception.state, "open")
        self.assertEqual(self.hidden.state, "exception", "the hidden message was not cancelled")

    def test_message_engine_fields_are_refused_to_everyone_over_rpc(self):
        for user in (self.resolver, self.manager):
            for name, value in MESSAGE_ENGINE_VALUES.items():
                with self.subTest(user=user.login, field=name):
                    self.assertRpcRefused(
                        user,
                        "hc.integration.message",
                        "write",
                        [self.message.id],
                        {name: value},
                        match="integration engine only",
                        error="AccessError",
                    )
        self.message.invalidate_recordset()
        self.assertEqual(self.message.state, "exception")
        self.assertTrue(self.message.company_id)

    def test_resolver_still_assigns_retries_and_ignores_through_the_actions(self):
        self.rpc(
            self.resolver,
            "hc.integration.exception",
            "write",
            [self.exception.id],
            {"user_id": self.resolver.id},
        )
        self.assertEqual(self.exception.user_id, self.resolver)
        self.rpc(self.resolver, "hc.integration.exception", "action_retry", [self.exception.id])
        self.assertEqual(self.message.state, "pending")
        self.env["hc.integration.processor"]._cron_process_queue(lane=1)
        exception = self.message.exception_ids.filtered(lambda e: e.state == "open")
        wizard_id = self.rpc(
            self.resolver,
            "hc.integration.exception.ignore",
            "create",
            {"exception_ids": [(6, 0, exception.ids)], "note": "Entered by hand."},
        )
        self.rpc(self.resolver, "hc.integration.exception.ignore", "action_confirm", [wizard_id])
        self.assertEqual(exception.state, "ignored")
        self.assertEqual(self.message.state, "cancelled")

    def test_an_ignore_note_never_reaches_the_audit(self):
        """People type names into notes: the audit keeps who, when, length and SHA-256."""
        planted = "Patient Zelda Plantednote, born 1961-07-04, member M-99871"
        wizard_id = self.rpc(
            self.resolver,
            "hc.integration.exception.ignore",
            "create",
            {"exception_ids": [(6, 0, self.exception.ids)], "note": planted},
        )
        self.rpc(self.resolver, "hc.integration.exception.ignore", "action_confirm", [wizard_id])
        self.assertEqual(self.exception.resolution_note, planted, "the note stays on it")
        self.env.flush_all()
        for fragment in ("Plantednote", "1961-07-04", "M-99871"):
            self.env.cr.execute(
                "SELECT count(*) FROM hc_integration_audit a WHERE a::text LIKE %s",
                [f"%{fragment}%"],
            )
            self.assertEqual(self.env.cr.fetchone()[0], 0, fragment)
        entry = self.Audit.search(
            [("action", "=", "exception.ignored"), ("message_id", "=", self.message.id)]
        )
        self.assertEqual(entry.user_id, self.resolver)
        self.assertTrue(entry.timestamp)
        self.assertIn(f"note of {len(planted)} characters", entry.summary)
        self.assertIn(hashlib.sha256(planted.encode()).hexdigest(), entry.summary)
