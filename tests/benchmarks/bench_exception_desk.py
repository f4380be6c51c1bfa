#!/usr/bin/env python3
"""Benchmark: the grouped exception desk with a large vs a small number of open exceptions.

Run: ``python3 tests/benchmarks/bench_exception_desk.py --db DB [--small N] [--large N]
[--causes N] [--runs N] [--addons-path PATH]``

In database ``--db`` (``healthcare_integration_base`` installed), inside ONE transaction
that is rolled back at the end (nothing is left behind), it SQL-inserts ``--small``
(default 1,000) open exceptions spread over ``--causes`` (default 50) causes, then
measures what the web client does when the desk opens: ``web_search_read`` of the group
list (80 rows, the list's fields as the web client asks for them, as the administrator)
and the count of groups. The counts come from the per-cause summary the database keeps
(``hc.integration.exception.cause.summary``); the SQL inserts go through its trigger
like any write. It grows the open exceptions to
``--large`` (default 100,000) and measures again. Printed: the median of ``--runs``
openings at each size and the large/small ratio. Goal: ratio <= 3.

It prints figures and asserts nothing.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

GOAL_RATIO = 3.0
#: The list view's fields as the web client asks for them (many2one: id and display name).
MANY2ONE = {"fields": {"display_name": {}}}
LIST_FIELDS = {
    "name": {},
    "category": {},
    "flow_id": MANY2ONE,
    "exception_count": {},
    "oldest_at": {},
    "aging_bucket": {},
    "user_id": MANY2ONE,
    "advice": {},
    "sla_minutes": {},
    "urgency": {},
    "company_id": MANY2ONE,
    "mapping_id": MANY2ONE,
}
#: The web client's default count limit (``DEFAULT_COUNT_LIMIT`` + 1).
COUNT_LIMIT = 10_001

INSERT_SQL = """
    INSERT INTO hc_integration_exception
        (name, message_id, flow_id, backend_id, company_id, category, state, state_order,
         cause_key, occurrence_count, create_date, write_date, create_uid, write_uid)
    SELECT 'Bench: cause ' || (n %% %(causes)s), %(message)s, %(flow)s, %(backend)s,
           %(company)s, 'validation', 'open', 0, 'bench:' || (n %% %(causes)s), 1,
           (now() AT TIME ZONE 'UTC') - make_interval(mins => n %% 5000), now(), 1, 1
      FROM generate_series(%(start)s, %(stop)s - 1) AS n
"""


def open_desk(env, runs):
    """What the desk's list view asks when it opens, as the administrator (an Integration
    Manager, record rules applied): the first page and the count of groups."""
    Group = env["hc.integration.exception.group"].with_user(env.ref("base.user_admin"))
    timings = []
    for _ in range(runs):
        env.invalidate_all()
        start = time.perf_counter()
        page = Group.web_search_read([], LIST_FIELDS, offset=0, limit=80, count_limit=COUNT_LIMIT)
        Group.search_count([], limit=COUNT_LIMIT)
        timings.append(time.perf_counter() - start)
    return (
        statistics.median(timings),
        page["length"],
        sum(row["exception_count"] for row in page["records"]),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--causes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--addons-path", default=str(Path(__file__).resolve().parents[2]))
    args = parser.parse_args()

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["--addons-path", args.addons_path, "-d", args.db])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        backend = env["hc.integration.backend"].create({"name": "Bench", "code": "bench_desk"})
        flow = env["hc.integration.flow"].create(
            {
                "name": "Bench flow",
                "code": "bench_desk",
                "backend_id": backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
            }
        )
        message, _status = env["hc.integration.message"]._hc_enqueue(
            flow, {"contact": {"external_id": "B", "name": "Bench"}}, external_id="bench-desk"
        )
        env.flush_all()
        params = {
            "causes": args.causes,
            "message": message.id,
            "flow": flow.id,
            "backend": backend.id,
            "company": env.company.id,
        }
        cr.execute(INSERT_SQL, dict(params, start=0, stop=args.small))
        cr.execute("ANALYZE hc_integration_exception")
        small, groups, counted = open_desk(env, args.runs)
        print(f"{args.small} open: {groups} groups holding {counted} exceptions")
        cr.execute(INSERT_SQL, dict(params, start=args.small, stop=args.large))
        cr.execute("ANALYZE hc_integration_exception")
        large, groups, counted = open_desk(env, args.runs)
        print(f"{args.large} open: {groups} groups holding {counted} exceptions")
        cr.rollback()
    ratio = large / small if small else float("inf")
    print(f"open exceptions {args.small:>7}: desk opens in {small * 1000:8.1f} ms (median)")
    print(f"open exceptions {args.large:>7}: desk opens in {large * 1000:8.1f} ms (median)")
    verdict = "met" if ratio <= GOAL_RATIO else "MISSED"
    print(f"ratio large/small: {ratio:.2f} (goal <= {GOAL_RATIO}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
