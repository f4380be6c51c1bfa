#!/usr/bin/env python3
"""Benchmark: webhook ingest against the floor of durable intake in the same server, the
cost of one delivery stage by stage, and realtime latency.

Run: ``python3 tests/benchmarks/bench_webhook_ingest.py [--requests N] [--concurrency C]
[--rounds R] [--breakdown-deliveries D] [--latency-events K] [--keep]``

A real Odoo server (``workers=2``, one cron worker) on a fresh database
``hc_bench_<8 hex>`` with ``healthcare_integration_base`` and the test-only addon
``tests/benchmarks/addons/hc_bench_floor`` installed (that path is added to the addons
path of this database's install and server only):

* **Throughput** — the same client (``--concurrency`` threads, default 8, plain
  ``http.client``, one connection per request as Odoo's HTTP/1.0 workers answer) sends
  ``--requests`` (default 600) POSTs of the same signed sample events, built and signed
  before the clock starts, to

  - ``/healthcare/webhook/<backend>/<flow>`` of a *batch* flow, paused (stored, not
    processed: the lanes' cron worker would otherwise take the CPU from whichever
    round it happens to run in), and
  - ``/hc_bench/floor``: a bare ``auth='none'`` route that inserts the body into a table
    and commits — the floor of durable intake in Odoo.

  After a warm-up of both (``WARMUP`` requests each, enough for the first round not to
  pay for what a fresh server and fresh tables do once), ``--rounds`` (default 6) rounds
  alternate webhook and floor, the side that goes first alternating too (webhook-floor,
  floor-webhook, …). The ratio webhook/floor (goal >= 0.8) is the median of the ratios
  of the two rounds of each pair: the pace of a shared machine drifts, two adjacent
  rounds share it, and with the order alternating a drift favours neither side (the best
  round of each side against the other is printed too). Printed besides: requests/s
  and the CPU time per request of the Odoo server and of PostgreSQL (``psutil``),
  medians over the rounds, and the server's own median queries and time per request of
  each route (from Odoo's request log).
* **Breakdown of one delivery** — ``odoo shell`` calls the controller's code path
  (``_hc_body_limit`` then ``_hc_receive``, then the commit) ``--breakdown-deliveries``
  times (default 200) for the batch flow and for a realtime flow (and the floor's
  INSERT and commit of the same bodies, for comparison), with each stage's
  method wrapped to measure it: flow lookup, secret, signature, rate limit, parsing,
  schema validation, minimisation, the audit entry's SQL, the one INSERT of message and
  audit entry (idempotent), wake-up, NOTIFY, commit,
  and the rest. Time is exclusive (a stage nested in another counts for itself only);
  queries are counted with Odoo's global query counter. Printed: the median ms and
  queries of each stage per delivery.
* **Realtime latency** — on the idle server, ``--latency-events`` (default 30) events are
  posted one at a time to the realtime flow (no-op handler); after each ``202`` the
  database is polled every 5 ms until the message is ``done``. Printed: p50 and p95 of
  "202 received → done observed" (goal p95 <= 1 s).

It prints figures and asserts nothing. The machine may be shared: compare the two sides
of one run, not figures of different runs. The database is dropped at the end unless
``--keep``.
"""

import argparse
import http.client
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

GOAL_RATIO = 0.8
GOAL_P95 = 1.0
WARMUP = 300
FLOOR_ADDONS = Path(__file__).resolve().parent / "addons"
FLOOR_PATH = "/hc_bench/floor"

#: Run in ``odoo shell``: the controller's code path, stage by stage (see the docstring).
BREAKDOWN_SCRIPT = r"""
import statistics
import time

import odoo
from odoo import api
from odoo.addons.healthcare_integration_base.tools import standard_webhooks

RUN, SECRET, COUNT, FLOWS = __ARGS__

#: stage -> [(model, method)] wrapped; a stage nested in another counts for itself only
STAGES = {
    "flow lookup": [("hc.integration.webhook", "_hc_find_flow"),
                    ("hc.integration.webhook", "_hc_target_flow"),
                    ("hc.integration.webhook", "_hc_flow_info")],
    "secret": [("hc.integration.backend", "_get_webhook_secrets")],
    "signature": [(None, "verify")],
    "rate limit": [("hc.integration.webhook.hit", "_hc_check_and_record")],
    "parse (JSON)": [("hc.integration.webhook", "_hc_parse")],
    "schema validation": [("hc.integration.webhook", "_hc_check_contract")],
    "minimise + row values": [("hc.integration.message", "_hc_minimize"),
                              ("hc.integration.message", "_prepare_message_values")],
    "audit entry (SQL)": [("hc.integration.message", "_hc_arrival_entry")],
    "insert message + audit": [("hc.integration.message", "_hc_insert_if_new")],
    "wake-up trigger": [("hc.integration.processor", "_wake_up")],
    "NOTIFY": [("ir.cron", "_notifydb")],
}
ORDER = list(STAGES) + ["commit", "rest (receiver, Odoo)"]
REST = "rest (receiver, Odoo)"

state = {"stage": REST, "stack": [], "last": 0.0, "queries": 0, "sample": None}


def switch(stage):
    now, queries = time.perf_counter(), odoo.sql_db.sql_counter
    sample = state["sample"]
    if sample is not None:
        entry = sample.setdefault(state["stage"], [0.0, 0])
        entry[0] += (now - state["last"]) * 1000
        entry[1] += queries - state["queries"]
    state.update(stage=stage, last=now, queries=queries)


def wrap(stage, function):
    def wrapper(*args, **kwargs):
        state["stack"].append(state["stage"])
        switch(stage)
        try:
            return function(*args, **kwargs)
        finally:
            switch(state["stack"].pop())
    return wrapper


for stage, targets in STAGES.items():
    for model, method in targets:
        if model is None:
            setattr(standard_webhooks, method, wrap(stage, getattr(standard_webhooks, method)))
            continue
        cls = type(env[model])
        if hasattr(cls, method):
            setattr(cls, method, wrap(stage, getattr(cls, method)))

cr = env.cr
cr_commit = type(cr).commit


def deliver_floor(body):
    # what /hc_bench/floor does with the same body: the baseline's stages
    state["stack"].append(state["stage"])
    switch("insert message + audit")
    cr.execute("INSERT INTO hc_bench_floor (body) VALUES (%s) RETURNING id", (body,))
    cr.fetchone()
    switch("commit")
    cr_commit(cr)  # pylint: disable=invalid-commit
    switch(state["stack"].pop())


def deliver(flow_code, number):
    body = (
        '{"contact":{"external_id":"%s-%s","name":"bench %s %s"},'
        '"event_type":"contact.upsert","occurred_at":"2026-01-01T00:00:00Z",'
        '"schema_version":"1.0","simulate":"noop"}' % (RUN, number, RUN, number)
    ).encode()
    if flow_code == "floor":
        return deliver_floor(body)
    event_id = "%s-%s-%s" % (RUN, flow_code, number)
    headers = standard_webhooks.sign_headers(SECRET, event_id, body)
    headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(body))
    nobody = api.Environment(cr, None, {})  # auth='none': no user, like the route
    receiver = nobody["hc.integration.webhook"]
    flow_id, _limit = receiver._hc_body_limit("bench", flow_code)
    status, answer, _headers = receiver._hc_receive(
        "bench", flow_code, headers, lambda limit: body, "application/json",
        flow_id=flow_id, source="127.0.0.1",
    )
    assert status == 202, (status, answer)
    state["stack"].append(state["stage"])
    switch("commit")
    cr_commit(cr)  # pylint: disable=invalid-commit
    switch(state["stack"].pop())


result = {}
for flow_code in FLOWS:
    samples = []
    for number in range(COUNT + 20):
        state["sample"] = {} if number >= 20 else None  # 20 warm-up deliveries
        switch(REST)
        deliver(flow_code, number)
        switch(REST)
        if state["sample"] is not None:
            samples.append(state["sample"])
    stages = {}
    for stage in ORDER:
        values = [sample.get(stage, [0.0, 0]) for sample in samples]
        stages[stage] = (
            statistics.median(v[0] for v in values),
            statistics.median(v[1] for v in values),
        )
    totals = [sum(v[0] for v in sample.values()) for sample in samples]
    queries = [sum(v[1] for v in sample.values()) for sample in samples]
    result[flow_code] = {
        "stages": stages,
        "total_ms": statistics.median(totals),
        "total_queries": statistics.median(queries),
    }
"""


def server_breakdown(log_text):
    """Median queries, SQL time and other time per route, from Odoo's request log lines
    (``"POST /path HTTP/1.x" 202 - <queries> <sql s> <other s>``)."""
    pattern = re.compile(
        r'"(POST) (/hc_bench/floor|/healthcare/webhook/\S+) HTTP/1.[01]" \d+ - '
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


class RawClient:
    """The same minimal client for both routes: prepared requests sent over one new
    connection each (Odoo's workers speak HTTP/1.0 and close after each answer)."""

    def __init__(self, port):
        self.port = port

    def send(self, request):
        path, headers, body = request
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def run(self, requests, concurrency):
        """Send every prepared request from ``concurrency`` threads; ``(req/s, statuses)``."""
        statuses = {}
        lock = threading.Lock()

        def one(request):
            status = self.send(request)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, requests))
        return len(requests) / (time.perf_counter() - start), statuses


def prepare(sender, run, first, count, path=None):
    """``count`` signed sample events (numbers from ``first``), as ``(path, headers,
    body)``; to the webhook, or with the same headers and bodies to ``path``."""
    requests = []
    webhook_path = sender.url.split("127.0.0.1:", 1)[1].split("/", 1)[1]
    for number in range(first, first + count):
        body = sender.encode(harness.contact_event(run, number, simulate="noop"))
        headers = sender._sw.sign_headers(sender.secret, f"{run}-{number}", body)
        headers["Content-Type"] = "application/json"
        requests.append((path or "/" + webhook_path, headers, body))
    return requests


def seed(server, secret):
    batch = server.run_script(
        harness.seed_sample_flow_script(
            "bench", "ingest", secret, flow_values={"sync_mode": "batch"}
        )
    )
    server.run_script(
        f"""
batch = env["hc.integration.flow"].browse({batch["flow_id"]})
flow = batch.copy({{"code": "realtime", "sync_mode": "realtime"}})
batch.action_pause()
result = flow.id
"""
    )


def cpu_seconds(server):
    """CPU seconds used so far by the Odoo server (all its processes) and by PostgreSQL
    (every backend of this machine's cluster)."""
    odoo = psutil.Process(server.process.pid)
    processes = [odoo, *odoo.children(recursive=True)]
    postgres = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "") == "postgres"]
    totals = []
    for group in (processes, postgres):
        total = 0.0
        for process in group:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue  # ended meanwhile
            total += times.user + times.system
        totals.append(total)
    return totals


def measure_throughput(server, sender, args):
    """``{side: [(req/s, Odoo CPU ms per request, PostgreSQL CPU ms per request)]}``,
    one entry per round."""
    client = RawClient(server.port)
    run = harness.unique_name("i")
    numbers = iter(range(0, 10**9, args.requests))
    client.run(prepare(sender, run, next(numbers), WARMUP), args.concurrency)
    client.run(prepare(sender, run, next(numbers), WARMUP, FLOOR_PATH), args.concurrency)
    rounds = {"webhook": [], "floor": []}
    sides = (("webhook", None), ("floor", FLOOR_PATH))
    for number in range(args.rounds):
        # who goes first alternates: a host speeding up or slowing down during the run
        # would otherwise always favour the side that goes second, or first
        for side, path in sides if number % 2 == 0 else sides[::-1]:
            requests = prepare(sender, run, next(numbers), args.requests, path)
            before = cpu_seconds(server)
            rate, statuses = client.run(requests, args.concurrency)
            after = cpu_seconds(server)
            odoo_ms, pg_ms = (
                (b - a) * 1000 / len(requests) for a, b in zip(before, after, strict=True)
            )
            rounds[side].append((rate, odoo_ms, pg_ms))
            print(
                f"{side} round: {rate:.1f} req/s, CPU per request: Odoo {odoo_ms:.2f} ms, "
                f"PostgreSQL {pg_ms:.2f} ms, answers {statuses}",
                flush=True,
            )
    return rounds


def measure_latency(server, realtime, db, count):
    # the breakdown's realtime messages are processed by the lanes: wait until they are
    # (and the cron worker is idle again), or the first events would queue behind them
    harness.wait_until(
        lambda: (
            not harness.scalar(
                db,
                "SELECT count(*) FROM hc_integration_message m "
                "JOIN hc_integration_flow f ON f.id = m.flow_id "
                "WHERE m.state != 'done' AND NOT f.paused",
            )
            or server.trigger_cron(harness.LANE_CRON_XMLID)
        ),
        600,
        2,
        "the realtime messages processed",
    )
    time.sleep(3)
    run = harness.unique_name("l")
    latencies = []
    conn = harness.pg_connect(db)
    try:
        with conn.cursor() as cr:
            for number in range(count):
                body = realtime.encode(harness.contact_event(run, f"rt{number}", simulate="noop"))
                response = realtime.post(f"{run}-rt-{number}", body)
                accepted = time.perf_counter()
                assert response.status_code == 202, response.text
                message_id = response.json()["message_id"]
                deadline = accepted + 30
                while time.perf_counter() < deadline:
                    cr.execute(
                        "SELECT state FROM hc_integration_message WHERE id = %s", (message_id,)
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
    return latencies


def _quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def print_breakdown(breakdown):
    flows = list(breakdown)
    print()
    print("one delivery, stage by stage (odoo shell, controller code path, median of each):")
    header = "".join(f"{flow + ' ms':>14}{'queries':>9}" for flow in flows)
    print(f"  {'stage':<26}{header}")
    for stage in breakdown[flows[0]]["stages"]:
        cells = "".join(
            f"{breakdown[flow]['stages'][stage][0]:>14.3f}"
            f"{breakdown[flow]['stages'][stage][1]:>9.0f}"
            for flow in flows
        )
        print(f"  {stage:<26}{cells}")
    totals = "".join(
        f"{breakdown[flow]['total_ms']:>14.3f}{breakdown[flow]['total_queries']:>9.0f}"
        for flow in flows
    )
    print(f"  {'total (median delivery)':<26}{totals}")


def print_results(args, rounds, log_text, breakdown, latencies):
    webhook, floor = rounds["webhook"], rounds["floor"]
    # the two rounds of each pair against each other: the machine's pace drifts (shared
    # host), a pair shares it
    paired = statistics.median(w[0] / f[0] for w, f in zip(webhook, floor, strict=True))
    best = max(w[0] for w in webhook) / max(f[0] for f in floor)
    print()
    print(
        f"{args.requests:,} requests per round, {args.rounds} rounds each (alternating), "
        f"{args.concurrency} client threads, workers=2; median of each side:"
    )
    for label, side in (
        ("signed webhook POST (batch flow)       ", webhook),
        ("floor: bare auth='none' INSERT + commit", floor),
    ):
        rate, odoo_ms, pg_ms = (statistics.median(r[i] for r in side) for i in range(3))
        print(
            f"{label} {rate:>8.1f} req/s, CPU per request: Odoo {odoo_ms:.2f} ms, "
            f"PostgreSQL {pg_ms:.2f} ms"
        )
    print(
        f"ratio webhook / floor: {paired:.2f}, median of the {len(webhook)} round pairs "
        f"(goal >= {GOAL_RATIO}: {'met' if paired >= GOAL_RATIO else 'MISSED'}); "
        f"best round against best round: {best:.2f}"
    )
    for route, (count, queries, sql_ms, python_ms) in server_breakdown(log_text).items():
        print(
            f"  server side, {route}: {count} requests, median {queries:.0f} queries, "
            f"{sql_ms:.1f} ms in SQL, {python_ms:.1f} ms in Python"
        )
    if breakdown:
        print_breakdown(breakdown)
    if latencies:
        p50, p95 = _quantile(latencies, 0.5), _quantile(latencies, 0.95)
        print(
            f"realtime latency, 202 → done, {len(latencies)} events: p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
            f"(goal p95 <= {GOAL_P95 * 1000:.0f} ms: {'met' if p95 <= GOAL_P95 else 'MISSED'})"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--breakdown-deliveries", type=int, default=200)
    parser.add_argument("--latency-events", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name(harness.BENCH_PREFIX)
    print(f"database {db}, working directory {workdir}")
    secret = harness.new_webhook_secret()
    addons_path = f"{harness.REPO_ROOT},{FLOOR_ADDONS}"
    server = None
    breakdown, latencies, log_text = {}, [], ""
    try:
        harness.install_database(
            db, workdir, addons=f"{harness.BASE_ADDON},hc_bench_floor", addons_path=addons_path
        )
        server = harness.OdooServer(
            db,
            workdir,
            name="bench",
            workers=2,
            max_cron_threads=1,
            options={"addons_path": addons_path},
        )
        seed(server, secret)
        server.start()
        sender = harness.WebhookSender(server.base_url, "bench", "ingest", secret, timeout=60)
        rounds = measure_throughput(server, sender, args)
        if args.breakdown_deliveries:
            script = BREAKDOWN_SCRIPT.replace(
                "__ARGS__",
                repr(
                    (
                        harness.unique_name("b"),
                        secret,
                        args.breakdown_deliveries,
                        ["ingest", "realtime", "floor"],
                    )
                ),
            )
            breakdown = server.run_script(script, timeout=1800)
        if args.latency_events:
            realtime = harness.WebhookSender(
                server.base_url, "bench", "realtime", secret, timeout=60
            )
            latencies = measure_latency(server, realtime, db, args.latency_events)
    finally:
        if server is not None:
            server.stop()
            log_text = server.log_text()
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)
    print_results(args, rounds, log_text, breakdown, latencies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
