#!/usr/bin/env python3
"""Benchmark: posting a 10,000-claim X12 835 against the bare ORM work it stands for.

Run: ``python3 tests/benchmarks/bench_rcm_posting.py [--claims N] [--rounds R] [--profile]
[--keep]`` (``HC_BENCH_RCM_CLAIMS=500`` sets the default of ``--claims`` for a quick run;
the figure that counts is the 10,000-claim default).

Prints figures and asserts nothing. In the same run:

1. **Parser** (pure Python, no Odoo): segments per second on the generated file (the file of
   ``bench_x12_parser.py``: ``--claims`` claims, two service lines on every other claim,
   each line with a CO-45 and a PR-2 adjustment; goal >= 100,000 segments/s).
2. In a fresh database ``hc_rcm_bench_<8 hex>`` with ``healthcare_rcm_sync`` installed (no
   demo data), one ``odoo shell`` process with a real cursor and real commits:

   * **end to end** — the payer's charges of the file are billed first (one entry debiting
     the payer's receivable, not timed); then the file goes the way of an upload or a
     webhook delivery (``_hc_rcm_ingest``: parse, minimise, JSON Schema, enqueue), then the
     queue processor runs until the queue is empty (the file message queues its
     transaction, the transaction is posted: remittance, claim lines, adjustments, the
     payer's payment and the adjustment entry, the reconciliation of the payer's
     receivable with the billed charges, message links, audit);
   * **baseline** — the same billing entry (not timed), then the bare ORM creation of the
     same payment and the same journal items (values read back from what the end-to-end
     run posted), posted, their receivable items reconciled with the billing debit, and
     committed.

   Each of ``--rounds`` rounds (default 2) posts its own copy of the file (own trace number
   and claim ids) end to end, then its baseline. It prints each round with a breakdown of
   the end-to-end time, and the ratio of the best end-to-end time to the best baseline
   (goal <= 1.5): on a shared machine single runs vary a lot. ``--profile`` adds the top
   functions of a cProfile run of the first round's processing (the profiler slows that
   round down). The database is dropped at the end unless ``--keep``.
"""

import argparse
import os
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
import re
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
receivable = company.hc_rcm_insurance_receivable_account_id
revenue = env["account.account"].search(
    [("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1
)
cr.commit()
handler = env["hc.rcm.handler.remittance"]
processor = env["hc.integration.processor"]
figures = {}


def drain():
    processed = 0
    while True:
        count = processor._cron_process_queue(lane=1)
        cr.commit()
        if not count:
            return processed
        processed += count


def bill(path, ref):
    # the payer's charges of the file, billed before it arrives (not timed)
    text = open(path, encoding="ascii").read()
    amounts = re.findall(r"CLP\\*[^*]*\\*[^*]*\\*([0-9.]+)", text)
    charged = round(sum(float(amount) for amount in amounts), 2)
    move = env["account.move"].create(
        {
            "move_type": "entry",
            "journal_id": company.hc_rcm_journal_id.id,
            "date": "2026-02-27",
            "ref": ref,
            "line_ids": [
                Command.create(
                    {"account_id": receivable.id, "partner_id": payer.id, "balance": charged}
                ),
                Command.create({"account_id": revenue.id, "balance": -charged}),
            ],
        }
    )
    move.action_post()
    cr.commit()
    return move


# warm-up: a small file through the same path (first-call costs of registries, caches)
bill(WARM_PATH, "BILL WARM")
warm = open(WARM_PATH, "rb").read()
handler._hc_rcm_ingest(flow, warm)
cr.commit()
drain()

def end_to_end(path, trace):
    # ingest a file like an upload or a webhook, then drain the queue; timed by step
    bill(path, f"BILL {trace}")
    data = open(path, "rb").read()
    times = {}
    start = time.perf_counter()
    t = time.perf_counter()
    payload = handler._hc_parse_body(flow, data, "application/edi-x12")
    times["parse_minimise"] = time.perf_counter() - t
    t = time.perf_counter()
    errors = flow._validate_payload(payload)
    times["schema"] = time.perf_counter() - t
    assert not errors, errors[:3]
    t = time.perf_counter()
    message, status = env["hc.integration.message"]._hc_enqueue(
        flow, payload, external_id=f"bench-{trace}", content_hash=trace
    )
    cr.commit()
    times["enqueue"] = time.perf_counter() - t
    assert status == "created", status
    del payload, data
    profiler = cProfile.Profile() if PROFILE else None
    t = time.perf_counter()
    if profiler:
        profiler.enable()
    times["processed_messages"] = drain()
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        times["profile"] = out.getvalue()
    times["process"] = time.perf_counter() - t
    times["end_to_end"] = time.perf_counter() - start
    remittance = env["hc.rcm.remittance"].search([("trace_number", "=", trace)])
    assert remittance and remittance.payment_id, "the remittance was not posted"
    times["claims"] = remittance.claim_count
    times["adjustments"] = len(remittance.adjustment_ids)
    times["move_lines"] = len(remittance.move_id.line_ids)
    open_items = env["account.move.line"].search_count(
        [
            ("account_id", "=", receivable.id),
            ("partner_id", "=", payer.id),
            ("reconciled", "=", False),
        ]
    )
    assert not open_items, f"{open_items} receivable items left open"
    return remittance, times


def baseline_reconcile(moves):
    # the bare reconciliation of the payer's receivable items of ``moves``
    lines = moves.line_ids.filtered(
        lambda line: line.account_id == receivable and line.partner_id == payer
    )
    lines.reconcile()


def baseline(remittance, path):
    # the bare ORM creation of the same payment and journal items, posted, committed
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
    billing = bill(path, "BILL BASELINE")
    env.invalidate_all()
    start = time.perf_counter()
    baseline_payment = env["account.payment"].create(payment_values)
    baseline_payment.action_post()
    baseline_move = env["account.move"].create(
        dict(move_values, line_ids=[Command.create(values) for values in line_values])
    )
    baseline_move.action_post()
    baseline_reconcile(billing | baseline_payment.move_id | baseline_move)
    cr.commit()
    return time.perf_counter() - start


rounds = []
for number, (path, trace) in enumerate(ROUND_FILES):
    remittance, times = end_to_end(path, trace)
    env.invalidate_all()
    times["baseline"] = baseline(remittance, path)
    env.invalidate_all()
    rounds.append(times)
figures = {"rounds": rounds}
result = figures
"""


DB_PREFIX = os.environ.get("HC_BENCH_RCM_DB_PREFIX") or "hc_rcm_bench_"


def drop_database(name):
    """Drop this benchmark's own database (the harness only drops hc_sys_/hc_bench_ ones;
    this addon's databases are named hc_rcm_bench_* or ``HC_BENCH_RCM_DB_PREFIX``*)."""
    assert name.startswith(DB_PREFIX), name
    harness.query(
        "postgres",
        harness.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            harness.sql.Identifier(name)
        ),
    )


def parser_figures(claims):
    """Parse the generated file 3 times; print the throughput; return its text."""
    x12_835 = bench_x12_parser.load_parser()
    text, segment_count = bench_x12_parser.generate_835(claims)
    data = text.encode("ascii")
    durations = []
    for _ in range(3):
        start = time.perf_counter()
        result = x12_835.parse(data)
        durations.append(time.perf_counter() - start)
    if not result.valid:
        return None
    best = min(durations)
    print(f"claims              {claims:,}")
    print(f"segments            {segment_count:,} ({len(data) / 1e6:.1f} MB)")
    print(
        f"parser              {segment_count / best:,.0f} segments/s "
        f"(best of 3: {best:.2f} s; goal >= {bench_x12_parser.GOAL_SEGMENTS_PER_SECOND:,})"
    )
    return text


def write_round_files(text, rounds, workdir):
    """One file per round (own trace number and claim ids) and a small warm-up file."""
    round_files = []
    for number in range(rounds):
        trace = f"EFTBENCH{number}"
        path = workdir / f"bench{number}.835"
        path.write_text(text.replace("EFTBENCH", trace).replace("*PCN", f"*R{number}C"))
        round_files.append((str(path), trace))
    warm_text, _count = bench_x12_parser.generate_835(50)
    warm_text = warm_text.replace("EFTBENCH", "EFTWARM").replace("*PCN", "*WRM")
    warm_path = workdir / "warm.835"
    warm_path.write_bytes(warm_text.encode("ascii"))
    return round_files, warm_path


def print_rounds(rounds):
    first = rounds[0]
    print(
        f"posted per round    {first['claims']:,} claims, {first['adjustments']:,} "
        f"adjustments, {first['move_lines']:,} journal items + a payment "
        f"({first['processed_messages']} queue messages)"
    )
    for number, times in enumerate(rounds, start=1):
        print(
            f"round {number}             end to end {times['end_to_end']:.2f} s "
            f"(parse + minimise {times['parse_minimise']:.2f}, JSON Schema "
            f"{times['schema']:.2f}, enqueue {times['enqueue']:.2f}, processing "
            f"{times['process']:.2f}); baseline {times['baseline']:.2f} s; ratio "
            f"{times['end_to_end'] / times['baseline']:.2f}"
        )
    best_e2e = min(times["end_to_end"] for times in rounds)
    best_baseline = min(times["baseline"] for times in rounds)
    print(f"end to end (best)   {best_e2e:.2f} s")
    print(
        f"baseline (best)     {best_baseline:.2f} s (bare ORM: same payment, journal items "
        "and reconciliation)"
    )
    print(f"ratio (best/best)   {best_e2e / best_baseline:.2f} (goal <= {GOAL_RATIO})")
    if first.get("profile"):
        print()
        print(first["profile"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--claims", type=int, default=int(os.environ.get("HC_BENCH_RCM_CLAIMS") or 10_000)
    )
    parser.add_argument("--rounds", type=int, default=2, help="end-to-end + baseline pairs")
    parser.add_argument("--profile", action="store_true", help="cProfile the posting")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    # 1. parser throughput (pure Python)
    text = parser_figures(args.claims)
    if text is None:
        print("the generated file does not parse cleanly", file=sys.stderr)
        return 1

    # 2. posting in Odoo: each round posts its own file (own trace number and claim ids)
    workdir = Path(tempfile.mkdtemp(prefix="hc_rcm_bench_"))
    db = harness.unique_name(DB_PREFIX)
    round_files, warm_path = write_round_files(text, args.rounds, workdir)
    print(f"database            {db} (working directory {workdir})")
    try:
        harness.install_database(db, workdir, addons="healthcare_rcm_sync")
        server = harness.OdooServer(db, workdir, name="bench")
        script = (
            f"ROUND_FILES = {round_files!r}\nWARM_PATH = {str(warm_path)!r}\n"
            f"PROFILE = {args.profile!r}\n" + BENCH_SCRIPT
        )
        figures = server.run_script(script, timeout=7200)
    finally:
        if not args.keep:
            drop_database(db)
            shutil.rmtree(workdir, ignore_errors=True)
    print_rounds(figures["rounds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
