import hashlib
import hmac
import math
from collections import Counter

from odoo import api, fields, models
from odoo.tools import SQL

TOKEN_PARAM = "hc_integration.metrics_token_sha256"
#: Upper bounds (seconds) of the processing latency histogram.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
BACKLOG_STATES = ("pending", "retry", "processing")


def _label(value):
    """Escape a Prometheus label value (text format 0.0.4)."""
    return str(value or "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value):
    if value is None:
        return "0"
    if isinstance(value, float):
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return repr(round(value, 6))
    return str(value)


class PrometheusText:
    """Builds a text exposition (format 0.0.4): one HELP/TYPE header per family."""

    def __init__(self):
        self.lines = []

    def family(self, name, kind, help_text, samples):
        """``samples``: iterable of ``(suffix, labels_dict, value)``."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for suffix, labels, value in samples:
            rendered = ",".join(f'{key}="{_label(val)}"' for key, val in labels.items())
            rendered = "{" + rendered + "}" if rendered else ""
            self.lines.append(f"{name}{suffix}{rendered} {_number(value)}")

    def text(self):
        return "\n".join(self.lines) + "\n"


class HcIntegrationMetrics(models.AbstractModel):
    """Figures for ``/healthcare/health`` and ``/healthcare/metrics``.

    Everything is computed from rows the engine writes anyway (messages, exceptions, the
    audit log — ``webhook.rejected`` entries, aggregated per minute with their count for
    unauthenticated noise, plus the refusals of the current minute): no counter row is
    updated on the hot path, so counting never makes concurrent requests contend. Counters
    are totals since installation, as Prometheus expects (``rate()`` does the rest).
    """

    _name = "hc.integration.metrics"
    _description = "Integration health and metrics"

    # ------------------------------------------------------------------------------------
    # Token (only its SHA-256 is stored)
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_set_metrics_token(self, token):
        """Store the SHA-256 of ``token`` (empty: remove it, which closes the endpoint)."""
        value = hashlib.sha256(token.encode()).hexdigest() if token else False
        self.env["ir.config_parameter"].sudo().set_param(TOKEN_PARAM, value)

    @api.model
    def _hc_metrics_token_set(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM))

    @api.model
    def _hc_check_metrics_token(self, token):
        """Constant-time comparison of the digest of ``token`` with the stored one; no
        token configured means no access (fail closed)."""
        expected = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM) or ""
        if not expected or not token:
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()
        return hmac.compare_digest(digest.encode(), expected.encode())

    # ------------------------------------------------------------------------------------
    # Health
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_health(self):
        """Liveness (the database answered) and a queue summary; nothing secret."""
        cr = self.env.cr
        now = fields.Datetime.now()
        cr.execute(
            """
            SELECT count(*) FILTER (WHERE state IN %s),
                   count(*) FILTER (WHERE state = 'waiting'),
                   count(*) FILTER (WHERE state = 'exception'),
                   min(received_at) FILTER (WHERE state IN %s)
              FROM hc_integration_message
            """,
            (BACKLOG_STATES, BACKLOG_STATES),
        )
        backlog, waiting, exception, oldest = cr.fetchone()
        return {
            "status": "ok",
            "database": "ok",
            "time": now.isoformat() + "Z",
            "queue": {
                "backlog": backlog,
                "waiting": waiting,
                "exception": exception,
                "oldest_pending_age_seconds": (
                    max(0, int((now - oldest).total_seconds())) if oldest else 0
                ),
            },
        }

    # ------------------------------------------------------------------------------------
    # Prometheus
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_prometheus(self):
        """The metrics in Prometheus text format 0.0.4: queue figures per flow and
        direction, failures and open exceptions per flow, refused and repeated webhook
        deliveries per backend, the processing latency histogram per flow."""
        out = PrometheusText()
        labels = self._hc_flow_labeller()
        self._hc_queue_families(out, labels)
        self._hc_failure_families(out, labels)
        self._hc_webhook_families(out)
        self._hc_latency_family(out, labels)
        out.family("hc_up", "gauge", "1 when the database answered.", [("", {}, 1)])
        return out.text()

    @api.model
    def _hc_flow_labeller(self):
        """A function ``labels(flow_id, **extra)`` giving the backend and flow codes of a
        flow as labels (empty codes for a flow id it does not know)."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT f.id, b.code, f.code FROM hc_integration_flow f
              JOIN hc_integration_backend b ON b.id = f.backend_id
            """
        )
        flows = {
            flow_id: {"backend": backend_code, "flow": flow_code}
            for flow_id, backend_code, flow_code in cr.fetchall()
        }

        def labels(flow_id, **extra):
            return dict(flows.get(flow_id, {"backend": "", "flow": ""}), **extra)

        return labels

    @api.model
    def _hc_queue_families(self, out, labels):
        """Received, processed, backlog, waiting, in exception and oldest backlog age, per
        flow and direction: one query over the queue."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            SELECT flow_id, direction,
                   count(*),
                   count(*) FILTER (WHERE state = 'done'),
                   count(*) FILTER (WHERE state IN %s),
                   count(*) FILTER (WHERE state = 'waiting'),
                   count(*) FILTER (WHERE state = 'exception'),
                   min(received_at) FILTER (WHERE state IN %s)
              FROM hc_integration_message GROUP BY flow_id, direction
            """,
            (BACKLOG_STATES, BACKLOG_STATES),
        )
        per_flow = self.env.cr.fetchall()
        families = (
            (
                "hc_messages_received_total",
                "counter",
                "Messages accepted into the queue (webhooks and pulls; outbound: produced).",
            ),
            (
                "hc_messages_processed_total",
                "counter",
                "Messages processed successfully (state done).",
            ),
            ("hc_queue_backlog", "gauge", "Messages pending, due for retry or being processed."),
            ("hc_queue_waiting", "gauge", "Messages waiting for a dependency."),
            (
                "hc_messages_in_exception",
                "gauge",
                "Messages stopped in exception, waiting for a person.",
            ),
        )
        for column, (name, kind, help_text) in enumerate(families, start=2):
            out.family(
                name,
                kind,
                help_text,
                [("", labels(r[0], direction=r[1]), r[column]) for r in per_flow],
            )
        out.family(
            "hc_queue_oldest_pending_age_seconds",
            "gauge",
            "Age of the oldest message of the backlog.",
            [
                (
                    "",
                    labels(r[0], direction=r[1]),
                    max(0, int((now - r[7]).total_seconds())) if r[7] else 0,
                )
                for r in per_flow
            ],
        )

    @api.model
    def _hc_failure_families(self, out, labels):
        """Times messages went to exception (from the audit log) and open exceptions."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT m.flow_id, count(*) FROM hc_integration_audit a
              JOIN hc_integration_message m ON m.id = a.message_id
             WHERE a.action = 'message.exception' GROUP BY m.flow_id
            """
        )
        out.family(
            "hc_messages_failed_total",
            "counter",
            "Times a message went to exception (business error or attempts exhausted).",
            [("", labels(flow_id), count) for flow_id, count in cr.fetchall()],
        )
        cr.execute(
            """
            SELECT flow_id, count(*) FROM hc_integration_exception
             WHERE state = 'open' GROUP BY flow_id
            """
        )
        out.family(
            "hc_exceptions_open",
            "gauge",
            "Open exceptions for people to resolve.",
            [("", labels(flow_id), count) for flow_id, count in cr.fetchall()],
        )

    @api.model
    def _hc_webhook_families(self, out):
        """Refused deliveries by backend, status and reason, and repeated deliveries, from
        the ``webhook.rejected`` and ``webhook.duplicate`` audit entries."""
        cr = self.env.cr
        # aggregated entries say how many refusals they stand for (count=N)
        cr.execute(
            """
            SELECT coalesce(b.code, ''),
                   coalesce(substring(a.summary FROM 'status=([0-9]+)'), ''),
                   coalesce(substring(a.summary FROM 'reason=([a-z_]+)'), ''),
                   sum(coalesce(substring(a.summary FROM ' count=([0-9]+)')::bigint, 1))
              FROM hc_integration_audit a
              LEFT JOIN hc_integration_backend b ON b.id = a.backend_id
             WHERE a.action = 'webhook.rejected'
             GROUP BY 1, 2, 3
            """
        )
        totals = Counter()
        for backend, status, reason, count in cr.fetchall():
            totals[(backend, status, reason)] += count
        # refusals of the current minute, not folded into the audit log yet
        pending = self.env["hc.integration.webhook.refusal"]._hc_pending_counts()
        for bucket, status, reason, count in pending:
            totals[("" if bucket == "unknown" else bucket, str(status), reason)] += count
        out.family(
            "hc_webhook_rejected_total",
            "counter",
            "Webhook deliveries refused, by backend, HTTP status and reason.",
            [
                ("", {"backend": backend, "status": status, "reason": reason}, count)
                for (backend, status, reason), count in sorted(totals.items())
            ],
        )
        cr.execute(
            """
            SELECT coalesce(b.code, ''), count(*) FROM hc_integration_audit a
              LEFT JOIN hc_integration_backend b ON b.id = a.backend_id
             WHERE a.action = 'webhook.duplicate' GROUP BY 1
            """
        )
        out.family(
            "hc_webhook_duplicates_total",
            "counter",
            "Webhook deliveries of an event already received (answered 200).",
            [("", {"backend": backend}, count) for backend, count in cr.fetchall()],
        )

    @api.model
    def _hc_latency_family(self, out, labels):
        """Histogram of the time from arrival to done, per flow (``LATENCY_BUCKETS``)."""
        buckets = SQL(", ").join(
            SQL("count(*) FILTER (WHERE latency_seconds <= %s)", float(bound))
            for bound in LATENCY_BUCKETS
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT flow_id, count(*), coalesce(sum(latency_seconds), 0), %s
                  FROM hc_integration_message
                 WHERE state = 'done' AND latency_seconds IS NOT NULL
                 GROUP BY flow_id
                """,
                buckets,
            )
        )
        samples = []
        for row in self.env.cr.fetchall():
            flow_id, count, total = row[:3]
            for bound, cumulative in zip(LATENCY_BUCKETS, row[3:], strict=True):
                samples.append(("_bucket", labels(flow_id, le=_number(float(bound))), cumulative))
            samples.append(("_bucket", labels(flow_id, le="+Inf"), count))
            samples.append(("_sum", labels(flow_id), float(total)))
            samples.append(("_count", labels(flow_id), count))
        out.family(
            "hc_message_latency_seconds",
            "histogram",
            "Time from arrival to processed (done), per flow.",
            samples,
        )
