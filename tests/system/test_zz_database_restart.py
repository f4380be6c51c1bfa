"""PostgreSQL restarted while senders deliver: nothing lost, nothing doubled.

16 sender threads post 300 signed events to a real server and retry each one until it is
answered 2xx, like a well-behaved sending system: on ``503`` (after ``Retry-After``,
shortened to half a second here) and on connection errors. When about a quarter of the
events are accepted, the machine's PostgreSQL cluster is restarted (``pg_ctlcluster …
restart``, fast mode: open transactions are cut). During the outage the only acceptable
answers are ``503`` or a failed connection; a 2xx must mean "stored": every event
answered 2xx is in the queue exactly once, with the message id of its answer. After the
restart every event gets accepted and processed exactly once (messages cut off in
``processing`` come back through the lease reaper).

This module restarts the PostgreSQL server shared by the whole session (and machine): it
is named to run last, keeps the outage to the restart itself, waits for PostgreSQL to
answer before it ends, and checks that the pytest-odoo registry of the session (when
there is one) can still open a cursor afterwards.
"""

import contextlib
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from . import harness

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not shutil.which("pg_ctlcluster"),
        reason="restarts the local cluster with pg_ctlcluster (Debian's postgresql-common)",
    ),
]

EVENTS = 300
SENDERS = 16
RESTART_WHEN_ACCEPTED = 75
LEASE_SECONDS = 10
#: The guard answers ``Retry-After: 30``; the test's senders wait this long instead.
RETRY_DELAY = 0.5
EVENT_DEADLINE = 180


class Ledger:
    """What every sender saw, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = []  # (event_id, monotonic time, status or exception name)
        self.accepted = {}  # event_id -> (status, message_id)
        self.unexpected = []

    def record(self, event_id, outcome, answer=None):
        with self.lock:
            self.outcomes.append((event_id, time.monotonic(), outcome))
            if outcome in (200, 202):
                self.accepted[event_id] = (outcome, answer.get("message_id"))
            elif outcome != 503 and isinstance(outcome, int):
                self.unexpected.append((event_id, outcome, answer))

    def count(self, outcome):
        with self.lock:
            return sum(1 for _, _, seen in self.outcomes if seen == outcome)


def _deliver_until_accepted(sender, ledger, event_id, body):
    deadline = time.monotonic() + EVENT_DEADLINE
    while time.monotonic() < deadline:
        try:
            response = sender.post(event_id, body)
        except requests.RequestException as error:
            ledger.record(event_id, type(error).__name__)
            time.sleep(RETRY_DELAY)
            continue
        try:
            answer = response.json()
        except ValueError:
            answer = {"text": response.text[:300]}
        ledger.record(event_id, response.status_code, answer)
        if response.status_code in (200, 202):
            return True
        time.sleep(RETRY_DELAY)
    return False


@pytest.fixture(scope="module", autouse=True)
def _session_database_survives():
    """After the restart, the session's own Odoo (pytest-odoo) must still reach its
    database: Odoo's pool replaces dead connections when a cursor is borrowed."""
    yield
    harness.wait_for_postgres(60)
    odoo = sys.modules.get("odoo")
    db_name = odoo and odoo.tools.config.get("db_name")
    registries = getattr(getattr(odoo, "modules", None), "registry", None)
    if not db_name or registries is None or db_name not in registries.Registry.registries:
        return

    def cursor_works():
        with contextlib.suppress(Exception), registries.Registry(db_name).cursor() as cr:
            cr.execute("SELECT 1")
            return cr.fetchone() == (1,)
        return False

    harness.wait_until(cursor_works, 30, 1, f"a cursor on the session database {db_name}")


def test_database_restart_under_load(hc_database, hc_server_factory):
    db = hc_database
    run = harness.unique_name("r")
    secret = harness.new_webhook_secret()
    server = hc_server_factory(db, workers=2, max_cron_threads=1)
    ids = server.run_script(
        harness.seed_sample_flow_script(
            "sys_pg", "contacts", secret, params={"lease_seconds": LEASE_SECONDS}
        )
    )
    backend_id = ids["backend_id"]
    server.start()
    sender = harness.WebhookSender(server.base_url, "sys_pg", "contacts", secret, timeout=30)
    events = [
        (f"{run}-evt-{number}", sender.encode(harness.contact_event(run, number)))
        for number in range(EVENTS)
    ]
    ledger = Ledger()

    with ThreadPoolExecutor(SENDERS) as pool:
        futures = [
            pool.submit(_deliver_until_accepted, sender, ledger, event_id, body)
            for event_id, body in events
        ]
        harness.wait_until(
            lambda: len(ledger.accepted) >= RESTART_WHEN_ACCEPTED,
            120,
            0.05,
            "first deliveries accepted",
        )
        restart_started = time.monotonic()
        outage = harness.restart_postgres()
        delivered = [future.result() for future in futures]

    # -- the senders' view ---------------------------------------------------------------
    failed_at = [at - restart_started for _, at, seen in ledger.outcomes if seen not in (200, 202)]
    refused = ledger.count(503)
    cut = sum(1 for _, _, seen in ledger.outcomes if isinstance(seen, str))
    print(
        f"PostgreSQL answered again {outage:.1f} s after the restart began; failed answers "
        f"received from {min(failed_at, default=0):+.1f} s to {max(failed_at, default=0):+.1f} s; "
        f"{len(ledger.outcomes)} requests: {refused} answered 503, {cut} connection errors; "
        f"accepted {len(ledger.accepted)} events"
    )
    assert not ledger.unexpected, f"answers other than 2xx/503: {ledger.unexpected[:5]}"
    assert refused + cut > 0, "no request met the outage: the scenario did not happen"
    assert all(delivered) and len(ledger.accepted) == EVENTS, "some events were never accepted"

    # -- every 2xx is stored, once, under the id it was answered with ---------------------
    stored = harness.query(
        db,
        "SELECT external_id, id FROM hc_integration_message WHERE backend_id = %s",
        (backend_id,),
    )
    assert len(stored) == len(dict(stored)) == EVENTS
    stored = dict(stored)
    for event_id, (_status, message_id) in ledger.accepted.items():
        assert stored.get(event_id) == message_id, f"event {event_id}: answered {message_id}"

    # -- and processed once ------------------------------------------------------------------
    harness.wait_all_done(server, backend_id, EVENTS, timeout=240)
    harness.assert_processed_once(db, backend_id, run, EVENTS)
    print(f"attempts per message: {harness.attempts_histogram(db, backend_id)}")
