#!/usr/bin/env python3
"""Benchmark: do processing lanes scale? One lane against two on the same backlog of
I/O-bound messages, on a real server.

Run: ``python3 tests/benchmarks/bench_lanes.py [--messages N] [--rounds R] [--keep]``

A real Odoo server (prefork, ``workers=2``, ``max_cron_threads=2``: two cron worker
processes in every measurement, so only the number of lanes changes) on a fresh database
``hc_bench_<8 hex>`` with ``healthcare_integration_base`` installed. Each measurement
puts a backlog of ``--messages`` (default 600) sample events with ``"simulate": "slow"``
in the queue in one SQL statement — the handler waits 50 ms without holding the CPU, the
GIL or a database lock, like a call to another system — makes 1 or 2 processing crons
active (``_sync_lanes``), wakes them and waits until every message is ``done``.
``--rounds`` (default 2) rounds alternate 1 lane and 2 lanes; the best of each counts.

Printed per measurement: messages/s from the wake-up to the last ``done`` (wall clock)
and from the first claim to the last ``done`` (the messages' own timestamps), the claims
per lane, the database conflicts the messages met and the serialization failures in the
server log; then the ratio 2 lanes / 1 lane (goal >= 1.7). It asserts nothing. The
database is dropped at the end unless ``--keep``.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

GOAL_RATIO = 1.7

#: Wake every active processing cron at once (as ``ir.cron._trigger`` + NOTIFY would).
TRIGGER_LANES_SQL = """
INSERT INTO ir_cron_trigger (cron_id, call_at, create_date, write_date)
SELECT c.id, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id
 WHERE c.active AND a.code LIKE 'model._cron_process_queue(%%'
"""


def set_lanes(server, count):
    server.run_script(
        f"""
env["hc.integration.processor"]._sync_lanes({count})
result = env["hc.integration.processor"]._lane_crons().filtered("active").ids
"""
    )


def measure(server, flow_id, backend_id, prefix, count, lanes):
    """Put ``count`` slow messages in the queue, wake ``lanes`` lanes, wait until all are
    done; the figures of the run."""
    db = server.db_name
    set_lanes(server, lanes)
    done_before = harness.state_counts(db, backend_id).get("done", 0)
    log_before = len(server.log_text())
    harness.bulk_insert_messages(db, flow_id, prefix, 1, count, extra={"simulate": "slow"})
    start = time.perf_counter()
    harness.query(db, TRIGGER_LANES_SQL)
    harness.query("postgres", "SELECT pg_notify('cron_trigger', %s)", (db,))
    harness.wait_until(
        lambda: harness.state_counts(db, backend_id).get("done", 0) - done_before >= count,
        1800,
        0.1,
        f"{count} messages done with {lanes} lane(s)",
    )
    wall = time.perf_counter() - start
    first_claim, last_done, conflicts = harness.query(
        db,
        "SELECT min(started_at), max(finished_at), sum(conflict_count) "
        "FROM hc_integration_message WHERE external_id LIKE %s",
        (prefix + "-evt-%",),
    )[0]
    owners = harness.query(
        db,
        "SELECT split_part(a.summary, '(', 2), count(*) FROM hc_integration_audit a "
        "JOIN hc_integration_message m ON m.id = a.message_id "
        "WHERE a.action = 'message.processing' AND m.external_id LIKE %s GROUP BY 1 ORDER BY 1",
        (prefix + "-evt-%",),
    )
    serialization = server.log_text()[log_before:].count("could not serialize")
    return {
        "wall": count / wall,
        "own": count / max((last_done - first_claim).total_seconds(), 1e-6),
        "claims": {label.rstrip(")"): n for label, n in owners},
        "conflicts": int(conflicts or 0),
        "serialization": serialization,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name(harness.BENCH_PREFIX)
    print(f"database {db}, working directory {workdir}")
    server = None
    results = {1: [], 2: []}
    try:
        harness.install_database(db, workdir)
        server = harness.OdooServer(db, workdir, name="bench", workers=2, max_cron_threads=2)
        seeded = server.run_script(
            harness.seed_sample_flow_script(
                "bench", "lanes", harness.new_webhook_secret(), flow_values={"sync_mode": "batch"}
            )
        )
        server.start()
        run = harness.unique_name("l")
        for number in range(args.rounds):
            for lanes in (1, 2):
                figures = measure(
                    server,
                    seeded["flow_id"],
                    seeded["backend_id"],
                    f"{run}r{number}n{lanes}",
                    args.messages,
                    lanes,
                )
                results[lanes].append(figures)
                print(
                    f"{lanes} lane(s): {figures['wall']:.1f} msg/s wall clock, "
                    f"{figures['own']:.1f} msg/s first claim → last done; claims "
                    f"{figures['claims']}, conflicts {figures['conflicts']}, serialization "
                    f"failures logged {figures['serialization']}",
                    flush=True,
                )
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"{args.messages:,} I/O-bound messages (50 ms each) per measurement, workers=2, "
        f"max_cron_threads=2, {args.rounds} rounds alternating (best counts)"
    )
    best = {lanes: max(r["wall"] for r in runs) for lanes, runs in results.items()}
    best_own = {lanes: max(r["own"] for r in runs) for lanes, runs in results.items()}
    for lanes in (1, 2):
        print(
            f"{lanes} lane(s): {best[lanes]:>7.1f} msg/s wall clock, "
            f"{best_own[lanes]:>7.1f} msg/s first claim → last done"
        )
    ratio = best[2] / best[1]
    print(
        f"ratio 2 lanes / 1 lane: {ratio:.2f} wall clock, {best_own[2] / best_own[1]:.2f} "
        f"first claim → last done (goal >= {GOAL_RATIO}: "
        f"{'met' if ratio >= GOAL_RATIO else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
