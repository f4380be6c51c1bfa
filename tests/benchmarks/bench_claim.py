#!/usr/bin/env python3
"""Benchmark: the cost of claiming a batch of due messages, small backlog vs large backlog.

Run: ``python3 tests/benchmarks/bench_claim.py [--small N] [--large N] [--claims N]
[--explain] [--keep]``

In a fresh database ``hc_bench_<8 hex>`` with ``healthcare_integration_base`` installed,
it bulk-inserts ``--small`` (default 10,000) pending messages with ``INSERT … SELECT
generate_series`` (``harness.bulk_insert_messages``, one ordering key per message), then
measures ``hc.integration.processor._claim(10)`` ``--claims`` times (default 300, after
20 warm-up claims), each claim in its own transaction rolled back afterwards so that the
backlog stays the same. It then grows the backlog to
``--large`` (default 1,000,000) and measures again. Both sizes are measured by the same
Odoo process code (``odoo shell``), so the figures follow the code under test.

Printed per backlog: the median and p90 of the claim statement alone (the ``UPDATE …
FOR UPDATE SKIP LOCKED … RETURNING`` of ``_claim``) and of the whole ``_claim()`` call
(statement, ORM, audit entries), then the large/small ratios. Goal: ratio <= 1.5.
``--explain`` (or a missed goal) prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the claim at
both sizes. The database is dropped at the end unless ``--keep``.

It prints figures and asserts nothing.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

GOAL_RATIO = 1.5
BATCH = 10
WARMUP = 20
INSERT_CHUNK = 200_000

MEASURE_SCRIPT = """
import statistics
import time

processor = env["hc.integration.processor"]
cr = env.cr
statement_times = []
captured = {}
cursor_execute = type(cr).execute


def timed_execute(query, params=None, log_exceptions=True):
    if isinstance(query, str) and "UPDATE hc_integration_message m" in query and (
        "SKIP LOCKED" in query
    ):
        captured["query"], captured["params"] = query, params
        start = time.perf_counter()
        try:
            return cursor_execute(cr, query, params, log_exceptions)
        finally:
            statement_times.append(time.perf_counter() - start)
    return cursor_execute(cr, query, params, log_exceptions)


cr.execute = timed_execute
call_times = []
for number in range(WARMUP + CLAIMS):
    cr.rollback()
    start = time.perf_counter()
    claimed = processor._claim(BATCH, "inbound", 1)
    elapsed = time.perf_counter() - start
    assert len(claimed) == BATCH, len(claimed)
    if number >= WARMUP:
        call_times.append(elapsed)
cr.rollback()
del cr.execute
plan = []
if EXPLAIN:
    cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured["query"], captured["params"])
    plan = [row[0] for row in cr.fetchall()]
    cr.rollback()


def quantiles(values):
    values = sorted(values)
    return {
        "median": statistics.median(values),
        "p90": values[int(len(values) * 0.9) - 1],
        "first": values[0],
    }


result = {
    "statement": quantiles(statement_times[WARMUP:]),
    "call": quantiles(call_times),
    "plan": plan,
}
"""


def fill(db, flow_id, first, last):
    """Insert pending messages ``first``..``last`` (inclusive) in chunks."""
    for start in range(first, last + 1, INSERT_CHUNK):
        stop = min(last, start + INSERT_CHUNK - 1)
        harness.bulk_insert_messages(db, flow_id, "bench", start, stop, {"simulate": "noop"})
    harness.query(db, "VACUUM ANALYZE hc_integration_message")


def measure(server, claims, explain):
    script = f"WARMUP = {WARMUP}\nCLAIMS = {claims}\nBATCH = {BATCH}\nEXPLAIN = {explain!r}\n"
    return server.run_script(script + MEASURE_SCRIPT, timeout=1800)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name("hc_bench_")
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
        filled = 0
        for size in (args.small, args.large):
            started = time.monotonic()
            fill(db, seeded["flow_id"], filled + 1, size)
            filled = size
            print(
                f"backlog of {size:,} pending messages ready in {time.monotonic() - started:.0f} s"
            )
            results[size] = measure(server, args.claims, args.explain)

        print()
        print(f"claim of {BATCH} messages, median (p90) over {args.claims} claims, ms")
        print(f"{'pending':>12}  {'claim statement':>22}  {'whole _claim()':>22}")
        for size, result in results.items():
            statement, call = result["statement"], result["call"]
            print(
                f"{size:>12,}  {statement['median'] * 1e3:>12.3f} ({statement['p90'] * 1e3:.3f})"
                f"  {call['median'] * 1e3:>12.3f} ({call['p90'] * 1e3:.3f})"
            )
        small, large = results[args.small], results[args.large]
        ratio_statement = large["statement"]["median"] / small["statement"]["median"]
        ratio_call = large["call"]["median"] / small["call"]["median"]
        verdict = "met" if ratio_statement <= GOAL_RATIO else "MISSED"
        print(
            f"ratio {args.large:,} / {args.small:,}: statement {ratio_statement:.2f}, "
            f"whole _claim() {ratio_call:.2f} (goal <= {GOAL_RATIO}: {verdict})"
        )
        if ratio_statement > GOAL_RATIO and not args.explain:
            for size in (args.small, args.large):
                results[size] = measure(server, 5, True)
        for size in (args.small, args.large):
            if results[size]["plan"]:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the claim with {size:,} pending:")
                print("\n".join(results[size]["plan"]))
    finally:
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
