"""A backlog longer than the cron worker's time limit is processed without the master
killing the worker.

In prefork mode the master kills a cron worker whose current round of jobs lasts longer
than ``limit_time_real_cron`` (``limit_time_real`` when unset; 120 s by default), and
the worker's CPU time per round is capped by ``limit_time_cpu`` (60 s). One round runs
every ready job, and Odoo re-calls a job that reports remaining work up to 10 times in
the same round: the processing lane must keep the whole round within the limits, or a
deep backlog gets its worker killed again and again — each kill leaves a batch leased
until the lease expires, and three consecutive timeouts count as a failure of the cron
(five failures deactivate it).

The test shrinks the limits to 10 s and gives the lanes a backlog of 20 to 60 s of
work (no-op messages bulk-inserted with SQL); the engine has to fit its rounds into
whatever limits the server runs with. It fails as soon as the server logs a
worker timeout, and otherwise waits for the backlog to be done without any help from the
lease reaper.
"""

import re
import time

import pytest

from . import harness

pytestmark = pytest.mark.system

LIMIT_SECONDS = 10
MESSAGES = 5000
TIMEOUT = re.compile(r"WorkerCron \(\d+\) (timeout after|CPU time limit)")


def test_backlog_longer_than_the_cron_time_limit(hc_database, hc_server_factory):
    db = hc_database
    run = harness.unique_name("t")
    server = hc_server_factory(
        db,
        workers=1,
        max_cron_threads=1,
        limit_time_real=LIMIT_SECONDS,
        options={"limit_time_cpu": LIMIT_SECONDS},
    )
    ids = server.run_script(
        harness.seed_sample_flow_script("sys_limit", "contacts", harness.new_webhook_secret())
    )
    backend_id = ids["backend_id"]
    harness.bulk_insert_messages(db, ids["flow_id"], run, 1, MESSAGES, {"simulate": "noop"})
    server.start()
    server.trigger_cron(harness.LANE_CRON_XMLID)

    started = time.monotonic()
    while time.monotonic() - started < 240:
        killed = TIMEOUT.search(server.log_text())
        if killed:
            counts = harness.state_counts(db, backend_id)
            pytest.fail(
                f"the master killed the cron worker ({killed.group(0)}) after "
                f"{time.monotonic() - started:.0f} s with {counts} (limit {LIMIT_SECONDS} s)"
            )
        if harness.state_counts(db, backend_id).get("done", 0) == MESSAGES:
            break
        time.sleep(1)
    else:
        pytest.fail(f"backlog not processed in 240 s: {harness.state_counts(db, backend_id)}")
    elapsed = time.monotonic() - started
    assert elapsed > LIMIT_SECONDS, "the backlog was too small to exercise the limit"
    print(f"{MESSAGES} messages processed in {elapsed:.0f} s without a worker timeout")
