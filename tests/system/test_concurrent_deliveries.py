"""500 concurrent signed deliveries, 100 of them duplicates: one message per event, each
applied exactly once.

400 distinct events are posted to a real server (2 HTTP workers, 2 cron workers running
the two processing lanes) by 24 sender threads. 100 of them are delivered twice with the
same ``webhook-id`` and body: 50 pairs fire at the same instant (a barrier releases both
copies together, so the second insert races the first), 50 copies go out at a random
moment. Every answer must be 202 (new) or 200 (duplicate, with the original message id),
and once the realtime processor has drained the queue, every event must have exactly one
message, one ``done`` transition, one binding and one contact.
"""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from . import harness

pytestmark = pytest.mark.system

EVENTS = 400
DUPLICATES_TOGETHER = 50
DUPLICATES_LATER = 50
SENDERS = 24


def _deliver(sender, delivery):
    event_id, body, barrier = delivery
    if barrier is not None:
        barrier.wait(timeout=30)
    try:
        response = sender.post(event_id, body)
    except requests.RequestException as error:
        return event_id, None, type(error).__name__
    try:
        answer = response.json()
    except ValueError:
        answer = response.text[:300]
    return event_id, response.status_code, answer


def test_concurrent_duplicate_deliveries(hc_database, hc_server_factory):
    db = hc_database
    run = harness.unique_name("c")
    secret = harness.new_webhook_secret()
    server = hc_server_factory(db, workers=2, max_cron_threads=2)
    ids = server.run_script(harness.seed_sample_flow_script("sys_conc", "contacts", secret))
    backend_id = ids["backend_id"]
    server.start()
    sender = harness.WebhookSender(server.base_url, "sys_conc", "contacts", secret, timeout=60)

    rng = random.Random(run)
    events = [
        (f"{run}-evt-{number}", sender.encode(harness.contact_event(run, number)))
        for number in range(EVENTS)
    ]
    duplicated = rng.sample(range(EVENTS), DUPLICATES_TOGETHER + DUPLICATES_LATER)
    together = set(duplicated[:DUPLICATES_TOGETHER])
    # units keep a racing pair adjacent (both copies are picked up by two threads at once)
    units = []
    for number, (event_id, body) in enumerate(events):
        if number in together:
            barrier = threading.Barrier(2)
            units.append([(event_id, body, barrier), (event_id, body, barrier)])
        else:
            units.append([(event_id, body, None)])
    units += [[(*events[number], None)] for number in duplicated[DUPLICATES_TOGETHER:]]
    rng.shuffle(units)
    deliveries = [delivery for unit in units for delivery in unit]
    assert len(deliveries) == EVENTS + DUPLICATES_TOGETHER + DUPLICATES_LATER == 500

    with ThreadPoolExecutor(SENDERS) as pool:
        results = list(pool.map(lambda d: _deliver(sender, d), deliveries))

    # -- answers -------------------------------------------------------------------------
    failures = [r for r in results if r[1] not in (200, 202)]
    assert not failures, f"{len(failures)} deliveries not answered 200/202: {failures[:5]}"
    statuses = [status for _, status, _ in results]
    assert statuses.count(202) == EVENTS
    assert statuses.count(200) == DUPLICATES_TOGETHER + DUPLICATES_LATER
    first_ids = {}
    for event_id, status, answer in results:
        assert answer["event_id"] == event_id
        assert answer["status"] == ("accepted" if status == 202 else "duplicate")
        first_ids.setdefault(event_id, set()).add(answer["message_id"])
    assert all(len(message_ids) == 1 for message_ids in first_ids.values()), (
        "a duplicate was answered with another message than the original"
    )
    answered = {event_id: message_ids.pop() for event_id, message_ids in first_ids.items()}

    # -- stored once ---------------------------------------------------------------------
    stored = dict(
        harness.query(
            db,
            "SELECT external_id, id FROM hc_integration_message WHERE backend_id = %s",
            (backend_id,),
        )
    )
    assert stored == answered
    assert (
        harness.scalar(
            db,
            "SELECT count(*) FROM hc_integration_audit WHERE backend_id = %s "
            "AND action = 'webhook.duplicate'",
            (backend_id,),
        )
        == DUPLICATES_TOGETHER + DUPLICATES_LATER
    )

    # -- processed once --------------------------------------------------------------------
    harness.wait_all_done(server, backend_id, EVENTS)
    harness.assert_processed_once(db, backend_id, run, EVENTS)
    races = server.log_text().count("SERIALIZATION_FAILURE")
    print(
        f"{races} racing insert(s) re-run by Odoo after a serialization failure; "
        f"attempts per message: {harness.attempts_histogram(db, backend_id)}"
    )
