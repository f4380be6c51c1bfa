import hashlib
import os
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..tools import audit_chain
from .common import TEST_AUDIT_KEY, IntegrationCase


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
        report = self.Audit._verify_chain()
        self.assertTrue(report.ok, report.reason)
        self.assertFalse(report.entry)
        self.assertGreaterEqual(report.checked, 5)
        self.assertEqual(report.unsealed, 0)
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
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertEqual(report.entry, victim)
        self.assertIn("modified", report.reason)
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
            "company_id": victim.company_id.id,
        }
        self._tamper(
            "UPDATE hc_integration_audit SET summary = %s, content_hash = %s WHERE id = %s",
            ["forged summary", self.Audit._content_hash(values), victim.id],
        )
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertEqual(report.entry, victim)
        self.assertIn("chain hash is wrong", report.reason)

    def test_verification_detects_deleted_entries(self):
        entries = self._entries(4)
        self.Audit._seal()
        self._tamper("DELETE FROM hc_integration_audit WHERE id = %s", [entries[1].id])
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertEqual(report.entry, entries[2])
        self.assertIn("missing", report.reason)

    def test_verification_detects_a_deleted_tail(self):
        entries = self._entries(3)
        self.Audit._seal()
        self._tamper("DELETE FROM hc_integration_audit WHERE id = %s", [entries[-1].id])
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertIn("latest entries", report.reason)

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


@tagged("post_install", "-at_install")
class TestKeyedAuditChain(IntegrationCase):
    """The chain is an HMAC keyed outside the database: whoever can rewrite the table
    (trigger disabled) and recompute hashes still cannot produce a chain that verifies."""

    def _entries(self, count=4):
        entries = self.Audit.concat(
            *(
                self.Audit._log("test.keyed", f"entry {i}", backend=self.backend)
                for i in range(count)
            )
        )
        self.Audit._seal()
        return entries

    def _chain_rows(self):
        self.env.cr.execute(
            "SELECT id, content_hash, seal_key_id FROM hc_integration_audit "
            "WHERE seal_seq IS NOT NULL ORDER BY seal_seq, id"
        )
        return self.env.cr.fetchall()

    def _insert_sql(self, timestamp, summary):
        """A forged row (content hash correct for its content), as an attacker would add."""
        values = {
            "timestamp": timestamp,
            "actor_type": "system",
            "user_id": SUPERUSER_ID,
            "backend_id": self.backend.id,
            "action": "test.keyed",
            "summary": summary,
            "company_id": self.backend.company_id.id,
        }
        values["content_hash"] = self.Audit._content_hash(values)
        self.env.cr.execute(
            "INSERT INTO hc_integration_audit (timestamp, actor_type, user_id, backend_id, "
            "action, summary, company_id, content_hash) VALUES "
            "(%(timestamp)s, %(actor_type)s, %(user_id)s, %(backend_id)s, %(action)s, "
            "%(summary)s, %(company_id)s, %(content_hash)s) RETURNING id",
            values,
        )
        return self.Audit.browse(self.env.cr.fetchone()[0])

    def _insert_and_rechain(self, after, key_id_of):
        """Disable the trigger, insert a back-dated row right after ``after`` in the chain,
        renumber and recompute the whole chain with plain SHA-256, move the head."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "ALTER TABLE hc_integration_audit DISABLE TRIGGER hc_integration_audit_append_only"
        )
        forged = self._insert_sql(after.timestamp, "nothing to see")
        rows = self._chain_rows()
        position = [row[0] for row in rows].index(after.id) + 1
        rows.insert(position, (forged.id, forged.content_hash, None))
        prev = ""
        for seq, (entry_id, content_hash, key_id) in enumerate(rows, start=1):
            new_hash = hashlib.sha256(f"{prev}:{content_hash}".encode()).hexdigest()
            cr.execute(
                "UPDATE hc_integration_audit SET seal_seq = %s, prev_hash = %s, hash = %s, "
                "seal_key_id = %s WHERE id = %s",
                (seq, prev, new_hash, key_id_of(key_id), entry_id),
            )
            prev = new_hash
        cr.execute(
            "UPDATE hc_integration_audit_seal SET last_seq = %s, last_hash = %s WHERE id = 1",
            (len(rows), prev),
        )
        cr.execute(
            "ALTER TABLE hc_integration_audit ENABLE TRIGGER hc_integration_audit_append_only"
        )
        self.Audit.invalidate_model()
        return forged

    def test_entries_are_sealed_with_an_hmac_of_the_configured_key(self):
        entry = self._entries(1)
        key = TEST_AUDIT_KEY.encode()
        self.assertEqual(entry.seal_key_id, audit_chain.key_id(key))
        self.assertEqual(
            entry.hash,
            audit_chain.seal_hash(key, entry.seal_seq, entry.prev_hash, entry.content_hash),
        )
        self.assertNotIn(TEST_AUDIT_KEY, entry.seal_key_id)

    def test_forged_row_in_a_recomputed_plain_chain_is_detected(self):
        entries = self._entries(4)
        self._insert_and_rechain(entries[1], key_id_of=lambda key_id: key_id)
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertIn("not sealed with the audit key", report.reason)

    def test_forged_row_in_a_chain_passed_off_as_unkeyed_is_detected(self):
        entries = self._entries(4)
        self._insert_and_rechain(entries[1], key_id_of=lambda _key_id: None)
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertIn("without the audit key", report.reason)

    def test_a_second_row_at_the_same_position_is_detected(self):
        entries = self._entries(3)
        victim = entries[1]
        self.env.flush_all()
        cr = self.env.cr
        forged = self._insert_sql(victim.timestamp, "a copy")
        cr.execute(
            "ALTER TABLE hc_integration_audit DISABLE TRIGGER hc_integration_audit_append_only"
        )
        cr.execute(
            "UPDATE hc_integration_audit SET (seal_seq, prev_hash, hash, seal_key_id) = "
            "(SELECT seal_seq, prev_hash, hash, seal_key_id FROM hc_integration_audit "
            "WHERE id = %s) WHERE id = %s",
            (victim.id, forged.id),
        )
        cr.execute(
            "ALTER TABLE hc_integration_audit ENABLE TRIGGER hc_integration_audit_append_only"
        )
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertEqual(report.entry, forged)
        self.assertIn("claim chain position", report.reason)

    def test_deleted_latest_entries_with_the_head_moved_back_are_detected(self):
        entries = self._entries(3)
        last, before_last = entries[-1], entries[-2]
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE hc_integration_audit DISABLE TRIGGER hc_integration_audit_append_only"
        )
        cr.execute("DELETE FROM hc_integration_audit WHERE id = %s", [last.id])
        cr.execute(
            "ALTER TABLE hc_integration_audit ENABLE TRIGGER hc_integration_audit_append_only"
        )
        cr.execute(
            "UPDATE hc_integration_audit_seal SET last_seq = %s, last_hash = %s WHERE id = 1",
            (before_last.seal_seq, before_last.hash),
        )
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertIn("head of the chain was moved back", report.reason)

    def test_a_back_dated_row_inserted_without_the_trigger_is_detected(self):
        """INSERT is allowed (Odoo writes entries): a row claiming to be three days old is
        sealed at the head of the chain, and verification names its forged time."""
        self._entries(2)
        forged = self._insert_sql(fields.Datetime.now() - timedelta(days=3), "back-dated")
        report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertEqual(report.entry, forged)
        self.assertIn("forged time", report.reason)

    def test_without_a_key_nothing_is_sealed_and_verification_counts_the_waiting(self):
        logger = "odoo.addons.healthcare_integration_base.models.hc_integration_audit"
        with patch.dict(os.environ, {"HC_AUDIT_KEY": ""}), mute_logger(logger):
            self._entries(3)
            report = self.Audit._verify_chain()
            action = self.Audit.action_verify_chain()
        self.assertTrue(report.ok, report.reason)
        self.assertGreaterEqual(report.unsealed, 3)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("not sealed", action["params"]["message"])
        # once a key is configured, the waiting entries are sealed and verified
        report = self.Audit._verify_chain()
        self.assertTrue(report.ok, report.reason)
        self.assertEqual(report.unsealed, 0)

    def test_rotation_new_key_first_old_keys_still_verify(self):
        old_entries = self._entries(2)
        new_key = "a-new-audit-key-after-rotation"
        with patch.dict(os.environ, {"HC_AUDIT_KEY": f"{new_key},{TEST_AUDIT_KEY}"}):
            new_entries = self._entries(2)
            report = self.Audit._verify_chain()
        self.assertTrue(report.ok, report.reason)
        self.assertEqual(
            set(new_entries.mapped("seal_key_id")), {audit_chain.key_id(new_key.encode())}
        )
        self.assertNotEqual(old_entries[0].seal_key_id, new_entries[0].seal_key_id)
        with patch.dict(os.environ, {"HC_AUDIT_KEY": new_key}):
            report = self.Audit._verify_chain()
        self.assertFalse(report.ok)
        self.assertIn("not configured", report.reason)

    def test_a_short_key_is_refused(self):
        """Sealing (in the maintenance cron) logs it and goes on; verification refuses."""
        self._entries(1)
        logger = "odoo.addons.healthcare_integration_base.models.hc_integration_audit"
        with patch.dict(os.environ, {"HC_AUDIT_KEY": "short"}):
            self.Audit._log("test.keyed", "waits")
            with mute_logger(logger):
                self.assertEqual(self.Audit._seal(), 0)
                with self.assertRaises(UserError):
                    self.Audit._verify_chain()
