#!/usr/bin/env python3
"""Benchmark: webhook ingest throughput against a bare Odoo route, and realtime latency.

Run: ``python3 tests/benchmarks/bench_webhook_ingest.py [--requests N] [--concurrency C]
[--latency-events K] [--keep]``

A real Odoo server (``workers=2``, one cron worker) on a fresh database
``hc_bench_<8 hex>`` with ``healthcare_integration_base`` installed:

* **Throughput** — the same client (``requests`` sessions, ``--concurrency`` threads,
  default 8) sends ``--requests`` (default 1,000) signed POSTs to
  ``/healthcare/webhook/<backend>/<flow>`` of a *batch* flow (stored, not processed, so
  the cron worker does not compete for the CPU), then the same number of ``GET
  /web/health`` (Odoo's own route, through the same database dispatch), after a warm-up
  of both. Each is measured twice, alternating, and the better run counts. Printed:
  requests/s of each and the ratio webhook/health (goal >= 0.6).
* **Realtime latency** — on the now idle server, ``--latency-events`` (default 30) events
  are posted one at a time to a *realtime* flow (no-op handler); after each ``202`` the
  database is polled every 5 ms until the message is ``done``. Printed: p50 and p95 of
  "202 received → done observed" (goal p95 <= 1 s).

It prints figures and asserts nothing. The database is dropped at the end unless
``--keep``.
"""

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

GOAL_RATIO = 0.6
GOAL_P95 = 1.0
WARMUP = 50


def _quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def server_breakdown(log_text):
    """Median queries, SQL time and other time per route, from Odoo's request log lines
    (``"POST /path HTTP/1.1" 202 - <queries> <sql s> <other s>``)."""
    pattern = re.compile(
        r'"(GET|POST) (/web/health|/healthcare/webhook/\S+) HTTP/1.1" \d+ - '
        r"(\d+) ([\d.]+) ([\d.]+)"
    )
    samples = {}
    for match in pattern.finditer(log_text):
        method, path, queries, sql_time, other_time = match.groups()
        route = f"{method} {path}"
        samples.setdefault(route, []).append(
            (int(queries), float(sql_time) * 1000, float(other_time) * 1000)
        )
    return {
        route: (
            len(values),
            statistics.median(v[0] for v in values),
            statistics.median(v[1] for v in values),
            statistics.median(v[2] for v in values),
        )
        for route, values in samples.items()
    }


def run_load(count, concurrency, send):
    """Call ``send(i)`` for i in range(count) from ``concurrency`` threads; returns
    ``(requests/s, statuses)``."""
    statuses = {}
    lock = threading.Lock()

    def one(number):
        status = send(number)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - start), statuses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-events", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name("hc_bench_")
    print(f"database {db}, working directory {workdir}")
    secret = harness.new_webhook_secret()
    server = None
    try:
        harness.install_database(db, workdir)
        server = harness.OdooServer(db, workdir, name="bench", workers=2, max_cron_threads=1)
        batch = server.run_script(
            harness.seed_sample_flow_script(
                "bench", "ingest", secret, flow_values={"sync_mode": "batch"}
            )
        )
        server.run_script(
            f"""
flow = env["hc.integration.flow"].browse({batch["flow_id"]}).copy(
    {{"code": "realtime", "sync_mode": "realtime"}})
result = flow.id
"""
        )
        server.start()
        run = harness.unique_name("i")
        ingest = harness.WebhookSender(server.base_url, "bench", "ingest", secret, timeout=60)
        realtime = harness.WebhookSender(server.base_url, "bench", "realtime", secret, timeout=60)
        health_url = server.url("/web/health")
        local = threading.local()

        def session():
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        counter = iter(range(10**9))
        counter_lock = threading.Lock()

        def post_webhook(_number):
            with counter_lock:
                number = next(counter)
            body = ingest.encode(harness.contact_event(run, number, simulate="noop"))
            return ingest.post(f"{run}-{number}", body).status_code

        def get_health(_number):
            return session().get(health_url, timeout=60).status_code

        run_load(WARMUP, args.concurrency, post_webhook)
        run_load(WARMUP, args.concurrency, get_health)
        webhook_rates, health_rates = [], []
        for _round in range(2):
            rate, statuses = run_load(args.requests, args.concurrency, post_webhook)
            webhook_rates.append(rate)
            print(f"webhook round: {rate:.1f} req/s, answers {statuses}")
            rate, statuses = run_load(args.requests, args.concurrency, get_health)
            health_rates.append(rate)
            print(f"/web/health round: {rate:.1f} req/s, answers {statuses}")

        # -- realtime latency on an idle server ------------------------------------------
        # the batch flow's messages are processed by the lanes' scheduled runs: wait until
        # they are (and the cron worker is idle again), or the first realtime events would
        # queue behind them
        harness.wait_until(
            lambda: (
                not harness.scalar(
                    db,
                    "SELECT count(*) FROM hc_integration_message WHERE state != 'done'",
                )
                or server.trigger_cron(harness.LANE_CRON_XMLID)
            ),
            600,
            2,
            "the batch messages processed",
        )
        time.sleep(3)
        latencies = []
        conn = harness.pg_connect(db)
        try:
            with conn.cursor() as cr:
                for number in range(args.latency_events):
                    event_id = f"{run}-rt-{number}"
                    body = realtime.encode(
                        harness.contact_event(run, f"rt{number}", simulate="noop")
                    )
                    response = realtime.post(event_id, body)
                    accepted = time.perf_counter()
                    assert response.status_code == 202, response.text
                    message_id = response.json()["message_id"]
                    deadline = accepted + 30
                    while time.perf_counter() < deadline:
                        cr.execute(
                            "SELECT state FROM hc_integration_message WHERE id = %s",
                            (message_id,),
                        )
                        if cr.fetchone()[0] == "done":
                            latencies.append(time.perf_counter() - accepted)
                            break
                        time.sleep(0.005)
                    else:
                        latencies.append(float("inf"))
                    time.sleep(0.5)  # idle again before the next event
        finally:
            conn.close()
    finally:
        log_text = ""
        if server is not None:
            server.stop()
            log_text = server.log_text()
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)

    breakdown = server_breakdown(log_text)
    webhook, health = max(webhook_rates), max(health_rates)
    ratio = webhook / health
    print()
    print(f"{args.requests:,} requests per round, {args.concurrency} client threads, workers=2")
    print(f"signed webhook POST (batch flow)   {webhook:>8.1f} req/s")
    print(f"GET /web/health                    {health:>8.1f} req/s")
    print(
        f"ratio webhook / health: {ratio:.2f} (goal >= {GOAL_RATIO}: "
        f"{'met' if ratio >= GOAL_RATIO else 'MISSED'})"
    )
    for route, (count, queries, sql_ms, python_ms) in breakdown.items():
        print(
            f"  server side, {route}: {count} requests, median {queries:.0f} queries, "
            f"{sql_ms:.1f} ms in SQL, {python_ms:.1f} ms in Python"
        )
    p50, p95 = _quantile(latencies, 0.5), _quantile(latencies, 0.95)
    print(
        f"realtime latency, 202 → done, {len(latencies)} events: p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
        f"(goal p95 <= {GOAL_P95 * 1000:.0f} ms: {'met' if p95 <= GOAL_P95 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
