import hashlib
import logging

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from ..tools.payload import canonical_json

_logger = logging.getLogger(__name__)

#: Columns covered by an entry's content hash, in this order.
HASHED_FIELDS = (
    "timestamp",
    "actor_type",
    "user_id",
    "backend_id",
    "action",
    "message_id",
    "res_model",
    "res_id",
    "trace_id",
    "summary",
)
SUMMARY_MAX = 500


class HcIntegrationAudit(models.Model):
    """Append-only, hash-chained log of who sent what, when, and what became of it.

    * ``write`` and ``unlink`` are refused to everyone, the superuser included, and a
      PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE on the table, except the one
      update that seals an entry into the chain.
    * Each entry stores the SHA-256 of its canonical content. Sealing (every minute, and
      before each verification) links entries in a chain: ``hash = SHA-256(previous hash
      + content hash)``, in sealing order. Sealing happens apart from the transactions
      that write entries, so concurrent workers never contend for the chain's head.
    * :meth:`action_verify_chain` and a daily cron recompute everything and name the
      first entry that does not match.

    Summaries hold codes and states, never payload data.
    """

    _name = "hc.integration.audit"
    _description = "Integration Audit Log"
    _order = "id desc"
    _log_access = False
    _rec_name = "action"

    timestamp = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now, index=True
    )
    actor_type = fields.Selection(
        [("user", "User"), ("system", "System"), ("backend", "Backend")],
        string="Actor",
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", readonly=True, ondelete="restrict")
    backend_id = fields.Many2one(
        "hc.integration.backend", readonly=True, ondelete="restrict", index=True
    )
    action = fields.Char(required=True, readonly=True, index=True)
    message_id = fields.Many2one(
        "hc.integration.message", readonly=True, ondelete="restrict", index=True
    )
    res_model = fields.Char(string="Record model", readonly=True)
    res_id = fields.Integer(string="Record ID", readonly=True)
    trace_id = fields.Char(readonly=True, index=True)
    summary = fields.Char(readonly=True)
    content_hash = fields.Char(readonly=True)
    seal_seq = fields.Integer(string="Chain position", readonly=True, index=True)
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)

    def init(self):
        cr = self.env.cr
        cr.execute(
            """
            CREATE TABLE IF NOT EXISTS hc_integration_audit_seal (
                id integer PRIMARY KEY CHECK (id = 1),
                last_seq bigint NOT NULL,
                last_hash varchar NOT NULL
            );
            INSERT INTO hc_integration_audit_seal VALUES (1, 0, '') ON CONFLICT DO NOTHING;

            CREATE OR REPLACE FUNCTION hc_integration_audit_guard() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
                   AND (to_jsonb(NEW) - 'hash' - 'prev_hash' - 'seal_seq')
                     = (to_jsonb(OLD) - 'hash' - 'prev_hash' - 'seal_seq') THEN
                    RETURN NEW;  -- sealing an entry into the chain, once
                END IF;
                RAISE EXCEPTION 'hc_integration_audit is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS hc_integration_audit_append_only ON hc_integration_audit;
            CREATE TRIGGER hc_integration_audit_append_only
                BEFORE UPDATE OR DELETE ON hc_integration_audit
                FOR EACH ROW EXECUTE FUNCTION hc_integration_audit_guard();
            DROP TRIGGER IF EXISTS hc_integration_audit_no_truncate ON hc_integration_audit;
            CREATE TRIGGER hc_integration_audit_no_truncate
                BEFORE TRUNCATE ON hc_integration_audit
                FOR EACH STATEMENT EXECUTE FUNCTION hc_integration_audit_guard();
            CREATE INDEX IF NOT EXISTS hc_integration_audit_unsealed_idx
                ON hc_integration_audit (id) WHERE hash IS NULL;
            """
        )

    # ------------------------------------------------------------------------------------
    # Append-only at the ORM level too
    # ------------------------------------------------------------------------------------
    # refusing every write is the point: no super() call
    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._("The integration audit log is append-only: entries cannot be changed.")
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("The integration audit log is append-only: entries cannot be deleted.")
        )

    # ------------------------------------------------------------------------------------
    # Writing entries
    # ------------------------------------------------------------------------------------
    @api.model
    def _actor(self, actor_type=None):
        if actor_type:
            return actor_type
        if self.env.context.get("hc_actor"):
            return self.env.context["hc_actor"]
        if self.env.uid == SUPERUSER_ID or self.env.su and not self.env.uid:
            return "system"  # the scheduler and engine code (base.user_root is the superuser)
        return "user"

    @api.model
    def _prepare_values(
        self,
        action,
        summary,
        message=None,
        record=None,
        backend=None,
        actor_type=None,
        trace_id=None,
    ):
        values = {
            "timestamp": fields.Datetime.now(),
            "actor_type": self._actor(actor_type),
            "user_id": self.env.uid,
            "backend_id": (
                backend
                or (message.backend_id if message else None)
                or self.env["hc.integration.backend"]
            ).id
            or False,
            "action": action,
            "message_id": message.id if message else False,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "trace_id": trace_id or (message.trace_id if message else False) or False,
            "summary": (summary or "")[:SUMMARY_MAX],
        }
        values["content_hash"] = self._content_hash(values)
        return values

    @api.model
    def _log(
        self,
        action,
        summary,
        message=None,
        record=None,
        backend=None,
        actor_type=None,
        trace_id=None,
    ):
        """Append one entry. ``summary`` must hold no personal data and no secret."""
        return self.sudo().create(
            self._prepare_values(action, summary, message, record, backend, actor_type, trace_id)
        )

    @api.model
    def _log_many(self, action, messages, summary, actor_type=None):
        """One entry per message, in one INSERT."""
        return self.sudo().create(
            [
                self._prepare_values(action, summary, message=m, actor_type=actor_type)
                for m in messages
            ]
        )

    @api.model
    def _content_hash(self, values):
        content = []
        for name in HASHED_FIELDS:
            value = values.get(name)
            if name == "timestamp" and value:
                value = fields.Datetime.to_string(value)
            content.append(value or None)
        return hashlib.sha256(canonical_json(content).encode()).hexdigest()

    # ------------------------------------------------------------------------------------
    # Chain
    # ------------------------------------------------------------------------------------
    @staticmethod
    def _chain_hash(prev_hash, content_hash):
        return hashlib.sha256(f"{prev_hash}:{content_hash}".encode()).hexdigest()

    @api.model
    def _seal(self, limit=10000):
        """Link unsealed entries into the chain. Returns how many were sealed.

        Only one sealer works at a time (row lock on the chain head); a concurrent call
        returns 0 and leaves the work to the next run.
        """
        cr = self.env.cr
        self.env.flush_all()
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT last_seq, last_hash FROM hc_integration_audit_seal "
                    "WHERE id = 1 FOR UPDATE NOWAIT"
                )
                last_seq, last_hash = cr.fetchone()
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            return 0
        cr.execute(
            "SELECT id, content_hash FROM hc_integration_audit "
            "WHERE hash IS NULL ORDER BY id LIMIT %s",
            (limit,),
        )
        rows = cr.fetchall()
        if not rows:
            return 0
        updates = []
        for entry_id, content_hash in rows:
            last_seq += 1
            new_hash = self._chain_hash(last_hash, content_hash)
            updates.append((last_seq, last_hash, new_hash, entry_id))
            last_hash = new_hash
        cr.executemany(
            "UPDATE hc_integration_audit SET seal_seq = %s, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            updates,
        )
        cr.execute(
            "UPDATE hc_integration_audit_seal SET last_seq = %s, last_hash = %s WHERE id = 1",
            (last_seq, last_hash),
        )
        self.invalidate_model(["seal_seq", "prev_hash", "hash"])
        return len(rows)

    @api.model
    def _verify_chain(self, chunk=5000):
        """Recompute every sealed entry. Returns ``(ok, broken_entry_or_None, reason, count)``."""
        self._seal()
        cr = self.env.cr
        cr.execute("SELECT last_seq, last_hash FROM hc_integration_audit_seal WHERE id = 1")
        head_seq, head_hash = cr.fetchone()
        expected_prev, expected_seq, checked = "", 0, 0
        columns = ", ".join(HASHED_FIELDS)
        while True:
            cr.execute(
                f"SELECT id, seal_seq, prev_hash, hash, content_hash, {columns} "
                "FROM hc_integration_audit WHERE seal_seq > %s ORDER BY seal_seq LIMIT %s",
                (expected_seq, chunk),
            )
            rows = cr.fetchall()
            if not rows:
                break
            for row in rows:
                entry_id, seq, prev_hash, entry_hash, content_hash = row[:5]
                values = dict(zip(HASHED_FIELDS, row[5:], strict=True))
                expected_seq += 1
                broken = None
                if seq != expected_seq:
                    broken = f"entry #{expected_seq} of the chain is missing (deleted?)"
                elif self._content_hash(values) != content_hash:
                    broken = "its content does not match its hash (modified)"
                elif prev_hash != expected_prev:
                    broken = "it does not follow the previous entry (chain broken)"
                elif self._chain_hash(prev_hash, content_hash) != entry_hash:
                    broken = "its chain hash is wrong"
                if broken:
                    return False, self.browse(entry_id), broken, checked
                expected_prev = entry_hash
                checked += 1
        if expected_seq != head_seq or expected_prev != head_hash:
            return (
                False,
                self.browse(),
                "the latest entries of the chain are missing (deleted?)",
                checked,
            )
        return True, self.browse(), "", checked

    def action_verify_chain(self):
        ok, entry, reason, checked = self._verify_chain()
        self._log(
            "audit.verify",
            f"chain verified: {checked} entries OK"
            if ok
            else f"chain BROKEN at entry #{entry.id or '?'}: {reason}",
        )
        if ok:
            message, kind = (
                self.env._("The audit chain is intact (%s entries verified).", checked),
                "success",
            )
        else:
            message, kind = (
                self.env._(
                    "The audit chain is broken at entry #%(id)s (%(action)s, %(time)s): "
                    "%(reason)s.",
                    id=entry.id or "?",
                    action=entry.action or "",
                    time=entry.timestamp or "",
                    reason=reason,
                ),
                "danger",
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": not ok},
        }

    @api.model
    def _cron_verify_chain(self):
        ok, entry, reason, checked = self._verify_chain()
        if ok:
            _logger.info("Integration audit chain verified: %s entries", checked)
            return True
        _logger.critical("Integration audit chain broken at entry %s: %s", entry.id, reason)
        self.env["hc.integration.alert"]._raise_alert(
            "audit_chain",
            self.env._(
                "The audit log chain is broken at entry #%(id)s: %(reason)s",
                id=entry.id or "?",
                reason=reason,
            ),
        )
        return False
