import math
from datetime import timedelta

from odoo import api, fields, models

WINDOW_SECONDS = 60


class HcIntegrationWebhookHit(models.Model):
    """Per-backend delivery counters behind the rate limit: one row per backend, second
    and database connection, holding how many deliveries that connection accepted then.

    The limit must hold across every Odoo worker and server, so it lives in PostgreSQL.
    A single counter row would make concurrent requests of one backend update the same
    row: under REPEATABLE READ the losers get serialization failures and Odoo re-runs
    them, which turns a burst into a retry storm. Here each connection only updates its
    *own* row (``shard`` is the PostgreSQL backend pid: a connection runs one transaction
    at a time, so the earlier writer of that row has always committed before this
    transaction's snapshot), and the check sums the rows of the last minute: at most 60
    per connection, whatever the limit, where counting one row per delivery grew with
    the traffic (issue 13). The price is precision: requests that run at the same instant
    do not see each other's uncommitted counts, so a burst may exceed the limit by at
    most the number of requests in flight at once (the number of workers); and the window
    slides by whole seconds.
    """

    _name = "hc.integration.webhook.hit"
    _description = "Webhook delivery (rate-limit log)"
    _log_access = False
    _order = "id desc"

    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, readonly=True, ondelete="cascade"
    )
    hit_at = fields.Datetime(required=True, readonly=True)
    shard = fields.Integer(readonly=True, help="PostgreSQL backend pid of the connection.")
    count = fields.Integer(required=True, readonly=True, default=1)

    def init(self):
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS hc_integration_webhook_hit_backend_at_idx
                ON hc_integration_webhook_hit (backend_id, hit_at);
            CREATE UNIQUE INDEX IF NOT EXISTS hc_integration_webhook_hit_slot_uniq
                ON hc_integration_webhook_hit (backend_id, hit_at, shard)
             WHERE shard IS NOT NULL
            """
        )

    @api.model
    def _hc_check_and_record(self, backend, now=None):
        """Count ``backend``'s deliveries of the last minute; when under its
        ``rate_limit_per_minute`` (0 = unlimited) record this one and return 0, otherwise
        return the number of seconds after which a new delivery will be accepted."""
        limit = backend.rate_limit_per_minute
        if not limit or limit <= 0:
            return 0
        now = now or fields.Datetime.now()
        cr = self.env.cr
        now = now.replace(microsecond=0)
        cr.execute(
            "SELECT coalesce(sum(count), 0), min(hit_at) FROM hc_integration_webhook_hit "
            "WHERE backend_id = %s AND hit_at > %s",
            (backend.id, now - timedelta(seconds=WINDOW_SECONDS)),
        )
        count, oldest = cr.fetchone()
        if count >= limit:
            elapsed = (now - oldest).total_seconds() if oldest else 0
            return max(1, min(WINDOW_SECONDS, math.ceil(WINDOW_SECONDS - elapsed)))
        cr.execute(
            """
            INSERT INTO hc_integration_webhook_hit (backend_id, hit_at, shard, count)
            VALUES (%s, %s, pg_backend_pid(), 1)
            ON CONFLICT (backend_id, hit_at, shard) WHERE shard IS NOT NULL
            DO UPDATE SET count = hc_integration_webhook_hit.count + 1
            """,
            (backend.id, now),
        )
        return 0

    @api.autovacuum
    def _gc_hits(self):
        """Rows older than the window serve no purpose; the daily vacuum drops them."""
        self.env.cr.execute(
            "DELETE FROM hc_integration_webhook_hit WHERE hit_at < %s",
            (fields.Datetime.now() - timedelta(seconds=WINDOW_SECONDS * 10),),
        )
