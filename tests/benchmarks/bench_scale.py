#!/usr/bin/env python3
"""Benchmark: flat cost at scale — a metrics scrape, the dashboard, the exception list and
the traffic analysis with a small and a large message history (issue 13).

Run: ``python3 tests/benchmarks/bench_scale.py [--small N] [--large N] [--repeat N]
[--keep]`` (defaults 10,000 and 1,000,000; ``HC_BENCH_SCALE_LARGE`` overrides ``--large``,
e.g. for a quick run).

In a fresh database ``hc_bench_<8 hex>`` with ``healthcare_integration_base`` installed it
inserts, with ``INSERT … SELECT generate_series``, a history at a constant arrival rate
(``RATE`` messages an hour, so a larger table is a longer history, as in production): 98 %
done, 1 % in exception with an open exception, 1 % pending, each with its
``message.received`` audit entry and, when done or failed, its ``message.done`` or
``message.exception`` entry. The maintenance cron's roll-up of the metrics is run to the
current hour, as a running server does every minute. Then, in ``odoo shell`` (the code
under test), it times ``--repeat`` times (median):

- scrape: ``hc.integration.metrics._hc_prometheus()`` (what ``/healthcare/metrics`` serves);
- dashboard: ``search_read`` of the flows with the kanban's figures;
- exception list: the list view's first page of open exceptions and its count;
- traffic analysis: the graph view's ``read_group`` (day × outcome, messages summed) over
  its default filter (this month) of ``hc.integration.traffic.report``, the hourly totals
  rolled up with the metrics plus the audit rows after the watermark: its cost follows
  hours × flows, not messages (at a constant rate, a 10,000-message history is 10 hours
  of the month and a 1,000,000-message one all of the month's hours so far).

It prints both sizes, their ratio (goal <= 3) and asserts nothing. The database is dropped
at the end unless ``--keep``.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

GOAL_RATIO = 3.0
#: A line printed for comparison, outside the goal: the analysis as it read messages.
REFERENCE = "(messages, before)"
#: Arrivals per hour of the generated history.
RATE = 1000
INSERT_CHUNK = 200_000

#: Rows ``first``..``last``; row ``g`` arrived ``(base + sign * g) / RATE`` hours ago. Recent
#: rows (age < 1,000) hold the open work: 1 % in exception, 1 % pending; older failures
#: were resolved by people (message cancelled, exception resolved).
FILL_SQL = """
WITH rows AS (
    SELECT g, %(base)s + %(sign)s * g AS age
      FROM generate_series(%(first)s, %(last)s) AS g
), timed AS (
    SELECT g, age,
           (now() AT TIME ZONE 'UTC') - make_interval(secs => age * 3600.0 / %(rate)s) AS at,
           CASE WHEN g %% 100 = 0 AND age < 1000 THEN 'exception'
                WHEN g %% 100 = 0 THEN 'cancelled'
                WHEN g %% 100 = 1 AND age < 1000 THEN 'pending'
                ELSE 'done' END AS state
      FROM rows
)
INSERT INTO hc_integration_message (
    backend_id, flow_id, company_id, direction, external_id, content_hash, ordering_key,
    event_type, schema_version, payload, state, priority, attempts, next_attempt_at,
    received_at, started_at, finished_at, latency_seconds, trace_id,
    create_uid, write_uid, create_date, write_date)
SELECT f.backend_id, f.id, f.company_id, 'inbound', 'scale-evt-' || g, md5(g::text),
       'contact:scale-' || g, 'contact.upsert', '1.0', '{}'::jsonb, r.state, f.priority,
       1, r.at, r.at, r.at, CASE WHEN r.state = 'pending' THEN NULL ELSE r.at END,
       CASE WHEN r.state = 'done' THEN 0.2 + (g %% 50) / 10.0 END, md5('t' || g),
       1, 1, r.at, r.at
  FROM timed r, hc_integration_flow f WHERE f.id = %(flow_id)s
"""

AUDIT_SQL = """
INSERT INTO hc_integration_audit (timestamp, actor_type, action, message_id, backend_id,
                                  summary)
SELECT m.received_at, 'backend', 'message.received', m.id, m.backend_id, 'received'
  FROM hc_integration_message m
 WHERE m.external_id LIKE 'scale-evt-%%' AND m.id > %(after)s
UNION ALL
SELECT m.finished_at, 'system',
       CASE WHEN m.state = 'done' THEN 'message.done' ELSE 'message.exception' END,
       m.id, m.backend_id, m.state
  FROM hc_integration_message m
 WHERE m.external_id LIKE 'scale-evt-%%' AND m.id > %(after)s
   AND m.state IN ('done', 'exception', 'cancelled')
"""

EXCEPTION_SQL = """
INSERT INTO hc_integration_exception (name, message_id, flow_id, backend_id, company_id,
    category, description, state, state_order, occurrence_count, last_occurred_at,
    create_uid, write_uid, create_date, write_date)
SELECT 'Sample contact cannot be applied', m.id, m.flow_id, m.backend_id, m.company_id,
       'validation', 'Correct the contact in the source system.',
       CASE WHEN m.state = 'exception' THEN 'open' ELSE 'resolved' END,
       CASE WHEN m.state = 'exception' THEN 0 ELSE 1 END, 1,
       m.finished_at, 1, 1, m.finished_at, m.finished_at
  FROM hc_integration_message m
 WHERE m.external_id LIKE 'scale-evt-%%' AND m.id > %(after)s
   AND m.state IN ('exception', 'cancelled')
"""

ROLL_UP_SCRIPT = """
from odoo.addons.healthcare_integration_base.models.hc_integration_metrics import LATENCY_BUCKETS
Bucket = env["hc.integration.metric.bucket"]
hours = 0
while True:
    rolled = Bucket._hc_roll_up(LATENCY_BUCKETS)
    env.cr.commit()
    hours += rolled
    if not rolled:
        break
result = hours
"""

MEASURE_SCRIPT = """
import statistics
import time
from datetime import datetime

Flow = env["hc.integration.flow"]
Exception_ = env["hc.integration.exception"]
Traffic = env["hc.integration.traffic.report"]
Message = env["hc.integration.message"]
Metrics = env["hc.integration.metrics"]
month = datetime.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
DASHBOARD = ["name", "count_backlog", "count_waiting", "count_exception", "count_done_24h",
             "open_exception_count", "oldest_pending_minutes", "last_received_at", "sla_state"]


def scrape():
    Metrics._hc_prometheus()


def dashboard():
    Flow.invalidate_model()
    Flow.search_read([], DASHBOARD)


def exception_list():
    Exception_.invalidate_model()
    domain = [("state", "=", "open")]
    Exception_.search_read(domain, ["create_date", "name", "flow_id", "category", "state"],
                           limit=80)
    Exception_.search_count(domain)


def traffic():
    Traffic.read_group([("hour", ">=", month)], ["message_count:sum"],
                       ["hour:day", "outcome"], lazy=False)


def traffic_on_messages():
    # what the analysis read before (a reference line, not a goal)
    Message.read_group([("received_at", ">=", month)], ["__count"],
                       ["received_at:day", "state"], lazy=False)


result = {}
for name, function in (("scrape", scrape), ("dashboard", dashboard),
                       ("exception list", exception_list), ("traffic analysis", traffic),
                       (REFERENCE, traffic_on_messages)):
    function()  # warm-up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        env.cr.rollback()
    result[name] = statistics.median(times)
"""


def fill(db, flow_id, first, last, base, sign):
    """History rows ``first``..``last`` (inclusive); row ``g`` is ``base + sign * g``
    arrivals old (``RATE`` an hour)."""
    for start in range(first, last + 1, INSERT_CHUNK):
        stop = min(last, start + INSERT_CHUNK - 1)
        after = harness.scalar(db, "SELECT coalesce(max(id), 0) FROM hc_integration_message")
        params = {"first": start, "last": stop, "rate": RATE, "flow_id": flow_id}
        harness.query(db, FILL_SQL, dict(params, base=base, sign=sign))
        harness.query(db, AUDIT_SQL, {"after": after})
        harness.query(db, EXCEPTION_SQL, {"after": after})
    for table in ("hc_integration_message", "hc_integration_audit", "hc_integration_exception"):
        harness.query(db, f"VACUUM ANALYZE {table}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument(
        "--large", type=int, default=int(os.environ.get("HC_BENCH_SCALE_LARGE") or 1_000_000)
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name(harness.BENCH_PREFIX)
    print(f"database {db}, working directory {workdir}")
    try:
        started = time.monotonic()
        harness.install_database(db, workdir)
        server = harness.OdooServer(db, workdir, name="bench")
        seeded = server.run_script(
            harness.seed_sample_flow_script("bench", "contacts", harness.new_webhook_secret())
        )
        print(f"installed and seeded in {time.monotonic() - started:.0f} s")
        results = {}
        for size in (args.small, args.large):
            started = time.monotonic()
            if size == args.small:  # the recent history, ending now
                fill(db, seeded["flow_id"], 1, size, base=size, sign=-1)
            else:  # the same recent history and a longer past before it
                fill(db, seeded["flow_id"], args.small + 1, size, base=-1, sign=1)
            # the older past arrived before the watermark: roll everything up again
            harness.query(db, "DELETE FROM hc_integration_metric_bucket")
            harness.query(db, "DELETE FROM hc_integration_traffic_hour")
            hours = server.run_script(ROLL_UP_SCRIPT, timeout=3600)
            print(
                f"{size:,} messages ready in {time.monotonic() - started:.0f} s "
                f"({hours} hours rolled up)"
            )
            results[size] = server.run_script(
                f"REPEAT = {args.repeat}\nREFERENCE = {REFERENCE!r}\n" + MEASURE_SCRIPT,
                timeout=1800,
            )
        print()
        print(f"median of {args.repeat} runs, ms")
        print(f"{'':>18}  {args.small:>12,}  {args.large:>12,}  {'ratio':>6}")
        worst = 0.0
        for name in results[args.small]:
            small, large = results[args.small][name], results[args.large][name]
            ratio = large / small if small else float("inf")
            if name != REFERENCE:
                worst = max(worst, ratio)
            print(f"{name:>18}  {small * 1e3:>12.2f}  {large * 1e3:>12.2f}  {ratio:>6.2f}")
        verdict = "met" if worst <= GOAL_RATIO else "MISSED"
        print(f"worst ratio {worst:.2f} (goal <= {GOAL_RATIO}: {verdict})")
    finally:
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
