import hashlib
import hmac
import math
from collections import Counter

from odoo import api, fields, models

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
    are totals since installation, as Prometheus expects (``rate()`` does the rest), read
    from hourly totals of the audit log (``hc.integration.metric.bucket``).
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
             WHERE state IN %s
            """,
            (BACKLOG_STATES, BACKLOG_STATES, (*BACKLOG_STATES, "waiting", "exception")),
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
        deliveries per backend, the processing latency histogram per flow.

        Counters come from hourly totals of the audit log plus its latest rows, gauges
        from the messages still on their way (state index): a scrape costs the same with
        a million messages as with a thousand (issue 13).
        """
        out = PrometheusText()
        labels = self._hc_flow_labeller()
        totals = self.env["hc.integration.metric.bucket"]._hc_totals(LATENCY_BUCKETS)
        self._hc_counter_families(out, labels, totals)
        self._hc_queue_families(out, labels)
        self._hc_open_exception_family(out, labels)
        self._hc_webhook_families(out, totals)
        self._hc_latency_family(out, labels, totals)
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

    @staticmethod
    def _hc_sum(totals, action, key):
        """``{key(row): count}`` of the total rows of ``action``."""
        sums = {}
        for row in totals:
            if row[0] == action:
                sums[key(row)] = sums.get(key(row), 0) + row[6]
        return sums

    @api.model
    def _hc_counter_families(self, out, labels, totals):
        """Received, processed and failed messages per flow (and direction), from the
        audit log's ``message.received``, ``message.done`` and ``message.exception``."""
        families = (
            (
                "message.received",
                "hc_messages_received_total",
                "Messages accepted into the queue (webhooks and pulls; outbound: produced).",
            ),
            (
                "message.done",
                "hc_messages_processed_total",
                "Times a message was processed successfully (a replayed message counts again).",
            ),
        )
        for action, name, help_text in families:
            sums = self._hc_sum(totals, action, lambda r: (r[1], r[2]))
            samples = [
                ("", labels(flow_id, direction=direction or ""), count)
                for (flow_id, direction), count in sorted(sums.items(), key=str)
            ]
            out.family(name, "counter", help_text, samples)
        failed = self._hc_sum(totals, "message.exception", lambda r: r[1])
        out.family(
            "hc_messages_failed_total",
            "counter",
            "Times a message went to exception (business error or attempts exhausted).",
            [("", labels(flow_id), count) for flow_id, count in sorted(failed.items(), key=str)],
        )

    @api.model
    def _hc_queue_families(self, out, labels):
        """Backlog, waiting, in exception and oldest backlog age per flow and direction:
        one query over the messages not finished (the state index keeps done ones out)."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            """
            SELECT flow_id, direction,
                   count(*) FILTER (WHERE state IN %s),
                   count(*) FILTER (WHERE state = 'waiting'),
                   count(*) FILTER (WHERE state = 'exception'),
                   min(received_at) FILTER (WHERE state IN %s)
              FROM hc_integration_message
             WHERE state IN %s
             GROUP BY flow_id, direction
            """,
            (BACKLOG_STATES, BACKLOG_STATES, (*BACKLOG_STATES, "waiting", "exception")),
        )
        per_flow = self.env.cr.fetchall()
        families = (
            ("hc_queue_backlog", "Messages pending, due for retry or being processed."),
            ("hc_queue_waiting", "Messages waiting for a dependency."),
            ("hc_messages_in_exception", "Messages stopped in exception, waiting for a person."),
        )
        for column, (name, help_text) in enumerate(families, start=2):
            out.family(
                name,
                "gauge",
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
                    max(0, int((now - r[5]).total_seconds())) if r[5] else 0,
                )
                for r in per_flow
            ],
        )

    @api.model
    def _hc_open_exception_family(self, out, labels):
        """Open exceptions per flow, from the per-cause counts the database keeps (a
        scrape never counts the open exceptions one by one)."""
        self.env["hc.integration.exception"].flush_model()
        self.env.cr.execute(
            """
            SELECT flow_id, sum(exception_count)::int
              FROM hc_integration_exception_cause_summary
             GROUP BY flow_id HAVING sum(exception_count) > 0
            """
        )
        out.family(
            "hc_exceptions_open",
            "gauge",
            "Open exceptions for people to resolve.",
            [("", labels(flow_id), count) for flow_id, count in self.env.cr.fetchall()],
        )

    @api.model
    def _hc_webhook_families(self, out, totals):
        """Refused deliveries by backend, status and reason, and repeated deliveries, from
        the ``webhook.rejected`` and ``webhook.duplicate`` audit entries."""
        codes = dict(
            self.env["hc.integration.backend"]
            .sudo()
            .with_context(active_test=False)
            .search([])
            .mapped(lambda b: (b.id, b.code))
        )
        rejected = Counter()
        # audit entries of aggregated noise stand for count=N refusals (COUNT_SQL sums them)
        key = lambda r: (codes.get(r[3], ""), r[4], r[5])
        for (backend, status, reason), count in self._hc_sum(
            totals, "webhook.rejected", key
        ).items():
            rejected[(backend, status, reason)] += count
        # refusals of the current minute, not folded into the audit log yet
        pending = self.env["hc.integration.webhook.refusal"]._hc_pending_counts()
        for bucket, status, reason, count in pending:
            rejected[("" if bucket == "unknown" else bucket, str(status), reason)] += count
        out.family(
            "hc_webhook_rejected_total",
            "counter",
            "Webhook deliveries refused, by backend, HTTP status and reason.",
            [
                ("", {"backend": backend, "status": status, "reason": reason}, n)
                for (backend, status, reason), n in sorted(rejected.items())
            ],
        )
        duplicates = self._hc_sum(totals, "webhook.duplicate", lambda r: r[3])
        out.family(
            "hc_webhook_duplicates_total",
            "counter",
            "Webhook deliveries of an event already received (answered 200).",
            [
                ("", {"backend": codes.get(backend, "")}, n)
                for backend, n in sorted(duplicates.items(), key=str)
            ],
        )

    @api.model
    def _hc_latency_family(self, out, labels, totals):
        """Histogram of the time from arrival to done, per flow (``LATENCY_BUCKETS``), of
        every time a message was done."""
        counts, sums = {}, {}
        for action, flow_id, _direction, _backend, bound, _reason, count, total in totals:
            if action != "latency":
                continue
            key = (flow_id, float(bound))
            counts[key] = counts.get(key, 0) + count
            sums[flow_id] = sums.get(flow_id, 0.0) + (total or 0.0)
        samples = []
        for flow_id in sorted(sums, key=str):
            for bound in LATENCY_BUCKETS:
                count = counts.get((flow_id, float(bound)), 0)
                samples.append(("_bucket", labels(flow_id, le=_number(float(bound))), count))
            count = counts.get((flow_id, math.inf), 0)
            samples.append(("_bucket", labels(flow_id, le="+Inf"), count))
            samples.append(("_sum", labels(flow_id), float(sums[flow_id])))
            samples.append(("_count", labels(flow_id), count))
        out.family(
            "hc_message_latency_seconds",
            "histogram",
            "Time from arrival to processed (done), per flow.",
            samples,
        )
