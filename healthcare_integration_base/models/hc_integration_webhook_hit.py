import math
from datetime import timedelta

from odoo import api, fields, models

WINDOW_SECONDS = 60


class HcIntegrationWebhookHit(models.Model):
    """One row per authenticated webhook delivery: the sliding-window log behind the
    per-backend rate limit.

    The limit must hold across every Odoo worker and server, so it lives in PostgreSQL.
    A single counter row would make concurrent requests of one backend update the same
    row: under REPEATABLE READ the losers get serialization failures and Odoo re-runs
    them, which turns a burst into a retry storm. Here each request only *inserts* its own
    row and *counts* the recent rows of its backend through an index, so requests never
    wait for each other. The price is precision: requests that run at the same instant do
    not see each other's uncommitted rows, so a burst may exceed the limit by at most the
    number of requests in flight at once (the number of workers).
    """

    _name = "hc.integration.webhook.hit"
    _description = "Webhook delivery (rate-limit log)"
    _log_access = False
    _order = "id desc"

    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, readonly=True, ondelete="cascade"
    )
    hit_at = fields.Datetime(required=True, readonly=True)

    def init(self):
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS hc_integration_webhook_hit_backend_at_idx
                ON hc_integration_webhook_hit (backend_id, hit_at)
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
        cr.execute(
            "SELECT count(*), min(hit_at) FROM hc_integration_webhook_hit "
            "WHERE backend_id = %s AND hit_at > %s",
            (backend.id, now - timedelta(seconds=WINDOW_SECONDS)),
        )
        count, oldest = cr.fetchone()
        if count >= limit:
            elapsed = (now - oldest).total_seconds() if oldest else 0
            return max(1, min(WINDOW_SECONDS, math.ceil(WINDOW_SECONDS - elapsed)))
        cr.execute(
            "INSERT INTO hc_integration_webhook_hit (backend_id, hit_at) VALUES (%s, %s)",
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
