#!/usr/bin/env python3
"""Benchmark of the pure-Python X12 835 parser (healthcare_rcm_sync/tools), without Odoo.

Run: ``python3 tests/benchmarks/bench_x12_parser.py [--claims N] [--repeat R]``

It generates an N-claim 835 in memory (default 10,000 claims, two service lines on every other
claim), parses it R times and prints the best and median throughput in segments per second, then
parses it once more under tracemalloc and prints the peak memory of the parse alone (the input
text is allocated before tracing starts). It prints figures and asserts nothing: the goal of
>= 100,000 segments/s is for the reader to compare with.
"""

import argparse
import importlib.util
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parents[2] / "healthcare_rcm_sync" / "tools"
GOAL_SEGMENTS_PER_SECOND = 100_000


def load_parser():
    """Import healthcare_rcm_sync/tools as a stand-alone package (no Odoo needed)."""
    spec = importlib.util.spec_from_file_location(
        "hc_x12_tools", TOOLS_DIR / "__init__.py", submodule_search_locations=[str(TOOLS_DIR)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    return package.x12_835


def _money(cents):
    """Format integer cents as an X12 amount."""
    return f"{cents // 100}.{cents % 100:02d}"


def generate_835(claims):
    """Return ``(text, segment_count)`` of a balanced 835 with ``claims`` claims."""
    body = [
        (
            "BPR*I*{total}*C*ACH*CCP*01*011000015*DA*123456789*1512345678**01*021000021*DA*"
            "987654321*20260301"
        ),
        "TRN*1*EFTBENCH*1512345678",
        "DTM*405*20260227",
        "N1*PR*ACME HEALTH PLAN*XV*PAYER01",
        "N3*100 INSURANCE WAY",
        "N4*HARTFORD*CT*06101",
        "N1*PE*CITY CLINIC*XX*1234567893",
        "REF*TJ*123456789",
        "LX*1",
    ]
    paid_total = 0
    for number in range(claims):
        # Amounts vary from claim to claim so that the parser's Decimal cache is not flattered.
        lines = []
        for line in range(2 if number % 2 == 0 else 1):
            charged = 10_000 + (number * 37 + line * 101) % 50_000  # cents
            contractual = charged // 4
            patient = 2_000
            lines.append((line, charged, contractual, patient, charged - contractual - patient))
        charged = sum(item[1] for item in lines)
        paid = sum(item[4] for item in lines)
        paid_total += paid
        body.append(
            f"CLP*PCN{number:07d}*1*{_money(charged)}*{_money(paid)}*"
            f"{_money(patient * len(lines))}*12*ICN{number:08d}*11*1"
        )
        body.append(f"NM1*QC*1*PATIENT{number}*ANN****MI*M{number:09d}")
        body.append("NM1*82*1*SMITH*ALAN****XX*1987654325")
        body.append("DTM*232*20260210")
        for line, charged, contractual, patient, paid in lines:
            body.append(f"SVC*HC:9921{line + 3}:25*{_money(charged)}*{_money(paid)}**1")
            body.append("DTM*472*20260210")
            body.append(f"CAS*CO*45*{_money(contractual)}")
            body.append(f"CAS*PR*2*{_money(patient)}")
            body.append(f"REF*6R*L{number}-{line}")
            body.append(f"AMT*B6*{_money(charged - contractual)}")
    body[0] = body[0].format(total=_money(paid_total))
    segments = ["ST*835*0001*005010X221A1", *body, f"SE*{len(body) + 2}*0001"]
    isa = (
        "ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*CLINICRECV     *260301*1200*^*"
        "00501*000000001*0*P*:"
    )
    envelope = [
        isa,
        "GS*HP*PAYERAPP*CLINICAPP*20260301*1200*1*X*005010X221A1",
        *segments,
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return "~\n".join(envelope) + "~\n", len(envelope)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    x12_835 = load_parser()

    text, segment_count = generate_835(args.claims)
    data = text.encode("ascii")
    result = x12_835.parse(data)
    remittance = result.transactions[0]
    if not remittance.valid or result.segment_count != segment_count:  # a broken benchmark
        print("generated file did not parse cleanly:", remittance.errors[:3], file=sys.stderr)
        return 1

    durations = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        x12_835.parse(data)
        durations.append(time.perf_counter() - start)
    best, median = min(durations), statistics.median(durations)

    tracemalloc.start()
    x12_835.parse(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"python            {sys.version.split()[0]}")
    print(f"claims            {args.claims:,}")
    print(f"segments          {segment_count:,}")
    print(f"input size        {len(data) / 1e6:.2f} MB")
    print(f"parse time        best {best:.3f} s, median {median:.3f} s ({args.repeat} runs)")
    print(
        f"throughput        best {segment_count / best:,.0f} segments/s, median "
        f"{segment_count / median:,.0f} segments/s (goal {GOAL_SEGMENTS_PER_SECOND:,})"
    )
    print(f"peak memory       {peak / 1e6:.1f} MB (tracemalloc, parse only, input excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
