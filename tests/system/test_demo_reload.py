"""The entry point of ``make demo`` (``tools/odoo_server.py``) comes back after a reload.

Odoo reloads a server by re-executing ``sys.argv[0]``: on ``SIGHUP``, and on a threaded
server whenever a thread outlasts its time limit. Started as ``python3 -m odoo`` it could
not (issue 13: the demo exited and the queue waited for a person). The test starts a
threaded server like the demo, sends ``SIGHUP`` and expects the same process to answer
again after logging the reload.
"""

import os
import signal

import pytest

from . import harness

pytestmark = pytest.mark.system

ENTRY_POINT = harness.REPO_ROOT / "tools" / "odoo_server.py"


def test_demo_entry_point_comes_back_after_a_reload(hc_database, hc_server_factory):
    server = hc_server_factory(
        hc_database, name="odoo-demo-like", workers=0, max_cron_threads=1, launcher=ENTRY_POINT
    )
    server.start()
    pid = server.process.pid
    os.kill(pid, signal.SIGHUP)
    harness.wait_until(
        lambda: "Initiating server reload" in server.log_text(), 30, message="reload logged"
    )
    harness.wait_until(
        lambda: server.log_text().count("HTTP service (werkzeug) running") >= 2,
        60,
        message="HTTP service started again",
    )
    server.wait_healthy(60)
    assert server.running and server.process.pid == pid, "the server did not come back"
    assert "ImportError" not in server.log_text() + harness.tail(server.output_path)
    server.stop()
