"""Read-only routes answered by a streaming replica while the primary takes the writes
(issue 13 §6).

Odoo 18 opens the cursor of a ``readonly=True`` route on ``--db_replica_host`` /
``--db_replica_port`` (falling back to the primary when the replica cannot be reached)
and every other request, the cron workers included, on the primary. The test makes a
real hot standby of the local cluster (``replica.py``: ``pg_basebackup -R``, ``pg_ctl``)
and starts a prefork server with it as its replica. Then:

* webhooks are accepted (written on the primary) and processed by the cron worker, and
  the status API, ``/healthcare/health``, ``/healthcare/metrics`` and the OpenAPI
  document answer;
* the replica's ``pg_stat_activity`` holds connections to the test database whose
  client sockets belong to the server's HTTP workers;
* with the replica's WAL replay paused, the primary keeps taking webhooks while the
  read-only routes keep answering what the replica holds: the new event is unknown to
  the status API, the health and metrics backlog and the OpenAPI document (the flow
  renamed meanwhile) do not show what was written meanwhile; once replay resumes, they do;
* no read-only route wrote anything: a write on a replica cursor fails and Odoo retries
  the request on the primary, logging "retrying with a read/write cursor".
"""

import re
import time

import psutil
import pytest
import requests

from . import harness
from .replica import StreamingReplica

pytestmark = pytest.mark.system

EVENTS = 20
HELD_BACK = 3
METRICS_TOKEN = "hc-sys-replica-metrics-token"
RW_RETRY = "retrying with a read/write cursor"
RENAMED = "System test flow renamed during the pause"


@pytest.fixture(scope="module")
def streaming_replica(hc_database):
    """A hot standby of the local cluster (it holds the module's database), removed at
    the end of the module."""
    standby = StreamingReplica(harness.free_port())
    started = time.monotonic()
    try:
        standby.create()
        copied = time.monotonic()
        standby.start()
        standby.wait_streaming()
        print(
            f"replica: base backup {copied - started:.0f} s, "
            f"start {time.monotonic() - copied:.0f} s"
        )
        yield standby
    finally:
        stopping = time.monotonic()
        standby.destroy()
        print(f"replica stopped and removed in {time.monotonic() - stopping:.0f} s")


def _seed_script(secret):
    return (
        harness.seed_sample_flow_script("sys_replica", "contacts", secret)
        + f"""
user = env["res.users"].create({{
    "name": "Replica test sender",
    "login": "hc_sys_replica_sender",
    "groups_id": [(6, 0, [env.ref("base.group_user").id])],
}})
backend.integration_user_id = user
result["api_key"] = env["res.users.apikeys"].with_user(user).sudo()._generate(
    None, "replica test", None)
env["hc.integration.metrics"]._hc_set_metrics_token({METRICS_TOKEN!r})
"""
    )


def _metric(text, name, **labels):
    """The value of the sample of ``name`` whose labels include ``labels`` (0 if none)."""
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
        found = match.group(1) or "" if match else ""
        if match and all(f'{key}="{value}"' in found for key, value in labels.items()):
            return float(match.group(2))
    return 0.0


class ReadRoutes:
    """The read-only routes of one server, as their clients call them."""

    def __init__(self, server, api_key):
        self.server = server
        self.api_key = api_key

    def status(self, event_id):
        return requests.get(
            self.server.url(f"/healthcare/api/v1/messages/{event_id}"),
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )

    def backlog(self):
        response = requests.get(self.server.url("/healthcare/health"), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["queue"]["backlog"]

    def metrics_backlog(self):
        response = requests.get(
            self.server.url("/healthcare/metrics"),
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert _metric(response.text, "hc_up") == 1
        return _metric(response.text, "hc_queue_backlog", backend="sys_replica", flow="contacts")

    def openapi_summary(self, path):
        """The summary (the flow's name) of the webhook operation at ``path``."""
        response = requests.get(self.server.url("/healthcare/api/openapi.json"), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["paths"][path]["post"]["summary"]


def _wait_done(db, backend_id, count):
    harness.wait_until(
        lambda: harness.state_counts(db, backend_id).get("done", 0) == count,
        120,
        0.3,
        f"{count} messages done",
    )


def test_read_only_routes_answer_from_the_replica(
    hc_database, hc_server_factory, streaming_replica
):
    db = hc_database
    replica = streaming_replica
    run = harness.unique_name("ro")
    secret = harness.new_webhook_secret()
    server = hc_server_factory(
        db,
        name="odoo-replica",
        workers=2,
        max_cron_threads=1,
        options={"db_replica_host": "127.0.0.1", "db_replica_port": replica.port},
    )
    ids = server.run_script(_seed_script(secret))
    backend_id = ids["backend_id"]
    server.start()
    sender = harness.WebhookSender(server.base_url, "sys_replica", "contacts", secret)
    routes = ReadRoutes(server, ids["api_key"])

    def post(number):
        event_id = f"{run}-evt-{number}"
        response = sender.post(event_id, sender.encode(harness.contact_event(run, number)))
        assert response.status_code == 202, response.text
        return event_id

    # -- writes on the primary, reads answered ---------------------------------------------
    event_ids = [post(number) for number in range(EVENTS)]
    _wait_done(db, backend_id, EVENTS)
    replica.wait_caught_up()
    body = routes.status(event_ids[0]).json()
    assert body["state"] == "done", body
    assert routes.backlog() == 0
    assert routes.metrics_backlog() == 0
    webhook_path = "/healthcare/webhook/sys_replica/contacts"
    assert routes.openapi_summary(webhook_path) == "System test flow contacts"

    # the HTTP workers hold connections to the test database on the replica (Odoo names
    # them after the master, which made the registry before forking: the sockets' owners
    # tell the workers apart)
    client_ports = {
        port
        for (port,) in replica.query(
            "postgres",
            "SELECT client_port FROM pg_stat_activity WHERE datname = %s "
            "AND client_port IS NOT NULL",
            (db,),
        )
    }
    replica_pids = {
        conn.pid
        for conn in psutil.net_connections("tcp")
        if conn.raddr and conn.raddr.port == replica.port and conn.laddr.port in client_ports
    }
    assert replica_pids & server.worker_pids(), (
        f"no connection of the server's workers {server.worker_pids()} on the replica: "
        f"{replica_pids}"
    )

    # -- replay paused: the primary takes writes, the routes answer what the replica has --
    harness.query(
        db, "UPDATE hc_integration_flow SET paused = true WHERE backend_id = %s", (backend_id,)
    )
    replica.wait_caught_up()
    replica.pause_replay()
    try:
        held = [post(EVENTS + number) for number in range(HELD_BACK)]
        harness.query(
            db,
            "UPDATE hc_integration_flow SET name = %s WHERE id = %s",
            (
                RENAMED,
                ids["flow_id"],
            ),
        )
        assert harness.state_counts(db, backend_id) == {"done": EVENTS, "pending": HELD_BACK}
        assert routes.status(held[0]).status_code == 404, "the status API read the primary"
        assert routes.backlog() == 0, "the health route read the primary"
        assert routes.metrics_backlog() == 0, "the metrics route read the primary"
        assert routes.openapi_summary(webhook_path) != RENAMED, "the OpenAPI route read the primary"
    finally:
        replica.resume_replay()
    replica.wait_caught_up()
    assert routes.status(held[0]).json()["state"] == "pending"
    assert routes.backlog() == HELD_BACK
    assert routes.metrics_backlog() == HELD_BACK
    assert routes.openapi_summary(webhook_path) == RENAMED

    # -- the held-back events go through once the flow runs again -------------------------
    harness.query(
        db, "UPDATE hc_integration_flow SET paused = false WHERE backend_id = %s", (backend_id,)
    )
    server.trigger_cron(harness.LANE_CRON_XMLID)
    _wait_done(db, backend_id, EVENTS + HELD_BACK)
    harness.assert_processed_once(db, backend_id, run, EVENTS + HELD_BACK)

    # -- no read-only route wrote (Odoo would have retried it on the primary) ----------
    log = server.log_text()
    assert RW_RETRY not in log, [line for line in log.splitlines() if RW_RETRY in line][:3]
    lag = replica.scalar("postgres", "SELECT now() - pg_last_xact_replay_timestamp()")
    print(
        f"replica on port {replica.port}; server workers connected to it: "
        f"{sorted(replica_pids & server.worker_pids())}; replay lag at the end: {lag}"
    )
