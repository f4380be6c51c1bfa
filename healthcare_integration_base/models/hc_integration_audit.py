import hashlib
import logging
import os
from collections import namedtuple
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, config

from ..tools import audit_chain
from ..tools.payload import canonical_json
from ..tools.sql_columns import column_list

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
#: Stands for the message id in an entry's content until PostgreSQL knows it (see
#: ``_hc_entry_of_inserted_message``).
MESSAGE_ID_SENTINEL = "\x00message_id\x00"
KEY_ENV_VAR = "HC_AUDIT_KEY"
KEY_CONFIG_OPTION = "hc_audit_key"
#: How far an entry's time may run behind the entries sealed before it (a transaction
#: that commits late is sealed after younger entries) or ahead of the clock.
TIME_TOLERANCE = timedelta(hours=1)

_NO_KEY_WARNED = set()  # warn once per process that entries wait for a key, then debug

#: Outcome of a verification; ``entry`` is the first broken entry (or empty).
ChainReport = namedtuple("ChainReport", "ok entry reason checked unsealed")


class HcIntegrationAudit(models.Model):
    """Append-only, hash-chained log of who sent what, when, and what became of it.

    * ``write`` and ``unlink`` are refused to everyone, the superuser included, and a
      PostgreSQL trigger refuses UPDATE, DELETE and TRUNCATE on the table, except the one
      update that seals an entry into the chain.
    * Each entry stores the SHA-256 of its canonical content. Sealing (every minute, and
      before each verification) links entries in a chain: ``hash = HMAC-SHA256(key,
      position + previous hash + content hash)``, in sealing order, with a key held
      outside the database (``HC_AUDIT_KEY``, see ``tools/audit_chain.py``): whoever can
      rewrite the table cannot recompute the chain. Sealing happens apart from the
      transactions that write entries, so concurrent workers never contend for the head.
    * :meth:`action_verify_chain` and a daily cron recompute everything, name the first
      entry that does not match and report how many entries are not sealed yet.

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
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    content_hash = fields.Char(readonly=True)
    seal_key_id = fields.Char(
        string="Sealing key", readonly=True, help="Fingerprint of the audit key that sealed it."
    )
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
            ALTER TABLE hc_integration_audit_seal ADD COLUMN IF NOT EXISTS head_mac varchar;

            CREATE OR REPLACE FUNCTION hc_integration_audit_guard() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'UPDATE'
                   AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
                   AND (to_jsonb(NEW) - 'hash' - 'prev_hash' - 'seal_seq' - 'seal_key_id')
                     = (to_jsonb(OLD) - 'hash' - 'prev_hash' - 'seal_seq' - 'seal_key_id')
                THEN
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
        backend = (
            backend
            or (message.backend_id if message else None)
            or self.env["hc.integration.backend"]
        )
        values = self._entry_values(
            action,
            summary,
            backend_id=backend.id,
            message_id=message.id if message else False,
            record=record,
            actor_type=actor_type,
            trace_id=trace_id or (message.trace_id if message else False),
            company_id=(message.company_id if message else backend.company_id).id,
        )
        values["content_hash"] = self._content_hash(values)
        return values

    @api.model
    def _entry_values(
        self, action, summary, *, backend_id, message_id, record, actor_type, trace_id, company_id
    ):
        """The columns of an entry (its content hash apart), in the order they are hashed.
        An entry whose actor is a backend names no user (the superuser is not one)."""
        actor_type = self._actor(actor_type)
        return {
            "timestamp": fields.Datetime.now(),
            "actor_type": actor_type,
            "user_id": False if actor_type == "backend" else self.env.uid,
            "backend_id": backend_id or False,
            "action": action,
            "message_id": message_id,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "trace_id": trace_id or False,
            "summary": (summary or "")[:SUMMARY_MAX],
            "company_id": company_id or False,
        }

    @api.model
    def _hc_entry_of_inserted_message(self, action, summary, backend, trace_id, company_id):
        """SQL that appends one entry about the message which the data-modifying CTE
        ``inserted`` of the same statement creates (``RETURNING id``), and returns its
        ``message_id``: no entry, no row, when that CTE inserts nothing.

        Every delivery writes its message and this entry (issue 13): one statement saves
        a round trip. The content hash covers the message id, known only in the
        statement: Python renders the canonical content around it, PostgreSQL puts the id
        in and hashes (``sha256`` of the same UTF-8 text; verification recomputes it in
        Python like any other entry's)."""
        values = self._entry_values(
            action,
            summary,
            backend_id=backend.id,
            message_id=MESSAGE_ID_SENTINEL,
            record=None,
            actor_type=None,
            trace_id=trace_id,
            company_id=company_id,
        )
        before, after = self._content_text(values).split(canonical_json(MESSAGE_ID_SENTINEL))
        names = [name for name in values if name != "message_id"]
        return SQL(
            "INSERT INTO hc_integration_audit (%s, message_id, content_hash) "
            "SELECT %s, inserted.id, "
            "encode(sha256(convert_to(%s || inserted.id::text || %s, 'UTF8')), 'hex') "
            "FROM inserted RETURNING message_id",
            column_list(tuple(names)),
            SQL(", ").join(None if values[name] is False else values[name] for name in names),
            before,
            after,
        )

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
        return self._hc_insert_entry(
            self._prepare_values(action, summary, message, record, backend, actor_type, trace_id)
        )

    @api.model
    def _hc_insert_entry(self, values):
        """One plain INSERT of prepared values: an entry has no computed or related field
        and no create override, and every delivery writes one (issue 13), so the ORM's
        create machinery would be pure overhead."""
        self.env.cr.execute(
            SQL(
                "INSERT INTO hc_integration_audit (%s) VALUES (%s) RETURNING id",
                column_list(tuple(values)),
                SQL(", ").join(None if value is False else value for value in values.values()),
            )
        )
        return self.sudo().browse(self.env.cr.fetchone()[0])

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
        return hashlib.sha256(self._content_text(values).encode()).hexdigest()

    @api.model
    def _content_text(self, values):
        """The canonical JSON text that an entry's content hash is the SHA-256 of."""
        content = []
        for name in HASHED_FIELDS:
            value = values.get(name)
            if name == "timestamp" and value:
                value = fields.Datetime.to_string(value)
            content.append(value or None)
        if values.get("company_id"):
            # entries written before the company column hash as they always did
            content.append(values["company_id"])
        return canonical_json(content)

    # ------------------------------------------------------------------------------------
    # Chain
    # ------------------------------------------------------------------------------------
    @api.model
    def _audit_keys(self):
        """``{key id: key}`` from the environment or the configuration file, the sealing
        key first; never from the database. Raises UserError on an unusable key."""
        raw = os.environ.get(KEY_ENV_VAR) or config.get(KEY_CONFIG_OPTION) or ""
        try:
            return audit_chain.load_keys(raw)
        except audit_chain.AuditKeyInvalidError as error:
            raise UserError(
                self.env._("The configured audit key is invalid: %(reason)s.", reason=error)
            ) from None

    @api.model
    def _seal(self, limit=10000):
        """Link unsealed entries into the chain. Returns how many were sealed.

        Only one sealer works at a time (row lock on the chain head); a concurrent call
        returns 0 and leaves the work to the next run. Without an audit key nothing is
        sealed: the entries wait, and verification counts them.
        """
        try:
            keys = self._audit_keys()
        except UserError as error:
            # the maintenance cron seals after returning leases: it must not fail on this
            _logger.error("Audit entries are not sealed: %s", error)
            return 0
        if not keys:
            _logger.log(
                logging.DEBUG if _NO_KEY_WARNED else logging.WARNING,
                "No audit key (%s or %s): audit entries are not sealed",
                KEY_ENV_VAR,
                KEY_CONFIG_OPTION,
            )
            _NO_KEY_WARNED.add(True)
            return 0
        seal_key_id, key = next(iter(keys.items()))
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
            new_hash = audit_chain.seal_hash(key, last_seq, last_hash, content_hash)
            updates.append((last_seq, last_hash, new_hash, seal_key_id, entry_id))
            last_hash = new_hash
        cr.executemany(
            "UPDATE hc_integration_audit SET seal_seq = %s, prev_hash = %s, hash = %s, "
            "seal_key_id = %s WHERE id = %s",
            updates,
        )
        cr.execute(
            "UPDATE hc_integration_audit_seal SET last_seq = %s, last_hash = %s, head_mac = %s "
            "WHERE id = 1",
            (last_seq, last_hash, audit_chain.head_mac(key, last_seq, last_hash)),
        )
        self.invalidate_model(["seal_seq", "prev_hash", "hash", "seal_key_id"])
        return len(rows)

    @api.model
    def _verify_chain(self, chunk=5000):
        """Seal what can be sealed, then recompute every sealed entry in chain order.

        Returns a :data:`ChainReport`: whether the chain is intact, the first broken entry
        and why, how many entries were checked and how many are not sealed yet.
        """
        self._seal()
        keys = self._audit_keys()
        cr = self.env.cr
        cr.execute(
            "SELECT last_seq, last_hash, head_mac FROM hc_integration_audit_seal WHERE id = 1"
        )
        head_seq, head_hash, head_seal = cr.fetchone()
        cr.execute("SELECT count(*) FROM hc_integration_audit WHERE hash IS NULL")
        unsealed = cr.fetchone()[0]
        walk = {"seq": 0, "id": 0, "prev": "", "key_id": None, "latest": None, "checked": 0}
        columns = ", ".join(HASHED_FIELDS + ("company_id",))
        while True:
            cr.execute(
                "SELECT id, seal_seq, prev_hash, hash, content_hash, seal_key_id, "
                f"{columns} FROM hc_integration_audit "
                "WHERE seal_seq IS NOT NULL AND (seal_seq, id) > (%s, %s) "
                "ORDER BY seal_seq, id LIMIT %s",
                (walk["seq"], walk["id"], chunk),
            )
            rows = cr.fetchall()
            for row in rows:
                broken = self._verify_entry(row, walk, keys)
                if broken:
                    entry = self.browse(row[0])
                    return ChainReport(False, entry, broken, walk["checked"], unsealed)
            if len(rows) < chunk:
                break
        if walk["seq"] != head_seq or walk["prev"] != head_hash:
            reason = "the latest entries of the chain are missing (deleted?)"
            return ChainReport(False, self.browse(), reason, walk["checked"], unsealed)
        key = keys.get(walk["key_id"])
        if head_seq and not (key and audit_chain.head_mac(key, head_seq, head_hash) == head_seal):
            reason = "the head of the chain was moved back (latest entries deleted?)"
            return ChainReport(False, self.browse(), reason, walk["checked"], unsealed)
        return ChainReport(True, self.browse(), "", walk["checked"], unsealed)

    @api.model
    def _verify_entry(self, row, walk, keys):
        """Check one sealed entry against the walk so far (updated in place); the reason
        it is broken, or None."""
        entry_id, seq, prev_hash, entry_hash, content_hash, seal_key_id = row[:6]
        values = dict(zip(HASHED_FIELDS + ("company_id",), row[6:], strict=True))
        if seq == walk["seq"]:
            return f"two entries claim chain position {seq} (inserted?)"
        if seq != walk["seq"] + 1:
            return f"entry #{walk['seq'] + 1} of the chain is missing (deleted?)"
        if self._content_hash(values) != content_hash:
            return "its content does not match its hash (modified)"
        if prev_hash != walk["prev"]:
            return "it does not follow the previous entry (chain broken)"
        if not seal_key_id:
            return "it is chained without the audit key (forged?)"
        key = keys.get(seal_key_id)
        if not key:
            return f"it was sealed with audit key {seal_key_id}, which is not configured"
        if audit_chain.seal_hash(key, seq, prev_hash, content_hash) != entry_hash:
            return "its chain hash is wrong (not sealed with the audit key: forged?)"
        timestamp = values["timestamp"]
        if walk["latest"] and timestamp < walk["latest"] - TIME_TOLERANCE:
            return "its time is earlier than the entries sealed before it (forged time?)"
        if timestamp > fields.Datetime.now() + TIME_TOLERANCE:
            return "its time is in the future (forged time?)"
        walk.update(
            seq=seq,
            id=entry_id,
            prev=entry_hash,
            key_id=seal_key_id,
            latest=max(walk["latest"] or timestamp, timestamp),
            checked=walk["checked"] + 1,
        )
        return None

    def action_verify_chain(self):
        report = self._verify_chain()
        self._log(
            "audit.verify",
            f"chain verified: {report.checked} entries OK, {report.unsealed} not sealed"
            if report.ok
            else f"chain BROKEN at entry #{report.entry.id or '?'}: {report.reason}",
        )
        if not report.ok:
            entry = report.entry
            message = self.env._(
                "The audit chain is broken at entry #%(id)s (%(action)s, %(time)s): %(reason)s.",
                id=entry.id or "?",
                action=entry.action or "",
                time=entry.timestamp or "",
                reason=report.reason,
            )
            kind = "danger"
        elif report.unsealed:
            message = self.env._(
                "The audit chain is intact (%(checked)s entries verified), but %(unsealed)s "
                "entries are not sealed yet%(why)s.",
                checked=report.checked,
                unsealed=report.unsealed,
                why="" if self._audit_keys() else self.env._(": no audit key is configured"),
            )
            kind = "warning"
        else:
            message = self.env._("The audit chain is intact (%s entries verified).", report.checked)
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": kind, "message": message, "sticky": not report.ok},
        }

    @api.model
    def _cron_verify_chain(self):
        report = self._verify_chain()
        if report.ok:
            _logger.info(
                "Integration audit chain verified: %s entries, %s not sealed",
                report.checked,
                report.unsealed,
            )
            return True
        entry_id = report.entry.id or "?"
        _logger.critical("Integration audit chain broken at entry %s: %s", entry_id, report.reason)
        self.env["hc.integration.alert"]._raise_alert(
            "audit_chain",
            self.env._(
                "The audit log chain is broken at entry #%(id)s: %(reason)s",
                id=entry_id,
                reason=report.reason,
            ),
        )
        return False
