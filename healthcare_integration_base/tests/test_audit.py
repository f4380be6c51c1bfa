import psycopg2

from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestAuditLog(IntegrationCase):
    def _entries(self, count=3):
        return self.Audit.concat(
            *(
                self.Audit._log("test.entry", f"entry {index}", backend=self.backend)
                for index in range(count)
            )
        )

    def _sql_refused(self, statement, params=()):
        with (
            self.assertRaises(psycopg2.Error) as caught,
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(flush=False),
        ):
            self.env.cr.execute(statement, params)
        self.assertIn("append-only", str(caught.exception))

    def test_orm_write_and_unlink_are_refused_even_to_the_superuser(self):
        entry = self._entries(1)
        for env in (self.env, self.env(user=SUPERUSER_ID, su=True)):
            with self.assertRaises(UserError):
                entry.with_env(env).write({"summary": "rewritten"})
            with self.assertRaises(UserError):
                entry.with_env(env).unlink()

    def test_database_refuses_update_delete_and_truncate(self):
        entry = self._entries(1)
        self.env.flush_all()
        self._sql_refused("UPDATE hc_integration_audit SET summary = 'x' WHERE id = %s", [entry.id])
        self._sql_refused("DELETE FROM hc_integration_audit WHERE id = %s", [entry.id])
        self._sql_refused("TRUNCATE hc_integration_audit")

    def test_sealing_is_the_one_update_allowed_and_only_once(self):
        entry = self._entries(1)
        self.assertGreater(self.Audit._seal(), 0)
        entry.invalidate_recordset()
        self.assertTrue(entry.hash and entry.seal_seq)
        self._sql_refused(
            "UPDATE hc_integration_audit SET hash = 'forged' WHERE id = %s", [entry.id]
        )

    def test_chain_verifies_when_intact(self):
        self._entries(5)
        ok, broken, reason, checked = self.Audit._verify_chain()
        self.assertTrue(ok, reason)
        self.assertFalse(broken)
        self.assertGreaterEqual(checked, 5)
        action = self.Audit.action_verify_chain()
        self.assertEqual(action["params"]["type"], "success")

    def _tamper(self, statement, params):
        """Change the table behind the trigger's back, as an attacker with DDL rights would."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "ALTER TABLE hc_integration_audit DISABLE TRIGGER hc_integration_audit_append_only"
        )
        cr.execute(statement, params)
        cr.execute(
            "ALTER TABLE hc_integration_audit ENABLE TRIGGER hc_integration_audit_append_only"
        )
        self.Audit.invalidate_model()

    def test_verification_names_the_first_modified_entry(self):
        entries = self._entries(5)
        self.Audit._seal()
        victim = entries[2]
        self._tamper(
            "UPDATE hc_integration_audit SET summary = 'nothing happened' WHERE id = %s",
            [victim.id],
        )
        ok, broken, reason, _checked = self.Audit._verify_chain()
        self.assertFalse(ok)
        self.assertEqual(broken, victim)
        self.assertIn("modified", reason)
        action = self.Audit.action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(f"#{victim.id}", action["params"]["message"])

    def test_verification_detects_a_recomputed_content_hash(self):
        entries = self._entries(4)
        self.Audit._seal()
        victim = entries[1]
        forged = dict(victim.read(["timestamp", "actor_type", "action", "trace_id"])[0])
        values = {
            "timestamp": victim.timestamp,
            "actor_type": victim.actor_type,
            "user_id": victim.user_id.id,
            "backend_id": victim.backend_id.id,
            "action": victim.action,
            "message_id": False,
            "res_model": False,
            "res_id": False,
            "trace_id": forged["trace_id"],
            "summary": "forged summary",
        }
        self._tamper(
            "UPDATE hc_integration_audit SET summary = %s, content_hash = %s WHERE id = %s",
            ["forged summary", self.Audit._content_hash(values), victim.id],
        )
        ok, broken, reason, _checked = self.Audit._verify_chain()
        self.assertFalse(ok)
        self.assertEqual(broken, victim)
        self.assertIn("chain", reason)

    def test_verification_detects_deleted_entries(self):
        entries = self._entries(4)
        self.Audit._seal()
        self._tamper("DELETE FROM hc_integration_audit WHERE id = %s", [entries[1].id])
        ok, broken, reason, _checked = self.Audit._verify_chain()
        self.assertFalse(ok)
        self.assertEqual(broken, entries[2])
        self.assertIn("missing", reason)

    def test_verification_detects_a_deleted_tail(self):
        entries = self._entries(3)
        self.Audit._seal()
        self._tamper("DELETE FROM hc_integration_audit WHERE id = %s", [entries[-1].id])
        ok, _broken, reason, _checked = self.Audit._verify_chain()
        self.assertFalse(ok)
        self.assertIn("latest entries", reason)

    def test_daily_verification_raises_an_alert_when_broken(self):
        entries = self._entries(2)
        self.Audit._seal()
        self._tamper("UPDATE hc_integration_audit SET action = 'x' WHERE id = %s", [entries[0].id])
        with mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_audit"):
            self.assertFalse(self.Audit._cron_verify_chain())
        alert = self.env["hc.integration.alert"].search(
            [("kind", "=", "audit_chain"), ("state", "=", "active")]
        )
        self.assertEqual(len(alert), 1)

    def test_state_changes_are_audited_with_actor_and_trace_without_payload(self):
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        message, _status = self.Message._hc_enqueue(
            self.flow,
            self.payload("A1", "Patricia Privacy", contact={"email": "patricia@example.org"}),
            external_id="evt-audit",
            traceparent=traceparent,
        )
        self.process()
        entries = self.Audit.search([("message_id", "=", message.id)], order="id")
        self.assertEqual(
            entries.mapped("action"), ["message.received", "message.processing", "message.done"]
        )
        self.assertEqual(set(entries.mapped("trace_id")), {"4bf92f3577b34da6a3ce929d0e0e4736"})
        self.assertEqual(set(entries.mapped("actor_type")), {"system"})
        for summary in entries.mapped("summary"):
            self.assertNotIn("Patricia", summary)
            self.assertNotIn("patricia@example.org", summary)

    def test_actor_types(self):
        user = new_test_user(
            self.env, "hc_audit_actor", groups="healthcare_integration_base.group_integration_user"
        )
        self.assertEqual(self.Audit.with_user(user)._log("x", "by a person").actor_type, "user")
        self.assertEqual(self.Audit._log("x", "by the system").actor_type, "system")
        self.assertEqual(
            self.Audit.with_context(hc_actor="backend")._log("x", "by a backend").actor_type,
            "backend",
        )

    def test_configuration_and_mapping_changes_are_audited(self):
        self.flow.max_attempts = 7
        self.assertTrue(
            self.Audit.search(
                [
                    ("action", "=", "flow.write"),
                    ("res_id", "=", self.flow.id),
                    ("summary", "like", "max_attempts"),
                ]
            )
        )
        mapping = self.Mapping.create(
            {
                "mapping_type": "partner_category",
                "external_code": "GOLD",
                "target_ref": f"res.partner.category,{self.category.id}",
            }
        )
        self.assertTrue(
            self.Audit.search([("action", "=", "mapping.create"), ("res_id", "=", mapping.id)])
        )

    def test_users_cannot_read_the_audit_log(self):
        user = new_test_user(
            self.env, "hc_audit_reader", groups="healthcare_integration_base.group_integration_user"
        )
        self._entries(1)
        with self.assertRaises(AccessError):
            self.Audit.with_user(user).search([])

    def test_runtime_fields_of_a_flow_are_not_logged_as_configuration(self):
        before = self.Audit.search_count([("action", "=", "flow.write")])
        self.flow.write({"pull_cursor": "page-2", "pull_last_at": self.later(minutes=1)})
        self.assertEqual(self.Audit.search_count([("action", "=", "flow.write")]), before)
        self.flow.write({"pull_page_size": 50})
        self.assertEqual(self.Audit.search_count([("action", "=", "flow.write")]), before + 1)
