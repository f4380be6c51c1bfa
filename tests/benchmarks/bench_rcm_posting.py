#!/usr/bin/env python3
"""Benchmark: posting a 10,000-claim X12 835 against the bare ORM work it stands for.

Run: ``python3 tests/benchmarks/bench_rcm_posting.py [--claims N] [--profile] [--keep]``

Prints figures and asserts nothing. In the same run:

1. **Parser** (pure Python, no Odoo): segments per second on the generated file (the file of
   ``bench_x12_parser.py``: ``--claims`` claims, two service lines on every other claim,
   each line with a CO-45 and a PR-2 adjustment; goal >= 100,000 segments/s).
2. In a fresh database ``hc_rcm_bench_<8 hex>`` with ``healthcare_rcm_sync`` installed (no
   demo data), one ``odoo shell`` process with a real cursor and real commits:

   * **end to end** — the file goes the way of an upload or a webhook delivery
     (``_hc_rcm_ingest``: parse, minimise, JSON Schema, enqueue), then the queue processor
     runs until the queue is empty (the file message queues its transaction, the
     transaction is posted: remittance, claim lines, adjustments, the payer's payment and
     the adjustment entry, message links, audit);
   * **baseline** — the bare ORM creation of the same payment and the same journal items
     (values read back from what the end-to-end run posted), posted and committed.

   It prints both durations, the ratio end-to-end / baseline (goal <= 1.5) and a breakdown
   of the end-to-end time; ``--profile`` adds the top functions of a cProfile run of the
   posting. The database is dropped at the end unless ``--keep``.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import bench_x12_parser

from tests.system import harness

GOAL_RATIO = 1.5

BENCH_SCRIPT = """
import cProfile
import io
import pstats
import time

from odoo import Command

cr = env.cr
env = env(context=dict(env.context, tracking_disable=True))
company = env.company
company._hc_rcm_setup_accounting()
backend = env["hc.integration.backend"].create(
    {"name": "Bench clearinghouse", "code": "bench_clearing", "backend_type": "clearinghouse"}
)
backend._hc_rcm_setup_flows()
flow = backend.flow_ids.filtered(lambda f: f.code == "remittance_835")
payer = env["res.partner"].create({"name": "Acme Health Plan", "is_company": True})
env["hc.integration.mapping"].create(
    {
        "backend_id": backend.id,
        "mapping_type": "payer",
        "external_code": "PAYER01",
        "target_ref": f"res.partner,{payer.id}",
    }
)
cr.commit()
handler = env["hc.rcm.handler.remittance"]
processor = env["hc.integration.processor"]
data = open(FILE_PATH, "rb").read()
figures = {}


def drain():
    processed = 0
    while True:
        count = processor._cron_process_queue(lane=1)
        cr.commit()
        if not count:
            return processed
        processed += count


# warm-up: a small file through the same path (first-call costs of registries, caches)
warm = open(WARM_PATH, "rb").read()
handler._hc_rcm_ingest(flow, warm)
cr.commit()
drain()

# ---- end to end ---------------------------------------------------------------------
start = time.perf_counter()
t = time.perf_counter()
payload = handler._hc_parse_body(flow, data, "application/edi-x12")
figures["parse_minimise"] = time.perf_counter() - t
t = time.perf_counter()
errors = flow._validate_payload(payload)
figures["schema"] = time.perf_counter() - t
assert not errors, errors[:3]
t = time.perf_counter()
message, status = env["hc.integration.message"]._hc_enqueue(
    flow, payload, external_id="bench-file", content_hash="bench"
)
cr.commit()
figures["enqueue"] = time.perf_counter() - t
assert status == "created", status
profiler = cProfile.Profile() if PROFILE else None
t = time.perf_counter()
if profiler:
    profiler.enable()
processed = drain()
if profiler:
    profiler.disable()
figures["process"] = time.perf_counter() - t
figures["end_to_end"] = time.perf_counter() - start
remittance = env["hc.rcm.remittance"].search([("trace_number", "=", "EFTBENCH")])
assert remittance and remittance.payment_id, "the remittance was not posted"
figures["processed_messages"] = processed
figures["claims"] = remittance.claim_count
figures["adjustments"] = len(remittance.adjustment_ids)
figures["move_lines"] = len(remittance.move_id.line_ids)
figures["payment_lines"] = len(remittance.payment_id.move_id.line_ids)
if profiler:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    figures["profile"] = out.getvalue()

# ---- baseline: the same payment and journal items with the bare ORM ------------------
payment = remittance.payment_id
move = remittance.move_id
line_values = [
    {
        "account_id": line.account_id.id,
        "partner_id": line.partner_id.id,
        "name": line.name,
        "balance": line.balance,
    }
    for line in move.line_ids
]
payment_values = {
    "payment_type": payment.payment_type,
    "partner_type": payment.partner_type,
    "partner_id": payment.partner_id.id,
    "amount": payment.amount,
    "date": payment.date,
    "journal_id": payment.journal_id.id,
    "memo": "BASELINE",
    "payment_reference": "BASELINE",
    "destination_account_id": payment.destination_account_id.id,
}
move_values = {
    "move_type": "entry",
    "journal_id": move.journal_id.id,
    "date": move.date,
    "ref": "BASELINE",
}
env.invalidate_all()
start = time.perf_counter()
baseline_payment = env["account.payment"].create(payment_values)
baseline_payment.action_post()
baseline_move = env["account.move"].create(
    dict(move_values, line_ids=[Command.create(values) for values in line_values])
)
baseline_move.action_post()
cr.commit()
figures["baseline"] = time.perf_counter() - start
result = figures
"""


def drop_database(name):
    """Drop this benchmark's own database (the harness only drops hc_sys_/hc_bench_ ones;
    this addon's databases are named hc_rcm_*)."""
    assert name.startswith("hc_rcm_bench_"), name
    harness.query(
        "postgres",
        harness.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            harness.sql.Identifier(name)
        ),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the posting")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    # 1. parser throughput (pure Python)
    x12_835 = bench_x12_parser.load_parser()
    text, segment_count = bench_x12_parser.generate_835(args.claims)
    data = text.encode("ascii")
    durations = []
    for _ in range(3):
        start = time.perf_counter()
        result = x12_835.parse(data)
        durations.append(time.perf_counter() - start)
    if not result.valid:
        print("the generated file does not parse cleanly", file=sys.stderr)
        return 1
    best = min(durations)
    print(f"claims              {args.claims:,}")
    print(f"segments            {segment_count:,} ({len(data) / 1e6:.1f} MB)")
    print(
        f"parser              {segment_count / best:,.0f} segments/s "
        f"(best of 3: {best:.2f} s; goal >= {bench_x12_parser.GOAL_SEGMENTS_PER_SECOND:,})"
    )

    # 2. posting in Odoo
    workdir = Path(tempfile.mkdtemp(prefix="hc_rcm_bench_"))
    db = harness.unique_name("hc_rcm_bench_")
    file_path = workdir / "bench.835"
    file_path.write_bytes(data)
    warm_text, _count = bench_x12_parser.generate_835(50)
    warm_path = workdir / "warm.835"
    warm_text = warm_text.replace("EFTBENCH", "EFTWARM").replace("*PCN", "*WRM")
    warm_path.write_bytes(warm_text.encode("ascii"))
    print(f"database            {db} (working directory {workdir})")
    try:
        harness.install_database(db, workdir, addons="healthcare_rcm_sync")
        server = harness.OdooServer(db, workdir, name="bench")
        script = (
            f"FILE_PATH = {str(file_path)!r}\nWARM_PATH = {str(warm_path)!r}\n"
            f"PROFILE = {args.profile!r}\n" + BENCH_SCRIPT
        )
        figures = server.run_script(script, timeout=7200)
    finally:
        if not args.keep:
            drop_database(db)
            shutil.rmtree(workdir, ignore_errors=True)

    ratio = figures["end_to_end"] / figures["baseline"]
    print(
        f"posted              {figures['claims']:,} claims, {figures['adjustments']:,} "
        f"adjustments, {figures['move_lines']:,} journal items + a payment "
        f"({figures['processed_messages']} queue messages)"
    )
    print(f"end to end          {figures['end_to_end']:.2f} s")
    print(f"  parse + minimise  {figures['parse_minimise']:.2f} s")
    print(f"  JSON Schema       {figures['schema']:.2f} s")
    print(f"  enqueue           {figures['enqueue']:.2f} s")
    print(f"  processing        {figures['process']:.2f} s (file split + posting)")
    print(f"baseline (bare ORM) {figures['baseline']:.2f} s (same payment and journal items)")
    print(f"ratio               {ratio:.2f} (goal <= {GOAL_RATIO})")
    if figures.get("profile"):
        print()
        print(figures["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
