"""A backlog longer than the cron time limits is processed without the master killing a
cron worker (prefork) and without the server reloading itself (threaded, as ``make demo``).

In prefork mode the master kills a cron worker whose current round of jobs lasts longer
than ``limit_time_real_cron`` (``limit_time_real`` when unset; 120 s by default), and
the worker's CPU time per round is capped by ``limit_time_cpu`` (60 s). One round runs
every ready job, and Odoo re-calls a job that reports remaining work up to 10 times in
the same round: the processing lane must keep the whole round within the limits, or a
deep backlog gets its worker killed again and again — each kill leaves a batch leased
until the lease expires, and three consecutive timeouts count as a failure of the cron
(five failures deactivate it).

The test shrinks the limits to 20 s (Odoo's scheduler alone spends about half a second
per job between calls on a loaded machine, and a first round runs every engine cron)
and gives the lanes a backlog of a minute or more of work (no-op messages bulk-inserted
with SQL, for the CPU, then I/O-bound ones that last longer than the limit however fast
the machine: 4,000 no-ops alone once took 18 s); the engine has to fit its rounds into
whatever limits the server runs with. It fails as soon as the server logs a
worker timeout, and otherwise waits for the backlog to be done without any help from the
lease reaper.

A threaded server (issue 13) counts a cron thread's round from the moment it starts
polling (``thread.start_time``) and reloads itself when a round outlasts
``limit_time_real_cron``; it checks once a minute, so the second test gives two lanes a
backlog of well over a minute of I/O-bound messages (50 ms each, whatever the load of
the machine) with a 20 s limit, and fails on any sign of a reload.
"""

import re
import time

import pytest

from . import harness

pytestmark = pytest.mark.system

LIMIT_SECONDS = 20
NOOP_MESSAGES = 4000
#: 50 ms each, one cron worker: at least 30 s of work, beyond LIMIT_SECONDS on any machine.
SLOW_TAIL = 600
MESSAGES = NOOP_MESSAGES + SLOW_TAIL
TIMEOUT = re.compile(r"WorkerCron \(\d+\) (timeout after|CPU time limit)")
#: What a threaded server logs when a thread outlasts its limit, and when it reloads.
RELOAD = re.compile(r"virtual real time limit|Initiating server reload|Initiating shutdown")
THREADED_LIMIT = 20
#: 2 lanes x 20 messages/s at most (50 ms each): at least 85 s of work.
SLOW_MESSAGES = 3400


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
    harness.bulk_insert_messages(db, ids["flow_id"], run, 1, NOOP_MESSAGES, {"simulate": "noop"})
    harness.bulk_insert_messages(
        db, ids["flow_id"], run, NOOP_MESSAGES + 1, MESSAGES, {"simulate": "slow"}
    )
    server.start()
    server.trigger_cron(harness.LANE_CRON_XMLID)

    started = time.monotonic()
    while time.monotonic() - started < 300:
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
        pytest.fail(f"backlog not processed in 300 s: {harness.state_counts(db, backend_id)}")
    elapsed = time.monotonic() - started
    assert elapsed > LIMIT_SECONDS, "the backlog was too small to exercise the limit"
    print(f"{MESSAGES} messages processed in {elapsed:.0f} s without a worker timeout")
    server.stop()


def test_threaded_server_serves_a_long_backlog_without_reloading(hc_database, hc_server_factory):
    db = hc_database
    run = harness.unique_name("r")
    server = hc_server_factory(
        db,
        name="odoo-threaded",
        workers=0,
        max_cron_threads=2,
        limit_time_real=60,
        options={"limit_time_real_cron": THREADED_LIMIT},
    )
    ids = server.run_script(
        harness.seed_sample_flow_script(
            "sys_threaded", "contacts", harness.new_webhook_secret(), params={"batch_size": 10}
        )
        + "\nenv['hc.integration.processor']._sync_lanes(2)\n"
    )
    backend_id = ids["backend_id"]
    harness.bulk_insert_messages(db, ids["flow_id"], run, 1, SLOW_MESSAGES, {"simulate": "slow"})
    server.start()
    pid = server.process.pid
    server.trigger_cron(harness.LANE_CRON_XMLID)

    started = time.monotonic()
    while time.monotonic() - started < 300:
        reloaded = RELOAD.search(server.log_text())
        if reloaded:
            pytest.fail(
                f"the threaded server hit its limit ({reloaded.group(0)}) after "
                f"{time.monotonic() - started:.0f} s with "
                f"{harness.state_counts(db, backend_id)} (limit {THREADED_LIMIT} s)"
            )
        if harness.state_counts(db, backend_id).get("done", 0) == SLOW_MESSAGES:
            break
        time.sleep(1)
    else:
        pytest.fail(f"backlog not processed in 300 s: {harness.state_counts(db, backend_id)}")
    elapsed = time.monotonic() - started
    assert elapsed > 70, "the backlog ended before Odoo's once-a-minute limit check"
    assert server.running and server.process.pid == pid
    assert not RELOAD.search(server.log_text())
    print(f"{SLOW_MESSAGES} messages in {elapsed:.0f} s on a threaded server, no reload")
    server.stop()
