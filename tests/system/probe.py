"""The journalling probe handler of the system tests (``addons/hc_sys_probe``).

The probe handler is the sample contact upsert plus one ``hc_sys_probe_journal`` row per
processing, written in the same transaction, holding the pid of the worker that ran it
and of that worker's prefork master: rows per message count how often a message was
applied, and the master pid says which server applied it. The addon lives under
``tests/system/addons`` (never in the shipped addons path); servers that run it get that
directory in their ``addons_path``.
"""

import subprocess

from . import harness

ADDON = "hc_sys_probe"
HANDLER = "hc.sys.probe.handler"
ADDONS_PATH = f"{harness.REPO_ROOT},{harness.REPO_ROOT / 'tests' / 'system' / 'addons'}"


def server_options(**extra):
    """``OdooServer`` options of a server that can load the probe addon."""
    return {"addons_path": ADDONS_PATH, **extra}


def install(server, timeout=300):
    """Install the probe addon into ``server``'s database (the server is not started;
    its configuration gets the probe's addons path)."""
    server.options["addons_path"] = ADDONS_PATH
    server._write_config()
    log_path = server.workdir / f"{server.name}-install-probe.log"
    cmd = [
        harness.PYTHON,
        harness._launcher(server.workdir),
        "-c",
        str(server.config_path),
        "-i",
        ADDON,
        "--stop-after-init",
        "--no-http",
        "--log-level=warn",
        f"--logfile={log_path}",
    ]
    done = subprocess.run(
        cmd,
        cwd=server.workdir,
        env=harness._odoo_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    installed = harness.scalar(
        server.db_name,
        "SELECT state FROM ir_module_module WHERE name = %s",
        (ADDON,),
    )
    if done.returncode != 0 or installed != "installed":
        raise harness.HarnessError(
            f"installing {ADDON} failed ({done.returncode}, {installed}):\n"
            f"{done.stderr[-3000:]}\n{harness.tail(log_path, 60)}"
        )


def journal(db_name, message_ids=None):
    """``[(message_id, worker_pid, server_pid)]`` of the journal (of ``message_ids``)."""
    statement = "SELECT message_id, worker_pid, server_pid FROM hc_sys_probe_journal"
    params = None
    if message_ids is not None:
        statement += " WHERE message_id = ANY(%s)"
        params = (list(message_ids),)
    return harness.query(db_name, statement + " ORDER BY id", params)


def applications_per_message(db_name, backend_id):
    """``{message_id: journal rows}`` for every message of the backend (0 when never
    applied)."""
    return dict(
        harness.query(
            db_name,
            "SELECT m.id, count(j.id) FROM hc_integration_message m "
            "LEFT JOIN hc_sys_probe_journal j ON j.message_id = m.id "
            "WHERE m.backend_id = %s GROUP BY m.id",
            (backend_id,),
        )
    )


def applications_per_server(db_name):
    """``{server (master) pid: journal rows}``."""
    return dict(
        harness.query(
            db_name,
            "SELECT server_pid, count(*) FROM hc_sys_probe_journal GROUP BY server_pid",
        )
    )
