#!/usr/bin/env python3
"""Benchmark: queue processing throughput against the bare database work it stands for.

Run: ``python3 tests/benchmarks/bench_engine_throughput.py [--messages N] [--keep]``

In a fresh database ``hc_bench_<8 hex>`` with ``healthcare_integration_base`` installed,
one ``odoo shell`` process (real cursor, real commits, no test mode) measures, one after
the other in the same run:

* **engine, no-op handler** — ``--messages`` (default 2,000) sample events with
  ``"simulate": "noop"`` are enqueued through ``_hc_enqueue`` (not timed), then
  ``_cron_process_queue`` is called until the queue is empty. Per message the engine
  claims (in batches of 10), locks, runs the handler in a savepoint, moves the message to
  ``done``, writes the audit entries and commits.
* **baseline, ORM write + commit** — one ``res.partner`` write and one commit per message:
  the smallest committed unit of ORM work a message can stand for.
* **baseline, SQL lock + update + commit** — ``SELECT … FOR UPDATE``, ``UPDATE``,
  ``COMMIT`` per row of a plain table: the floor of any durable queue.
* **engine, sample upsert handler** and its baseline **ORM create + commit** — the real
  handler (``res.partner`` upsert by binding, record link) against creating the same
  partners with the bare ORM, one commit each.

It prints messages per second for each and the engine/baseline ratios, and asserts
nothing. The database is dropped at the end unless ``--keep``.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

BENCH_SCRIPT = """
import time

flow = env["hc.integration.flow"].browse(FLOW_ID)
messages = env["hc.integration.message"]
processor = env["hc.integration.processor"]
cr = env.cr


def enqueue(prefix, extra):
    for number in range(COUNT):
        payload = {
            "event_type": "contact.upsert",
            "schema_version": "1.0",
            "occurred_at": "2026-01-01T00:00:00Z",
            "contact": {"external_id": f"{prefix}{number}", "name": f"bench {prefix} {number}"},
        }
        payload.update(extra)
        messages._hc_enqueue(flow, payload, external_id=f"{prefix}-{number}")
    cr.commit()


def drain():
    start = time.perf_counter()
    processed = 0
    while True:
        count = processor._cron_process_queue(lane=1)
        cr.commit()
        if not count:
            break
        processed += count
    return processed, time.perf_counter() - start


def done_count(prefix):
    cr.execute(
        "SELECT count(*) FROM hc_integration_message WHERE external_id LIKE %s "
        "AND state = 'done'",
        (prefix + "-%",),
    )
    return cr.fetchone()[0]


figures = {}

# engine, no-op handler
enqueue("noop", {"simulate": "noop"})
processed, elapsed = drain()
assert done_count("noop") == COUNT, done_count("noop")
figures["engine_noop"] = (processed, elapsed)

# baseline: one ORM write + commit per message
partner_ids = env["res.partner"].create(
    [{"name": f"bench base {n}"} for n in range(COUNT)]
).ids
cr.commit()
start = time.perf_counter()
for partner_id in partner_ids:
    # one record per write: browsing the whole set would make every write prefetch
    # (and, after each commit, reload) all of them
    env["res.partner"].browse(partner_id).write({"comment": "touched"})
    cr.commit()
figures["orm_write"] = (COUNT, time.perf_counter() - start)

# baseline: SELECT ... FOR UPDATE; UPDATE; COMMIT per row
cr.execute(
    "CREATE TABLE hc_bench_queue (id serial PRIMARY KEY, state varchar NOT NULL, "
    "attempts integer NOT NULL DEFAULT 0)"
)
cr.execute(
    "INSERT INTO hc_bench_queue (state) SELECT 'pending' FROM generate_series(1, %s)",
    (COUNT,),
)
cr.commit()
start = time.perf_counter()
for row_id in range(1, COUNT + 1):
    cr.execute("SELECT id FROM hc_bench_queue WHERE id = %s FOR UPDATE", (row_id,))
    cr.execute(
        "UPDATE hc_bench_queue SET state = 'done', attempts = attempts + 1 WHERE id = %s",
        (row_id,),
    )
    cr.commit()
figures["sql_lock_update"] = (COUNT, time.perf_counter() - start)
cr.execute("DROP TABLE hc_bench_queue")
cr.commit()

# engine, sample upsert handler
enqueue("upsert", {})
processed, elapsed = drain()
assert done_count("upsert") == COUNT, done_count("upsert")
figures["engine_upsert"] = (processed, elapsed)

# baseline: the same partners created by the bare ORM, one commit each
start = time.perf_counter()
for number in range(COUNT):
    env["res.partner"].create({"name": f"bench create {number}"})
    cr.commit()
figures["orm_create"] = (COUNT, time.perf_counter() - start)

result = figures
"""

LABELS = {
    "engine_noop": "engine, no-op handler",
    "orm_write": "baseline: ORM write + commit",
    "sql_lock_update": "baseline: SQL lock + update + commit",
    "engine_upsert": "engine, sample upsert handler",
    "orm_create": "baseline: ORM create + commit",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name("hc_bench_")
    print(f"database {db}, working directory {workdir}")
    try:
        harness.install_database(db, workdir)
        server = harness.OdooServer(db, workdir, name="bench")
        seeded = server.run_script(
            harness.seed_sample_flow_script(
                "bench",
                "contacts",
                harness.new_webhook_secret(),
                # batch: enqueueing does not wake crons (no server runs anyway)
                flow_values={"sync_mode": "batch"},
            )
        )
        script = f"FLOW_ID = {seeded['flow_id']}\nCOUNT = {args.messages}\n" + BENCH_SCRIPT
        figures = server.run_script(script, timeout=3600)
    finally:
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)

    rates = {key: count / elapsed for key, (count, elapsed) in figures.items()}
    print()
    print(f"{args.messages:,} messages per measurement, one process, real commits")
    for key, label in LABELS.items():
        count, elapsed = figures[key]
        print(f"{label:<40} {rates[key]:>9.1f} /s  ({count} in {elapsed:.2f} s)")
    print()
    print(
        f"engine no-op / ORM write + commit:        {rates['engine_noop'] / rates['orm_write']:.2f}"
    )
    print(
        "engine no-op / SQL lock + update + commit: "
        f"{rates['engine_noop'] / rates['sql_lock_update']:.2f}"
    )
    print(
        "engine upsert / ORM create + commit:      "
        f"{rates['engine_upsert'] / rates['orm_create']:.2f}"
    )
    per_message_ms = 1000 / rates["engine_noop"] - 1000 / rates["orm_write"]
    print(f"engine overhead per message over ORM write + commit: {per_message_ms:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
