from collections import OrderedDict
from datetime import timedelta

from odoo import api, fields, models

#: One advisory lock key for folding (any constant: only this code takes it).
_FOLD_LOCK = 0x4843_5246  # "HCRF"


def minute_of(moment):
    return moment.replace(second=0, microsecond=0)


class HcIntegrationWebhookRefusal(models.Model):
    """Refused webhook deliveries of senders that did not authenticate (and rate-limit
    refusals), counted here and folded into *one* audit entry per (bucket, status,
    reason, minute) with its count — instead of one undeletable audit row per request,
    which let anyone grow the audit log without bound.

    Rows are only ever inserted by the refusals (no counter row updated by concurrent
    requests: under REPEATABLE READ that would turn a flood into serialization
    failures and retried requests) and deleted when their minute is folded: by the next
    refusal after the minute closes, or by the maintenance cron every minute.
    """

    _name = "hc.integration.webhook.refusal"
    _description = "Refused webhook deliveries (not yet in the audit log)"
    _log_access = False
    _order = "id"

    minute = fields.Datetime(required=True, readonly=True, index=True)
    bucket = fields.Char(
        required=True,
        readonly=True,
        help="The backend's code, or 'unknown' for addresses that name no backend.",
    )
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="cascade")
    status = fields.Integer(required=True, readonly=True)
    reason = fields.Char(required=True, readonly=True)
    count = fields.Integer(required=True, readonly=True, default=1)
    summary = fields.Char(readonly=True, help="What the first refusal said (no payload).")
    trace_id = fields.Char(readonly=True)

    # ------------------------------------------------------------------------------------
    # Counting
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_count(self, status, reason, summary, backend=None, trace_id=None, count=1):
        """Count one refusal (one INSERT), after folding the minutes already closed."""
        now = fields.Datetime.now()
        self._hc_fold_if_due(now)
        self.env.cr.execute(
            """
            INSERT INTO hc_integration_webhook_refusal
                   (minute, bucket, backend_id, status, reason, count, summary, trace_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                minute_of(now),
                backend.code if backend else "unknown",
                backend.id if backend else None,
                status,
                reason,
                count,
                (summary or "")[:200],
                trace_id,
            ),
        )

    @api.model
    def _hc_fold_if_due(self, now):
        self.env.cr.execute(
            "SELECT 1 FROM hc_integration_webhook_refusal WHERE minute < %s LIMIT 1",
            (minute_of(now),),
        )
        if self.env.cr.fetchone():
            self._hc_fold(now)

    # ------------------------------------------------------------------------------------
    # Folding into the audit log
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_fold(self, now=None, close_all=False):
        """Write one ``webhook.rejected`` audit entry per (bucket, status, reason,
        minute) of the closed minutes (every minute with ``close_all``, for tests) and
        drop the rows. One folder at a time; the others skip. Returns the entries."""
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (_FOLD_LOCK,))
        if not cr.fetchone()[0]:
            return self.env["hc.integration.audit"]
        limit = minute_of(now or fields.Datetime.now()) + timedelta(minutes=1 if close_all else 0)
        cr.execute(
            """
            DELETE FROM hc_integration_webhook_refusal WHERE minute < %s
            RETURNING id, minute, bucket, backend_id, status, reason, count, summary, trace_id
            """,
            (limit,),
        )
        groups = OrderedDict()
        for row in sorted(cr.fetchall()):
            _id, minute, bucket, backend_id, status, reason, count, summary, trace_id = row
            key = (minute, bucket, status, reason)
            if key not in groups:
                groups[key] = {
                    "backend_id": backend_id,
                    "count": 0,
                    "summary": summary,
                    "trace_id": trace_id,
                }
            groups[key]["count"] += count
        return self._hc_audit_groups(groups)

    @api.model
    def _hc_audit_groups(self, groups):
        audit = self.env["hc.integration.audit"]
        entries = audit
        backends = self.env["hc.integration.backend"].sudo()
        for (minute, bucket, status, reason), group in groups.items():
            target = f"backend={bucket}" if group["backend_id"] else "address=unknown"
            entries |= audit._log(
                "webhook.rejected",
                f"status={status} reason={reason} {target} count={group['count']} "
                f"minute={minute:%Y-%m-%dT%H:%MZ}: {group['summary'] or ''}",
                backend=backends.browse(group["backend_id"] or ()),
                actor_type="backend",
                trace_id=group["trace_id"],
            )
        return entries

    @api.model
    def _hc_pending_counts(self):
        """``[(bucket, status, reason, count)]`` not folded yet (for the metrics)."""
        self.env.cr.execute(
            """
            SELECT bucket, status, reason, sum(count) FROM hc_integration_webhook_refusal
             GROUP BY 1, 2, 3
            """
        )
        return self.env.cr.fetchall()


# The maintenance cron folds the closed minutes too (a flood that stops leaves no counts
# behind). In a file of its own concern, not in the processor's maintenance file.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    _inherit = "hc.integration.processor"

    @api.model
    def _cron_maintenance(self):
        result = super()._cron_maintenance()
        self.env["hc.integration.webhook.refusal"].sudo()._hc_fold()
        return result
