#!/usr/bin/env python3
"""Benchmark: the HR pipeline end to end against the bare ORM work it stands for.

Run: ``python3 tests/benchmarks/bench_hr_pipeline.py [--employees N] [--senders S]
[--profile] [--keep]``

A database ``hc_bench_<8 hex>`` gets ``healthcare_hr_sync`` (no demo data) and an HRIS
backend with the standard HR flows and mapped codes (job CLERK, which requires no
credential, departments ICU/ED, cost centres, locations, role ``staff`` → two groups); user
provisioning is on (single sign-on, no e-mails) unless ``--no-users``. It is copied once, so
both measurements start from the same database:

* **pipeline** — a real Odoo server (prefork: 2 HTTP workers, 2 cron workers running the
  2 processing lanes) receives ``--employees`` (default 1,000) signed ``employee.upsert``
  webhooks from ``--senders`` threads; the clock runs from the first POST until the last
  message is ``done`` and its employee committed (polled in PostgreSQL). Then the same
  employees are updated (department, cost centre, location, phone) the same way.
* **baseline** — in an ``odoo shell`` process on the copy, the bare ORM creates the same
  employees with the same field values — and, with users, the same user (login, e-mail,
  company, the role's groups) linked to it — one commit each; then writes the same
  updates, one commit each.

The two alternate in ``--rounds`` chunks (default 4), so that load from elsewhere on the
machine weighs on both alike.

It prints both figures and the ratios (goal: ≤ 1.25), plus the ingest rate (all webhooks
answered) and the serialization conflicts the lanes retried (goal: < 1 % of hires).
Last, in one process without HTTP or concurrency, it alternates queue
processing of ``--inprocess`` queued upserts with as many bare ORM creates (twice), which
isolates the engine's and handler's own cost; ``--profile`` adds a cProfile of that
processing (top functions by cumulative time). Not a test: it asserts only that every
event was applied. The databases are dropped at the end unless ``--keep``.
"""

import argparse
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system import harness

BACKEND_CODE = "bench_hris"

SEED_SCRIPT = """
backend = env["hc.integration.backend"].create(
    {"name": "Bench HRIS", "code": BACKEND_CODE, "backend_type": "hris"}
)
backend.webhook_secret = SECRET
assert backend._get_webhook_secrets(), "no encryption key: the webhook secret was not stored"
flows = backend._hc_hr_setup_flows()
flows.filtered(lambda f: f.code == "employee_upsert").write(
    {"hr_provision_users": USERS, "hr_user_invitation": "sso"}
)
staff_group = env["res.groups"].create({"name": "Bench staff"})
Mapping = env["hc.integration.mapping"]
# Roles grant only groups a Settings administrator allowed (Settings › Integrations).
Mapping._hc_set_grantable_groups(
    Mapping._hc_grantable_groups() | staff_group | env.ref("hr.group_hr_user")
)
env["hc.integration.mapping"].create({
    "backend_id": backend.id, "mapping_type": "role", "external_code": "staff",
    "group_ids": [(6, 0, (staff_group | env.ref("hr.group_hr_user")).ids)],
})
company = env.company
plan = env["account.analytic.plan"].create({"name": "Cost centres"})
targets = {
    ("department", "ICU"): env["hr.department"].create({"name": "Intensive Care"}),
    ("department", "ED"): env["hr.department"].create({"name": "Emergency"}),
    ("job", "CLERK"): env["hr.job"].create({"name": "Clerk"}),
    ("cost_center", "CC-4410"): env["account.analytic.account"].create(
        {"name": "ICU nursing", "code": "CC-4410", "plan_id": plan.id}),
    ("cost_center", "CC-5200"): env["account.analytic.account"].create(
        {"name": "Emergency", "code": "CC-5200", "plan_id": plan.id}),
    ("location", "MAIN"): env["hr.work.location"].create(
        {"name": "Main campus", "address_id": company.partner_id.id}),
    ("location", "NORTH"): env["hr.work.location"].create(
        {"name": "North clinic", "address_id": company.partner_id.id}),
}
for (mapping_type, code), record in targets.items():
    env["hc.integration.mapping"].create({
        "backend_id": backend.id, "mapping_type": mapping_type, "external_code": code,
        "target_ref": f"{record._name},{record.id}",
    })
result = {
    "backend_id": backend.id,
    "company_id": company.id,
    "ids": {f"{t}:{c}": r.id for (t, c), r in targets.items()},
    "group_ids": (env.ref("base.group_user") | staff_group | env.ref("hr.group_hr_user")).ids,
}
"""

BASELINE_SCRIPT = """
import time

Employee = env["hr.employee"]
cr = env.cr
ids = IDS
start = time.perf_counter()
Users = env["res.users"].with_context(no_reset_password=True, mail_create_nosubscribe=True)
if MODE == "create":
    for number in range(FIRST, FIRST + COUNT):
        user = Users.create({
            "name": f"Bench Employee {number:05d}",
            "login": f"bench{number:05d}@hospital.test",
            "email": f"bench{number:05d}@hospital.test",
            "company_id": COMPANY_ID,
            "company_ids": [(6, 0, [COMPANY_ID])],
            "groups_id": [(6, 0, GROUP_IDS)],
        }) if USERS else Users
        Employee.create({
            "user_id": user.id or False,
            "name": f"Bench Employee {number:05d}",
            "work_email": f"bench{number:05d}@hospital.test",
            "work_phone": f"+1 555 {number:05d}",
            "job_id": ids["job:CLERK"],
            "department_id": ids["department:ICU"],
            "hc_cost_center_id": ids["cost_center:CC-4410"],
            "work_location_id": ids["location:MAIN"],
            "employee_type": "employee",
            "hc_hire_date": "2025-01-06",
            "hc_hris_status": "active",
            "company_id": COMPANY_ID,
        })
        cr.commit()
else:
    employees = Employee.search(
        [("name", "=like", "Bench Employee %")], order="name", offset=FIRST, limit=COUNT
    )
    for number, employee in enumerate(employees, start=FIRST):
        employee.write({
            "work_phone": f"+1 555 9{number:05d}",
            "department_id": ids["department:ED"],
            "hc_cost_center_id": ids["cost_center:CC-5200"],
            "work_location_id": ids["location:NORTH"],
        })
        cr.commit()
result = time.perf_counter() - start
"""

INPROCESS_SCRIPT = """
import cProfile, io, pstats, time

flow = env["hc.integration.flow"].search(
    [("backend_id.code", "=", BACKEND_CODE), ("code", "=", "employee_upsert")])
flow.sync_mode = "batch"  # no cron wake-up: this process processes
ids = IDS
cr = env.cr


def enqueue(prefix):
    for number in range(COUNT):
        env["hc.integration.message"]._hc_enqueue(flow, {
            "event_type": "employee.upsert", "schema_version": "1.0",
            "occurred_at": "2026-01-01T00:00:00Z",
            "employee": {
                "external_id": f"{prefix}{number:05d}", "first_name": "In",
                "last_name": f"Process {prefix}{number:05d}",
                "work_email": f"{prefix.lower()}{number:05d}@hospital.test",
                "work_phone": f"+1 555 {number:05d}", "job_code": "CLERK",
                "department_code": "ICU", "cost_center_code": "CC-4410",
                "location_code": "MAIN", "employment_type": "employee", "status": "active",
                "hire_date": "2025-01-06", **({"roles": ["staff"]} if USERS else {}),
            },
        }, external_id=f"{prefix}-{number}")
    cr.commit()


def drain():
    start = time.perf_counter()
    while env["hc.integration.processor"]._cron_process_queue(lane=1):
        cr.commit()
    return time.perf_counter() - start


Users = env["res.users"].with_context(no_reset_password=True, mail_create_nosubscribe=True)


def bare(prefix):
    start = time.perf_counter()
    for number in range(COUNT):
        user = Users.create({
            "name": f"In Process {prefix}{number:05d}",
            "login": f"{prefix.lower()}{number:05d}@hospital.test",
            "email": f"{prefix.lower()}{number:05d}@hospital.test",
            "company_id": env.company.id,
            "company_ids": [(6, 0, env.company.ids)],
            "groups_id": [(6, 0, GROUP_IDS)],
        }) if USERS else Users
        env["hr.employee"].create({
            "user_id": user.id or False,
            "name": f"In Process {prefix}{number:05d}",
            "work_email": f"{prefix.lower()}{number:05d}@hospital.test",
            "work_phone": f"+1 555 {number:05d}",
            "job_id": ids["job:CLERK"], "department_id": ids["department:ICU"],
            "hc_cost_center_id": ids["cost_center:CC-4410"],
            "work_location_id": ids["location:MAIN"], "employee_type": "employee",
            "hc_hire_date": "2025-01-06", "hc_hris_status": "active",
            "company_id": env.company.id,
        })
        cr.commit()
    return time.perf_counter() - start


figures = {}
# alternate the two, twice, so that load from elsewhere hits both alike
for round_ in ("A", "B"):
    enqueue("Q" + round_)
    figures.setdefault("pipeline", 0.0)
    figures["pipeline"] += drain()
    figures.setdefault("bare", 0.0)
    figures["bare"] += bare("R" + round_)
if PROFILE:
    enqueue("P")
    profiler = cProfile.Profile()
    profiler.enable()
    drain()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    out.write("\\n--- the suite's own code, by cumulative time ---\\n")
    stats.sort_stats("cumulative").print_stats("healthcare_", 40)
    figures["stats"] = out.getvalue()
result = figures
"""


def employee_event(number, update=False, users=True):
    employee = {
        "external_id": f"B{number:05d}",
        "first_name": "Bench",
        "last_name": f"Employee {number:05d}",
        "work_email": f"bench{number:05d}@hospital.test",
        "work_phone": f"+1 555 {number:05d}",
        "job_code": "CLERK",
        "department_code": "ICU",
        "cost_center_code": "CC-4410",
        "location_code": "MAIN",
        "employment_type": "employee",
        "status": "active",
        "hire_date": "2025-01-06",
    }
    if users:
        employee["roles"] = ["staff"]
    if update:
        employee.update(
            work_phone=f"+1 555 9{number:05d}",
            department_code="ED",
            cost_center_code="CC-5200",
            location_code="NORTH",
        )
    stamp = "2026-01-01T00:00:00Z" if not update else "2026-01-02T00:00:00Z"
    return {
        "event_type": "employee.upsert",
        "schema_version": "1.0",
        "occurred_at": stamp,
        "employee": employee,
    }


def done_count(db, prefix):
    return harness.scalar(
        db,
        "SELECT count(*) FROM hc_integration_message WHERE external_id LIKE %s AND state = 'done'",
        (prefix + "%",),
    )


def not_done(db, prefix):
    return harness.query(
        db,
        "SELECT state, count(*) FROM hc_integration_message WHERE external_id LIKE %s "
        "AND state != 'done' GROUP BY state",
        (prefix + "%",),
    )


def play(server, db, secret, numbers, senders, update, users):
    """POST the signed upserts of employees ``numbers`` from ``senders`` threads; returns
    (ingest seconds, end-to-end seconds) — the latter until every message is done."""
    sender = harness.WebhookSender(server.base_url, BACKEND_CODE, "employee_upsert", secret)
    prefix = "upd-" if update else "new-"
    errors = []
    lock = threading.Lock()

    def send(number):
        body = sender.encode(employee_event(number, update, users))
        response = sender.post(f"{prefix}{number:05d}", body)
        if response.status_code != 202:
            with lock:
                errors.append((number, response.status_code, response.text[:200]))

    already = done_count(db, prefix)
    count = already + len(numbers)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        list(pool.map(send, numbers))
    ingest = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} webhook(s) refused, first: {errors[0]}")
    harness.wait_until(
        lambda: done_count(db, prefix) >= count,
        timeout=1800,
        interval=0.1,
        message=f"{count} messages done ({not_done(db, prefix)})",
    )
    return ingest, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=4, help="concurrent webhook senders")
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers")
    parser.add_argument("--lanes", type=int, default=2, help="processing lanes (cron threads)")
    parser.add_argument(
        "--inprocess",
        type=int,
        default=200,
        help="upserts processed in one process against as many bare creates (×2)",
    )
    parser.add_argument("--profile", action="store_true", help="profile the in-process run")
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternations of pipeline and baseline chunks"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--no-users",
        dest="users",
        action="store_false",
        help="employees only (no user provisioning, on either side)",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="hc_bench_"))
    db = harness.unique_name("hc_bench_")
    db_orm = f"{db}_orm"
    secret = harness.new_webhook_secret()
    print(f"databases {db} (pipeline) and {db_orm} (baseline), working directory {workdir}")
    server = None
    try:
        harness.install_database(db, workdir, addons="healthcare_hr_sync")
        server = harness.OdooServer(
            db, workdir, workers=args.workers, max_cron_threads=args.lanes, name="bench-hr"
        )
        seeded = server.run_script(
            f"BACKEND_CODE = {BACKEND_CODE!r}\nSECRET = {secret!r}\nUSERS = {args.users!r}\n"
            + SEED_SCRIPT
        )
        server.run_script(
            f'env["hc.integration.processor"]._sync_lanes({args.lanes})\n'
            f'env["ir.config_parameter"].set_param("hc_integration.lanes", "{args.lanes}")\n'
        )
        harness.copy_database(db, db_orm, workdir / "data")

        # alternate pipeline and baseline chunks, so that load from elsewhere on the
        # machine weighs on both alike
        orm = harness.OdooServer(db_orm, workdir, name="bench-orm")
        server.start()
        time.sleep(2)  # let the crons' first runs pass
        figures = dict.fromkeys(
            ("ingest_new", "e2e_new", "orm_create", "ingest_upd", "e2e_upd", "orm_write"), 0.0
        )
        chunk = max(1, args.employees // args.rounds)
        chunks = [
            range(first, min(first + chunk, args.employees))
            for first in range(0, args.employees, chunk)
        ]
        for update, (ingest_key, e2e_key, orm_key, mode) in (
            (False, ("ingest_new", "e2e_new", "orm_create", "create")),
            (True, ("ingest_upd", "e2e_upd", "orm_write", "write")),
        ):
            for numbers in chunks:
                ingest, e2e = play(server, db, secret, numbers, args.senders, update, args.users)
                figures[ingest_key] += ingest
                figures[e2e_key] += e2e
                figures[orm_key] += orm.run_script(
                    f"IDS = {seeded['ids']!r}\nCOMPANY_ID = {seeded['company_id']}\n"
                    f"USERS = {args.users!r}\nGROUP_IDS = {seeded['group_ids']!r}\n"
                    f"MODE = {mode!r}\nFIRST = {numbers.start}\nCOUNT = {len(numbers)}\n"
                    + BASELINE_SCRIPT,
                    timeout=3600,
                )
        server.stop()
        applied = harness.scalar(
            db,
            "SELECT count(*) FROM hr_employee e JOIN hr_department d ON d.id = e.department_id "
            "WHERE e.hc_external_id LIKE 'B%%' AND e.work_phone LIKE '+1 555 9%%' "
            "AND d.name->>'en_US' = 'Emergency'",
        )
        assert applied == args.employees, f"only {applied} employees carry the update"
        if args.users:
            with_user = harness.scalar(
                db,
                "SELECT count(*) FROM hr_employee e JOIN res_users u ON u.id = e.user_id "
                "WHERE e.hc_external_id LIKE 'B%%' AND u.active",
            )
            assert with_user == args.employees, f"only {with_user} employees have their user"
        counted = harness.scalar(
            db,
            "SELECT j.no_of_employee = (SELECT count(*) FROM hr_employee e "
            "WHERE e.job_id = j.id AND e.active) FROM hr_job j WHERE j.id = %s",
            (seeded["ids"]["job:CLERK"],),
        )
        assert counted, "the job's head-count does not match its employees"
        conflicts = harness.scalar(
            db,
            "SELECT count(*) FROM hc_integration_audit WHERE action = 'message.retry' "
            "AND summary LIKE %s",
            ("%conflict%",),
        )
        # every failure PostgreSQL reported to the server, hires and post-commit work alike
        serialization_logged = server.log_path.read_text(errors="replace").count(
            "could not serialize access"
        )
        try:
            inprocess = server.run_script(
                f"BACKEND_CODE = {BACKEND_CODE!r}\nIDS = {seeded['ids']!r}\n"
                f"COUNT = {args.inprocess}\nPROFILE = {bool(args.profile)!r}\n"
                f"USERS = {args.users!r}\nGROUP_IDS = {seeded['group_ids']!r}\n" + INPROCESS_SCRIPT,
                timeout=3600,
            )
        except harness.HarnessError as error:
            # e.g. PostgreSQL restarted by another job on a shared machine: keep the
            # pipeline figures, say why the in-process ones are missing
            inprocess = None
            print(f"in-process measurement failed: {str(error).splitlines()[-1][:300]}")
    finally:
        if server:
            server.stop()
        if not args.keep:
            for name in (db, db_orm):
                harness.drop_database(name, data_dir=workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)

    count = args.employees
    print()
    print(
        f"{count:,} employees; pipeline: {args.workers} HTTP workers, {args.lanes} lanes, "
        f"{args.senders} senders; baseline: one process; real commits; "
        f"{args.rounds} alternated rounds"
    )
    e2e_new, e2e_upd = figures["e2e_new"], figures["e2e_upd"]
    ingest_new, ingest_upd = figures["ingest_new"], figures["ingest_upd"]
    baseline = {"create": figures["orm_create"], "write": figures["orm_write"]}
    rows = [
        ("create: webhook → employee committed", e2e_new),
        ("create: bare ORM create + commit", baseline["create"]),
        ("update: webhook → employee committed", e2e_upd),
        ("update: bare ORM write + commit", baseline["write"]),
    ]
    for label, seconds in rows:
        print(f"{label:<42} {seconds:8.2f} s  {count / seconds:8.1f} /s")
    print(
        f"{'ingest only (all 202), create':<42} {ingest_new:8.2f} s  {count / ingest_new:8.1f} /s"
    )
    print(
        f"{'ingest only (all 202), update':<42} {ingest_upd:8.2f} s  {count / ingest_upd:8.1f} /s"
    )
    print()
    print(
        f"serialization conflicts retried: {conflicts} "
        f"({100 * conflicts / (2 * count):.2f} % of {2 * count} events, goal < 1 %)"
    )
    print(f"'could not serialize access' in the server log: {serialization_logged}")
    print(f"user provisioning: {'on (both sides)' if args.users else 'off'}")
    ratio_create = e2e_new / baseline["create"]
    ratio_update = e2e_upd / baseline["write"]
    print(f"ratio create (pipeline / bare ORM): {ratio_create:.2f}   (goal ≤ 1.25)")
    print(f"ratio update (pipeline / bare ORM): {ratio_update:.2f}   (goal ≤ 1.25)")
    n = 2 * args.inprocess
    if inprocess is None:
        return 0
    print()
    print(
        f"in one process (no HTTP, no concurrency), {n} each, alternated: queue processing "
        f"{inprocess['pipeline']:.2f} s ({1000 * inprocess['pipeline'] / n:.1f} ms/employee), "
        f"bare ORM create {inprocess['bare']:.2f} s ({1000 * inprocess['bare'] / n:.1f} "
        f"ms/employee), ratio {inprocess['pipeline'] / inprocess['bare']:.2f}"
    )
    if args.profile:
        print(inprocess["stats"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
