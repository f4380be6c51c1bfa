"""A cron worker killed with SIGKILL in the middle of a batch: every message still ends
processed exactly once.

A backlog of sample events (each upserts a ``res.partner`` by binding) is queued through
``_hc_enqueue`` before the server starts; the single cron worker starts on it at once.
While it works, the test reads the ``lease_owner`` of a message in ``processing`` (it
holds the worker's pid), kills that worker and checks that messages were left leased by
the dead process. The master starts a new cron worker; the maintenance cron (triggered
here instead of waiting for its minute) returns the expired leases to the queue, and the
new worker processes them.
"""

import os
import signal
import time

import psutil
import pytest

from . import harness

pytestmark = pytest.mark.system

MESSAGES = 1000
LEASE_SECONDS = 8


def _kill_worker_mid_batch(server, db, backend_id, timeout=120):
    """SIGKILL the worker holding leases; return ``(pid, ids left processing by it)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = harness.query(
            db,
            "SELECT lease_owner FROM hc_integration_message "
            "WHERE backend_id = %s AND state = 'processing' AND lease_owner IS NOT NULL "
            "LIMIT 1",
            (backend_id,),
        )
        done = harness.state_counts(db, backend_id).get("done", 0)
        pid = harness.lease_owner_pid(rows[0][0]) if rows else None
        if pid and done >= 50 and pid in server.worker_pids():
            os.kill(pid, signal.SIGKILL)
            harness.wait_until(
                lambda pid=pid: (
                    not psutil.pid_exists(pid)
                    or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
                ),
                10,
                0.05,
                "killed worker gone",
            )
            orphans = [
                row[0]
                for row in harness.query(
                    db,
                    "SELECT id FROM hc_integration_message WHERE backend_id = %s "
                    "AND state = 'processing' AND lease_owner LIKE %s",
                    (backend_id, f"%:{pid}:%"),
                )
            ]
            if orphans:
                return pid, orphans
        time.sleep(0.02)
    raise AssertionError("no worker could be caught in the middle of a batch")


def test_cron_worker_killed_mid_batch(hc_database, hc_server_factory):
    db = hc_database
    run = harness.unique_name("k")
    server = hc_server_factory(db, workers=2, max_cron_threads=1)
    ids = server.run_script(
        harness.seed_sample_flow_script(
            "sys_kill",
            "contacts",
            harness.new_webhook_secret(),
            params={"lease_seconds": LEASE_SECONDS},
        )
    )
    backend_id = ids["backend_id"]
    message_ids = server.run_script(harness.enqueue_script(ids["flow_id"], run, MESSAGES))
    assert len(set(message_ids)) == MESSAGES

    server.start()
    # the backlog was queued while no server listened: wake the cron worker, as
    # ``_hc_enqueue`` does for a running server (it would sleep up to a minute otherwise)
    server.trigger_cron(harness.LANE_CRON_XMLID)
    killed_pid, orphans = _kill_worker_mid_batch(server, db, backend_id)
    # the master replaces the dead cron worker
    harness.wait_until(
        lambda: len(server.worker_pids() - {killed_pid}) >= 3,
        30,
        0.2,
        "a new cron worker",
    )

    harness.wait_all_done(server, backend_id, MESSAGES, timeout=300)
    harness.assert_processed_once(db, backend_id, run, MESSAGES)

    # the orphans went through the lease reaper and were claimed again
    orphan_rows = harness.query(
        db,
        "SELECT m.id, m.attempts, "
        "  (SELECT count(*) FROM hc_integration_audit a WHERE a.message_id = m.id "
        "    AND a.action = 'message.retry' AND a.summary LIKE '%%lease expired%%') "
        "FROM hc_integration_message m WHERE m.id = ANY(%s)",
        (orphans,),
    )
    for message_id, attempts, reaped in orphan_rows:
        assert attempts >= 2, f"message {message_id} was not claimed again"
        assert reaped == 1, f"message {message_id} was not returned by the lease reaper"
    print(
        f"killed cron worker {killed_pid} holding {len(orphans)} leased message(s); "
        f"attempts per message: {harness.attempts_histogram(db, backend_id)}"
    )
