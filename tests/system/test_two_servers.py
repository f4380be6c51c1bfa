"""Two Odoo servers on one database (issue 13 §5): deliveries spread over both, lanes
claim on both, one server killed mid-batch loses and repeats nothing, a real-time
wake-up posted to one server starts the other server's cron worker, and configuration
changes reach both servers' receivers.

Both servers are separate prefork processes (2 HTTP workers each) on their own ports,
sharing one PostgreSQL database as N servers behind a reverse proxy would. The flow runs
the probe handler (``probe.py``): every application of a message writes a journal row
with the pid of its cron worker and of that worker's master, so rows per message count
applications and the master pid names the server.

1. Half the webhooks go to each server (a sender that cannot reach its server retries
   on the other one, as a proxy would); the two processing lanes run on the two servers'
   cron workers. Once both servers have applied messages, the server whose cron worker
   holds leased messages is SIGKILLed, whole process group (master, HTTP and cron
   workers). Its leases expire, the maintenance cron of the survivor returns them, and
   every event ends with one message, applied exactly once.
2. Server A runs no cron worker (``max_cron_threads = 0``), server B one. Every cron is
   scheduled an hour ahead, so only a trigger and its ``NOTIFY`` can start a lane. Events
   posted to A, one at a time, are applied by B's cron worker long before B's idle sleep
   (60 s and more) would have let it look for due work on its own.
3. A signing secret rotated and a flow archived by a script on one server's side reach
   the receiver's registry cache in every HTTP worker of both servers at once.
"""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from . import harness, probe

pytestmark = pytest.mark.system

MESSAGES = 400
SENDERS = 8
LEASE_SECONDS = 8
#: Applications each server must have made before one of them is killed.
APPLIED_BEFORE_KILL = 10
WAKE_UPS = 3
#: Below WorkerCron's idle sleep (SLEEP_INTERVAL = 60 s + pid % 10): a message done
#: within this was started by the NOTIFY, not by the worker's own next look.
WAKE_UP_TIMEOUT = 45


@pytest.fixture(scope="module")
def probe_database(hc_database, hc_server_factory):
    """The module's database with the probe addon installed."""
    probe.install(hc_server_factory(hc_database, name="odoo-probe-install"))
    return hc_database


def _deliver(targets, event_id, body):
    """POST to the first server of ``targets``; on a connection error or a 5xx answer,
    to the next one. Returns ``(event_id, server name, status, answer)``."""
    for name, sender in targets:
        try:
            response = sender.post(event_id, body)
        except requests.RequestException:
            continue
        if response.status_code < 500:
            return event_id, name, response.status_code, response.json()
    return event_id, None, None, None


def _leased_by(db, backend_id, server):
    """Ids of the backend's messages leased by a cron worker of ``server``."""
    pids = server.worker_pids()
    rows = harness.query(
        db,
        "SELECT id, lease_owner FROM hc_integration_message "
        "WHERE backend_id = %s AND state = 'processing'",
        (backend_id,),
    )
    return [mid for mid, owner in rows if harness.lease_owner_pid(owner) in pids]


def _kill_server_mid_batch(servers, db, backend_id, timeout=120):
    """Once both servers applied messages, SIGKILL the process group of a server whose
    cron worker holds leases. Returns ``(victim, survivor, ids it left processing)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        applied = probe.applications_per_server(db)
        if all(applied.get(s.process.pid, 0) >= APPLIED_BEFORE_KILL for s in servers):
            for victim in servers:
                if len(_leased_by(db, backend_id, victim)) >= 2:
                    pids = victim.worker_pids()
                    os.killpg(victim.process.pid, signal.SIGKILL)
                    victim.process.wait(10)
                    rows = harness.query(
                        db,
                        "SELECT id, lease_owner FROM hc_integration_message "
                        "WHERE backend_id = %s AND state = 'processing'",
                        (backend_id,),
                    )
                    orphans = [m for m, o in rows if harness.lease_owner_pid(o) in pids]
                    survivor = next(s for s in servers if s is not victim)
                    return victim, survivor, orphans
        time.sleep(0.02)
    raise AssertionError(
        f"no server caught mid-batch with both applying: {probe.applications_per_server(db)}"
    )


def test_two_servers_share_the_queue_and_one_killed_loses_nothing(
    probe_database, hc_server_factory
):
    db = probe_database
    run = harness.unique_name("two")
    secret = harness.new_webhook_secret()
    servers = [
        hc_server_factory(
            db, name=f"odoo-{name}", workers=2, max_cron_threads=1, options=probe.server_options()
        )
        for name in ("a", "b")
    ]
    ids = servers[0].run_script(
        harness.seed_sample_flow_script(
            "sys_two",
            "contacts",
            secret,
            params={"lease_seconds": LEASE_SECONDS},
            flow_values={"handler_model": probe.HANDLER},
        )
        + "\nenv['hc.integration.processor']._sync_lanes(2)\n"
    )
    backend_id = ids["backend_id"]
    for server in servers:
        server.start()
    senders = [
        (s.name, harness.WebhookSender(s.base_url, "sys_two", "contacts", secret)) for s in servers
    ]
    events = [
        (f"{run}-evt-{n}", harness.WebhookSender.encode(harness.contact_event(run, n)))
        for n in range(MESSAGES)
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        # even events to A first, odd ones to B first; the other server is the fallback
        futures = [
            pool.submit(_deliver, senders[n % 2 :] + senders[: n % 2], event_id, body)
            for n, (event_id, body) in enumerate(events)
        ]
        victim, survivor, orphans = _kill_server_mid_batch(servers, db, backend_id)
        results = [future.result() for future in futures]

    # -- every event stored once, by either server ---------------------------------------
    unanswered = [r for r in results if r[1] is None or r[2] not in (200, 202)]
    assert not unanswered, f"{len(unanswered)} events not delivered: {unanswered[:5]}"
    served = {s.name: sum(1 for r in results if r[1] == s.name) for s in servers}
    assert all(served.values()), f"deliveries per server: {served}"
    answered = {}
    for event_id, _name, _status, answer in results:
        answered.setdefault(event_id, set()).add(answer["message_id"])
    assert all(len(message_ids) == 1 for message_ids in answered.values())
    stored = dict(
        harness.query(
            db,
            "SELECT external_id, id FROM hc_integration_message WHERE backend_id = %s",
            (backend_id,),
        )
    )
    assert stored == {event_id: found.pop() for event_id, found in answered.items()}

    # -- every message applied exactly once ----------------------------------------------
    assert orphans, "the killed server held no leased message"
    harness.wait_all_done(survivor, backend_id, MESSAGES, timeout=180)
    elapsed = time.monotonic() - started
    applications = probe.applications_per_message(db, backend_id)
    assert len(applications) == MESSAGES
    wrong = {mid: n for mid, n in applications.items() if n != 1}
    assert not wrong, (
        f"messages not applied exactly once (id: times): {dict(list(wrong.items())[:10])}"
    )
    harness.assert_processed_once(db, backend_id, run, MESSAGES)

    # -- lanes claimed on both servers; the survivor finished the victim's batch ---------
    per_server = probe.applications_per_server(db)
    assert set(per_server) == {victim.process.pid, survivor.process.pid}, per_server
    assert all(n >= APPLIED_BEFORE_KILL for n in per_server.values()), per_server
    for message_id, _worker, server_pid in probe.journal(db, orphans):
        assert server_pid == survivor.process.pid, f"orphan {message_id} applied by {server_pid}"
    attempts = dict(
        harness.query(
            db, "SELECT id, attempts FROM hc_integration_message WHERE id = ANY(%s)", (orphans,)
        )
    )
    assert all(n >= 2 for n in attempts.values()), f"orphans not claimed again: {attempts}"
    print(
        f"{MESSAGES} events in {elapsed:.0f} s; deliveries answered per server {served}; "
        f"applications per server pid {per_server}; {victim.name} killed holding "
        f"{len(orphans)} leased message(s), finished by {survivor.name}"
    )
    survivor.stop()


def test_realtime_wake_up_reaches_the_other_servers_cron_worker(probe_database, hc_server_factory):
    db = probe_database
    run = harness.unique_name("wake")
    secret = harness.new_webhook_secret()
    no_cron = hc_server_factory(
        db, name="odoo-a-nocron", workers=2, max_cron_threads=0, options=probe.server_options()
    )
    with_cron = hc_server_factory(
        db, name="odoo-b-cron", workers=2, max_cron_threads=1, options=probe.server_options()
    )
    ids = no_cron.run_script(
        harness.seed_sample_flow_script(
            "sys_wake", "contacts", secret, flow_values={"handler_model": probe.HANDLER}
        )
    )
    backend_id = ids["backend_id"]
    # no cron is due for an hour and none is triggered: only a new trigger starts a lane
    harness.query(db, "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' + interval '1 hour'")
    harness.query(db, "DELETE FROM ir_cron_trigger")
    no_cron.start()
    with_cron.start()
    assert len(no_cron.worker_processes()) == 2, "server A runs cron workers"
    sender = harness.WebhookSender(no_cron.base_url, "sys_wake", "contacts", secret)

    latencies = []
    for number in range(WAKE_UPS):
        event_id = f"{run}-evt-{number}"
        response = sender.post(event_id, sender.encode(harness.contact_event(run, number)))
        assert response.status_code == 202, response.text
        message_id = response.json()["message_id"]
        started = time.monotonic()
        harness.wait_until(
            lambda message_id=message_id: harness.scalar(
                db, "SELECT state = 'done' FROM hc_integration_message WHERE id = %s", (message_id,)
            ),
            WAKE_UP_TIMEOUT,
            0.1,
            f"event {number} posted to the server without cron done",
        )
        latencies.append(time.monotonic() - started)
        rows = probe.journal(db, [message_id])
        assert len(rows) == 1, rows
        assert rows[0][2] == with_cron.process.pid, f"applied by server {rows[0][2]}"
        assert rows[0][1] in with_cron.worker_pids()
        # the lane ran on the trigger: its scheduled time is still an hour ahead
        assert harness.scalar(
            db,
            "SELECT c.nextcall > now() AT TIME ZONE 'UTC' + interval '50 minutes' "
            "FROM ir_cron c JOIN ir_model_data d ON d.res_id = c.id AND d.model = 'ir.cron' "
            "WHERE d.module = %s AND d.name = %s",
            harness.LANE_CRON_XMLID,
        )
    assert harness.state_counts(db, backend_id) == {"done": WAKE_UPS}
    print(
        "events posted to the server without cron, applied by the other server's cron "
        f"worker after {', '.join(f'{s:.1f}' for s in latencies)} s"
    )


def test_configuration_changed_elsewhere_reaches_every_servers_receiver(
    probe_database, hc_server_factory
):
    """The receiver keeps flows, backends and signing secrets in Odoo's registry cache:
    a change written by another process (here a script, ``odoo shell``, which Odoo does
    not signal by itself) empties it in every worker of every server."""
    db = probe_database
    run = harness.unique_name("cfg")
    old_secret, new_secret = harness.new_webhook_secret(), harness.new_webhook_secret()
    servers = [
        hc_server_factory(db, name=f"odoo-cfg-{name}", workers=2, max_cron_threads=0)
        for name in ("a", "b")
    ]
    ids = servers[0].run_script(
        harness.seed_sample_flow_script(
            "sys_cfg", "contacts", old_secret, flow_values={"sync_mode": "batch"}
        )
    )
    for server in servers:
        server.start()
    numbers = iter(range(10**6))

    def statuses(secret):
        """Answers of each server's workers (several deliveries each: both workers)."""
        answers = set()
        for server in servers:
            sender = harness.WebhookSender(server.base_url, "sys_cfg", "contacts", secret)
            for _ in range(6):
                number = next(numbers)
                body = sender.encode(harness.contact_event(run, number))
                answers.add((server.name, sender.post(f"{run}-{number}", body).status_code))
        return {status for _name, status in answers}, answers

    assert statuses(old_secret)[0] == {202}  # every worker has the flow cached now
    servers[0].run_script(
        f"env['hc.integration.backend'].browse({ids['backend_id']}).webhook_secret = {new_secret!r}"
    )
    assert statuses(old_secret)[0] == {401}, statuses(old_secret)[1]
    assert statuses(new_secret)[0] == {202}
    servers[1].run_script(f"env['hc.integration.flow'].browse({ids['flow_id']}).active = False")
    assert statuses(new_secret)[0] == {404}
    for server in servers:
        server.stop()
