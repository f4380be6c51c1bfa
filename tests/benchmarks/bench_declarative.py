#!/usr/bin/env python3
"""Benchmark: a declarative flow creating records against the bare ORM creating them.

Run: ``python3 tests/benchmarks/bench_declarative.py [--records N] [--db NAME] [--keep]``

In a fresh database (default ``hc_bench_decl_<8 hex>``) with ``healthcare_integration_base``,
one ``odoo shell`` process (real cursor, real commits) measures, one after the other:

* **declarative apply** — the vendor-onboarding definition of issue 14 (``res.partner``
  by binding, three mapped paths, one constant) applied to ``--records`` (default 300)
  events by the declarative handler (transforms, binding look-up, create, bind), one
  commit each;
* **bare ORM** — the same partners and bindings created directly, one commit each; the
  two sides run in ``--rounds`` interleaved rounds (order swapped each round), so a change
  of load on a shared machine weighs on both alike;
* **queue, declarative vs sample handler** — the same events through the whole queue
  (claim, savepoint, audit) on the declarative flow and on the hand-written sample
  handler, so the cost of configuration over Python is visible without the engine's.

It prints rates and ratios (target: declarative / bare ORM ≤ 1.3) and asserts nothing.
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
from odoo import fields

Flow = env["hc.integration.flow"]
backend = env["hc.integration.backend"].browse(BACKEND_ID)
definition = {
    "code": "vendor_onboarding", "name": "Vendor onboarding", "event_type": "vendor.upsert",
    "sync_mode": "batch", "target_model": "res.partner",
    "match": {"external_id": "vendor.id", "object": "vendor"},
    "fields": {
        "name": {"path": "vendor.name", "required": True},
        "email": {"path": "vendor.email"},
        "vat": {"path": "vendor.tax_id"},
        "comment": {"value": "onboarded by integration"},
    },
}
flow = Flow.browse(Flow.hc_import_definition(backend.code, definition))
flow.sync_mode = "batch"
handler = env["hc.integration.handler.declarative"]
bindings = env["hc.integration.binding"]
cr = env.cr
cr.commit()


def event(prefix, number):
    return {"event_type": "vendor.upsert", "schema_version": "1.0",
            "occurred_at": "2026-01-01T00:00:00Z",
            "vendor": {"id": f"{prefix}{number}", "name": f"Vendor {prefix} {number}",
                       "email": f"v{number}@example.com", "tax_id": f"TX{number}"}}


def declarative(numbers):
    for number in numbers:
        handler._hc_apply(backend, flow._hc_definition(), event("d", number))
        cr.commit()


def bare_orm(numbers):
    for number in numbers:
        vendor = event("o", number)["vendor"]
        partner = env["res.partner"].create({"name": vendor["name"], "email": vendor["email"],
            "vat": vendor["tax_id"], "comment": "onboarded by integration"})
        bindings._bind(backend, "vendor", vendor["id"], partner)
        cr.commit()


# interleaved rounds, the order swapped each round: a load change on a shared machine
# weighs on both sides alike
figures = {"declarative_apply": (0, 0.0), "orm_create": (0, 0.0)}
step = max(1, COUNT // ROUNDS)
for index, first in enumerate(range(0, COUNT, step)):
    numbers = range(first, min(first + step, COUNT))
    sides = [("declarative_apply", declarative), ("orm_create", bare_orm)]
    for key, side in sides if index % 2 == 0 else reversed(sides):
        start = time.perf_counter()
        side(numbers)
        count, elapsed = figures[key]
        figures[key] = (count + len(numbers), elapsed + time.perf_counter() - start)


def drain():
    start = time.perf_counter()
    while env["hc.integration.processor"]._cron_process_queue(lane=1):
        cr.commit()
    cr.commit()
    return time.perf_counter() - start


for number in range(COUNT):
    env["hc.integration.message"]._hc_enqueue(flow, event("q", number), external_id=f"q-{number}")
cr.commit()
figures["queue_declarative"] = (COUNT, drain())
sample = Flow.browse(SAMPLE_FLOW_ID)
for number in range(COUNT):
    env["hc.integration.message"]._hc_enqueue(sample, {
        "event_type": "contact.upsert", "schema_version": "1.0",
        "occurred_at": "2026-01-01T00:00:00Z",
        "contact": {"external_id": f"s{number}", "name": f"Contact {number}",
                    "email": f"c{number}@example.com"}}, external_id=f"s-{number}")
cr.commit()
figures["queue_sample"] = (COUNT, drain())
cr.execute("SELECT count(*) FROM hc_integration_message WHERE state != 'done'")
figures["not_done"] = (cr.fetchone()[0], 1)
result = figures
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds of each side")
    parser.add_argument("--db", default=None, help="database name (created, then dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = args.db or harness.unique_name("hc_bench_decl_")
    print(f"database {db}, working directory {workdir}")
    try:
        harness.install_database(db, workdir)
        server = harness.OdooServer(db, workdir, name="bench")
        seeded = server.run_script(
            harness.seed_sample_flow_script(
                "bench",
                "contacts",
                harness.new_webhook_secret(),
                flow_values={"sync_mode": "batch"},
            )
        )
        script = (
            f"BACKEND_ID = {seeded['backend_id']}\nSAMPLE_FLOW_ID = {seeded['flow_id']}\n"
            f"COUNT = {args.records}\nROUNDS = {args.rounds}\n" + BENCH_SCRIPT
        )
        figures = server.run_script(script, timeout=3600)
    finally:
        if not args.keep and db.startswith("hc_bench_"):  # a named database is the caller's
            harness.drop_database(db, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)

    rates = {key: count / elapsed for key, (count, elapsed) in figures.items() if key != "not_done"}
    print(f"\n{args.records:,} records per measurement, one process, real commits")
    for key, rate in rates.items():
        count, elapsed = figures[key]
        print(f"{key:<22} {rate:>9.1f} /s  ({count} in {elapsed:.2f} s)")
    print(f"messages not done: {figures['not_done'][0]}")
    ratio = rates["orm_create"] / rates["declarative_apply"]
    print(f"\ndeclarative apply time / bare ORM create time: {ratio:.2f} (target <= 1.3)")
    queue = rates["queue_sample"] / rates["queue_declarative"]
    print(f"queue time, declarative / sample handler:      {queue:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
