#!/usr/bin/env python3
"""Burst test against a running demo (issue 13): N ``employee.upsert`` hires at once.

Run: ``python3 tools/demo_burst.py [--hires 1000] [--url http://localhost:8069]
[--db healthcare_demo] [--threads 8]``

Posts N hires with unique external ids (``BURST-<tag>-<n>``, codes the demo maps, user
provisioning on) to ``demo_hris/employee_upsert``, then polls the database until none of
them is pending or processing. Prints the time to send, the time until all were settled,
their final states, and whether the server's process kept answering throughout. It is a
demo tool: it asserts nothing.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import psycopg2
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from demo_client import WebhookClient
from demo_sender_hr import _employee, _envelope


def _hire(tag, index):
    employee = _employee(
        f"BURST-{tag}-{index:05d}", "Burst", f"Hire{tag}{index:05d}", "RN", "ICU", "CC-4410", "MAIN"
    )
    today = datetime.now(timezone.utc).date()
    return _envelope("employee.upsert", today, index % 600, employee=employee)


def _send(url, tag, hires, threads):
    local = threading.local()

    def post(index):
        if not hasattr(local, "client"):
            local.client = WebhookClient(url)
        event_id = f"burst-{tag}-{index:05d}"
        response = local.client.post("demo_hris", "employee_upsert", _hire(tag, index), event_id)
        return response.status_code

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(post, range(hires)))


def _states(db, tag):
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM hc_integration_message WHERE external_id LIKE %s"
            " GROUP BY state",
            (f"burst-{tag}-%",),
        )
        return dict(cr.fetchall())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="healthcare_demo")
    parser.add_argument("--hires", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:6].upper()
    start = time.monotonic()
    codes = _send(args.url, tag, args.hires, args.threads)
    sent = time.monotonic() - start
    print(
        f"sent {args.hires} hires in {sent:.1f} s; answers: "
        f"{ {code: codes.count(code) for code in set(codes)} }"
    )
    while time.monotonic() - start < args.timeout:
        states = _states(args.db, tag)
        if not states.get("pending") and not states.get("processing") and sum(states.values()):
            break
        time.sleep(2)
    elapsed = time.monotonic() - start
    health = requests.get(f"{args.url}/web/health", timeout=10).status_code
    print(f"settled after {elapsed:.1f} s: {states}; /web/health {health}")


if __name__ == "__main__":
    main()
