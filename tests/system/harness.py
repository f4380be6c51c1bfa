"""Real Odoo server processes for the system tests and the benchmarks.

Nothing here imports Odoo: servers, installs and seeding scripts run in subprocesses, the
database is read with psycopg2 and requests are signed with the base addon's pure-Python
Standard Webhooks helper, loaded by file path. Everything a run creates (databases named
``hc_sys_…``/``hc_bench_…``, a temporary directory with configuration, logs and filestore)
is removed by the caller through :func:`drop_database` and :meth:`OdooServer.stop`.

Typical use::

    workdir = tempfile.mkdtemp(prefix="hc_sys_")
    install_database("hc_sys_1234abcd", workdir)
    server = OdooServer("hc_sys_1234abcd", workdir, workers=2, max_cron_threads=1)
    server.run_script(seed_sample_flow_script(...))
    server.start()
    ...
    server.stop()
    drop_database("hc_sys_1234abcd")
"""

import base64
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg2
import requests
from psycopg2 import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_ADDON = "healthcare_integration_base"
PYTHON = sys.executable
#: The demo-only key of the Makefile, used when HC_INTEGRATION_KEY is not set.
DEMO_INTEGRATION_KEY = "ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q="
#: The demo-only audit chain key of the Makefile, used when HC_AUDIT_KEY is not set.
DEMO_AUDIT_KEY = "demo-only-audit-key-do-not-use-in-production"
SAMPLE_HANDLER = "hc.integration.handler.sample"
#: Odoo ids of the processing crons (lane 1) and the maintenance cron.
LANE_CRON_XMLID = ("healthcare_integration_base", "ir_cron_process_queue")
MAINTENANCE_CRON_XMLID = ("healthcare_integration_base", "ir_cron_maintenance")
#: ``lease_owner`` of a claimed message is ``host:pid:lane:nonce``.
LEASE_OWNER_RE = re.compile(r"^[^:]*:(\d+):\d+:")
#: A launcher instead of ``python3 -m odoo``: in prefork mode Odoo re-executes
#: ``sys.argv[0]`` for its gevent process, and ``odoo/__main__.py`` cannot run as a script
#: (the master would respawn a failing gevent process in a tight loop).
LAUNCHER = "import odoo.cli\nodoo.cli.main()\n"
#: Prefix of the databases the system tests create (``HC_SYS_DB_PREFIX``: another
#: prefix, e.g. when several people share one PostgreSQL).
DB_PREFIX = os.environ.get("HC_SYS_DB_PREFIX") or "hc_sys_"
#: Prefix of the benchmarks' databases (``HC_BENCH_DB_PREFIX``).
BENCH_PREFIX = os.environ.get("HC_BENCH_DB_PREFIX") or "hc_bench_"
#: ``HC_SYS_PORTS=18600-18699``: the servers take their ports from this range only.
PORT_RANGE = os.environ.get("HC_SYS_PORTS") or ""


class HarnessError(RuntimeError):
    """A server, an install or a script did not do what the harness asked."""


def integration_key():
    return os.environ.get("HC_INTEGRATION_KEY") or DEMO_INTEGRATION_KEY


def audit_key():
    return os.environ.get("HC_AUDIT_KEY") or DEMO_AUDIT_KEY


def unique_name(prefix):
    """``<prefix><8 hex>``, e.g. ``hc_sys_1a2b3c4d``."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def free_port():
    """A TCP port free on 127.0.0.1 right now (in ``HC_SYS_PORTS`` when set)."""
    if PORT_RANGE:
        first, last = (int(part) for part in PORT_RANGE.split("-"))
        for port in range(first, last + 1):
            if port in _PORTS_TAKEN:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _PORTS_TAKEN.add(port)
            return port
        raise HarnessError(f"no free port in HC_SYS_PORTS={PORT_RANGE}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_PORTS_TAKEN = set()


def load_standard_webhooks():
    """The base addon's ``tools/standard_webhooks.py`` as a stand-alone module."""
    path = REPO_ROOT / BASE_ADDON / "tools" / "standard_webhooks.py"
    spec = importlib.util.spec_from_file_location("hc_standard_webhooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_until(predicate, timeout, interval=0.5, message="condition"):
    """Call ``predicate`` until it returns a truthy value (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message}: not reached within {timeout:.0f} s")
        time.sleep(interval)


def tail(path, lines=80):
    """The last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 200 * lines))
            text = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ----------------------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------------------
def pg_connect(dbname="postgres", autocommit=True, connect_timeout=5):
    """A psycopg2 connection with libpq defaults (socket, current role), like Odoo's."""
    conn = psycopg2.connect(dbname=dbname, connect_timeout=connect_timeout)
    conn.autocommit = autocommit
    return conn


def query(dbname, statement, params=None):
    """Run one statement in its own connection and return all rows (or [])."""
    with contextlib.closing(pg_connect(dbname)) as conn, conn.cursor() as cr:
        cr.execute(statement, params)
        return cr.fetchall() if cr.description else []


def scalar(dbname, statement, params=None):
    rows = query(dbname, statement, params)
    return rows[0][0] if rows else None


def database_exists(name):
    return bool(scalar("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", (name,)))


def create_database(name, template=None):
    """Create ``name``, as a copy of ``template`` if given (the template must be idle)."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    query("postgres", statement)


def drop_database(name, data_dir=None):
    """Drop ``name`` (connections are terminated) and its filestore under ``data_dir``."""
    if not name.startswith(("hc_sys_", "hc_bench_", DB_PREFIX, BENCH_PREFIX)):
        raise HarnessError(f"refusing to drop {name!r}: not a system-test database")
    query(
        "postgres", sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )
    if data_dir:
        shutil.rmtree(Path(data_dir) / "filestore" / name, ignore_errors=True)


def copy_database(template, name, data_dir):
    """Create ``name`` from ``template`` (database and filestore)."""
    create_database(name, template=template)
    source = Path(data_dir) / "filestore" / template
    if source.is_dir():
        shutil.copytree(source, Path(data_dir) / "filestore" / name)


def postgres_version():
    """The major version of the local cluster (the newest under /etc/postgresql)."""
    versions = sorted(
        (p.name for p in Path("/etc/postgresql").iterdir() if p.name.replace(".", "").isdigit()),
        key=lambda v: [int(x) for x in v.split(".")],
    )
    if not versions:
        raise HarnessError("no PostgreSQL cluster under /etc/postgresql")
    return versions[-1]


def pg_ctlcluster(action, version=None, timeout=60):
    """Run ``pg_ctlcluster <version> main <action>`` (start, stop, restart; stopping is
    in "fast" mode, pg_ctlcluster's default: open transactions are rolled back and
    clients disconnected at once)."""
    version = version or postgres_version()
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise HarnessError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")


def restart_postgres(timeout=60):
    """Restart the local cluster and wait until it answers; returns the seconds it took.

    A ``CHECKPOINT`` first leaves little for the shutdown checkpoint to write, which
    keeps the outage (for everything else on the machine too) short.
    """
    with contextlib.suppress(psycopg2.Error):
        query("postgres", "CHECKPOINT")
    started = time.monotonic()
    try:
        pg_ctlcluster("restart", timeout=timeout)
    finally:
        wait_for_postgres(timeout)
    return time.monotonic() - started


def wait_for_postgres(timeout=60):
    """Wait until the cluster accepts connections again."""

    def answers():
        try:
            conn = pg_connect("postgres", connect_timeout=2)
            with contextlib.closing(conn), conn.cursor() as cr:
                cr.execute("SELECT 1")
            return True
        except psycopg2.OperationalError:
            return False

    wait_until(answers, timeout, interval=0.2, message="PostgreSQL answering")


# ----------------------------------------------------------------------------------------
# Odoo processes
# ----------------------------------------------------------------------------------------
def _odoo_env():
    env = dict(os.environ)
    env["HC_INTEGRATION_KEY"] = integration_key()
    env["HC_AUDIT_KEY"] = audit_key()
    # the pytest session's own Odoo settings must not leak into the servers
    for name in ("ODOO_RC", "OPENERP_SERVER", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    return env


def _launcher(workdir):
    path = Path(workdir) / "odoo-launcher.py"
    if not path.exists():
        path.write_text(LAUNCHER)
    return str(path)


def install_database(db_name, workdir, addons=BASE_ADDON, timeout=600, addons_path=None):
    """Create ``db_name`` with ``addons`` installed, without demo data (``addons_path``:
    another path than the repository's, e.g. with the benchmarks' test-only addons)."""
    data_dir = Path(workdir) / "data"
    log_path = Path(workdir) / f"install-{db_name}.log"
    cmd = [
        PYTHON,
        _launcher(workdir),
        "-d",
        db_name,
        f"--addons-path={addons_path or REPO_ROOT}",
        f"--data-dir={data_dir}",
        "-i",
        addons,
        "--stop-after-init",
        "--no-http",
        "--without-demo=all",
        "--log-level=warn",
        f"--logfile={log_path}",
    ]
    done = subprocess.run(
        cmd,
        cwd=workdir,
        env=_odoo_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0 or not database_exists(db_name):
        raise HarnessError(
            f"installing {addons} into {db_name} failed ({done.returncode}):\n"
            f"{done.stderr[-3000:]}\n{tail(log_path, 60)}"
        )


class OdooServer:
    """One Odoo server (prefork: master, HTTP workers, cron workers; ``workers=0``: a
    threaded server, like ``make demo``) on a free port.

    The server runs in its own process group, serves exactly one database (``db_name``
    and ``dbfilter``), logs to ``<workdir>/<name>.log``. :meth:`stop` is idempotent.
    """

    def __init__(
        self,
        db_name,
        workdir,
        *,
        workers=2,
        max_cron_threads=1,
        limit_time_real=120,
        name=None,
        options=None,
        launcher=None,
    ):
        self.db_name = db_name
        self.launcher = str(launcher) if launcher else None
        self.workdir = Path(workdir)
        self.name = name or f"odoo-{db_name}"
        self.workers = workers
        self.max_cron_threads = max_cron_threads
        self.limit_time_real = limit_time_real
        self.options = dict(options or {})
        self.port = free_port()
        self.gevent_port = free_port()
        self.config_path = self.workdir / f"{self.name}.cfg"
        self.log_path = self.workdir / f"{self.name}.log"
        self.output_path = self.workdir / f"{self.name}.out"
        self.data_dir = self.workdir / "data"
        self.process = None
        self._write_config()

    # -- configuration -------------------------------------------------------------------
    def _write_config(self):
        options = {
            "db_name": self.db_name,
            "dbfilter": f"^{self.db_name}$",
            "list_db": "False",
            "addons_path": str(REPO_ROOT),
            "data_dir": str(self.data_dir),
            "http_interface": "127.0.0.1",
            "http_port": self.port,
            "gevent_port": self.gevent_port,
            "workers": self.workers,
            "max_cron_threads": self.max_cron_threads,
            "limit_time_real": self.limit_time_real,
            "limit_time_cpu": self.limit_time_real,
            "logfile": str(self.log_path),
            "log_level": "info",
            "without_demo": "all",
            "hc_integration_key": integration_key(),
            "hc_audit_key": audit_key(),
        }
        options.update(self.options)
        lines = ["[options]"] + [f"{key} = {value}" for key, value in options.items()]
        self.config_path.write_text("\n".join(lines) + "\n")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return self.base_url + path

    # -- life cycle ----------------------------------------------------------------------
    def start(self, timeout=90):
        """Start the server and wait until ``GET /web/health`` answers 200."""
        if self.running:
            return self
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(
                [PYTHON, self.launcher or _launcher(self.workdir), "-c", str(self.config_path)],
                cwd=self.workdir,
                env=_odoo_env(),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: stop() signals the whole tree
            )
        try:
            self.wait_healthy(timeout)
            if not self.workers:
                return self  # threaded: the cron threads live in the server process
            wait_until(
                lambda: len(self.worker_processes()) >= self.workers + self.max_cron_threads,
                timeout,
                interval=0.2,
                message=f"{self.name}: workers alive",
            )
        except Exception:
            self.stop()
            raise
        return self

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, timeout=60):
        def healthy():
            if self.process is not None and self.process.poll() is not None:
                raise HarnessError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                return requests.get(self.url("/web/health"), timeout=2).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_until(healthy, timeout, interval=0.3, message=f"{self.name}: /web/health")
        except TimeoutError as error:
            raise HarnessError(f"{error}\n{self.log_tail()}") from None

    def stop(self, timeout=20):
        """Stop the server: SIGTERM to the master (graceful: it lets its workers finish
        their request), a second SIGTERM after half of ``timeout`` (Odoo's forced
        shutdown), then SIGKILL to whatever is left of the process group."""
        if self.process is None:
            return
        pgid = self.process.pid
        for _attempt in range(2):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout / 2)
            if self.process.poll() is not None:
                break
        # whatever is left of the group (workers of a master killed hard, gevent…)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.process = None

    # -- introspection -------------------------------------------------------------------
    def master(self):
        return psutil.Process(self.process.pid) if self.running else None

    def worker_processes(self):
        """The master's children, without the gevent process."""
        master = self.master()
        if master is None:
            return []
        children = []
        for child in master.children():
            with contextlib.suppress(psutil.Error):
                if "gevent" not in child.cmdline():
                    children.append(child)
        return children

    def worker_pids(self):
        return {process.pid for process in self.worker_processes()}

    def log_tail(self, lines=80):
        parts = []
        output = tail(self.output_path, 20)
        if output:
            parts.append(f"--- {self.output_path.name} ---\n{output}")
        parts.append(
            f"--- {self.log_path.name} (last {lines} lines) ---\n{tail(self.log_path, lines)}"
        )
        return "\n".join(parts)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- scripts -------------------------------------------------------------------------
    def run_script(self, code, timeout=300):
        """Run ``code`` in ``odoo shell`` on this server's database and commit.

        The code sees ``env`` (superuser) and sets ``result`` to something JSON-serialisable,
        which is returned. Works whether or not the server is running.
        """
        marker = "HC_SCRIPT_RESULT "
        program = (
            "import json\nresult = None\n"
            + textwrap.dedent(code)
            + f"\nenv.cr.commit()\nprint({marker!r} + json.dumps(result, default=str))\n"
        )
        cmd = [
            PYTHON,
            _launcher(self.workdir),
            "shell",
            "-c",
            str(self.config_path),
            "--no-http",
            f"--logfile={self.workdir / (self.name + '-shell.log')}",
            "--log-level=warn",
        ]
        done = subprocess.run(
            cmd,
            input=program,
            cwd=self.workdir,
            env=_odoo_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        for line in done.stdout.splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker) :])
        raise HarnessError(
            f"odoo shell script failed ({done.returncode}):\n{done.stderr[-4000:]}\n"
            f"{tail(self.workdir / (self.name + '-shell.log'), 40)}"
        )

    # -- crons ---------------------------------------------------------------------------
    def trigger_cron(self, xmlid):
        """Ask the cron workers to run a cron now: ``ir.cron._trigger()`` in plain SQL.

        Like Odoo's ``_notifydb``, the wake-up goes to the ``postgres`` database, where
        the cron workers LISTEN (notifications are local to a database).
        """
        module, name = xmlid
        query(
            self.db_name,
            """
            INSERT INTO ir_cron_trigger (cron_id, call_at, create_date, write_date)
            SELECT d.res_id, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC'
              FROM ir_model_data d
             WHERE d.module = %s AND d.name = %s AND d.model = 'ir.cron'
            """,
            (module, name),
        )
        query("postgres", "SELECT pg_notify('cron_trigger', %s)", (self.db_name,))


# ----------------------------------------------------------------------------------------
# Seeding
# ----------------------------------------------------------------------------------------
def seed_sample_flow_script(
    backend_code, flow_code, webhook_secret, *, params=None, flow_values=None
):
    """Code for :meth:`OdooServer.run_script`: a backend with a signing secret, a realtime
    flow on the sample handler, and ``hc_integration.<name>`` parameters. The result is
    ``{"backend_id", "flow_id"}``."""
    flow_values = dict(flow_values or {})
    return f"""
backend = env["hc.integration.backend"].create({{
    "name": "System test backend {backend_code}",
    "code": {backend_code!r},
    "backend_type": "other",
    "auth_kind": "none",
}})
backend.webhook_secret = {webhook_secret!r}
assert backend._get_webhook_secrets(), "the webhook secret was not stored"
values = {{
    "name": "System test flow {flow_code}",
    "code": {flow_code!r},
    "backend_id": backend.id,
    "direction": "inbound",
    "payload_format": "json",
    "sync_mode": "realtime",
    "handler_model": {SAMPLE_HANDLER!r},
    "event_type": "contact.upsert",
    "schema_versions": "1.0",
}}
values.update({flow_values!r})
flow = env["hc.integration.flow"].create(values)
for name, value in {dict(params or {})!r}.items():
    env["ir.config_parameter"].sudo().set_param("hc_integration." + name, value)
# Odoo's own crons (auto-vacuum, digests…) take seconds of their own at their first run:
# out of the way, so that the rounds hold the engine's work alone (issue 13)
import datetime
others = env["ir.cron"].search([]).filtered(
    lambda cron: not cron.model_id.model.startswith("hc.integration"))
others.write({{"nextcall": datetime.datetime.now() + datetime.timedelta(days=1)}})
result = {{"backend_id": backend.id, "flow_id": flow.id}}
"""


def contact_event(run, number, **extra):
    """A sample-handler event: upsert of contact ``<run>-<number>``."""
    event = {
        "event_type": "contact.upsert",
        "schema_version": "1.0",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "contact": {"external_id": f"{run}-{number}", "name": f"hc-sys {run} {number}"},
    }
    event.update(extra)
    return event


def enqueue_script(flow_id, run, count, *, extra=None, chunk=500):
    """Code for :meth:`OdooServer.run_script`: enqueue ``count`` sample events through
    ``_hc_enqueue`` (committed every ``chunk``). The result is the list of message ids."""
    return f"""
import time
flow = env["hc.integration.flow"].browse({flow_id})
ids = []
for number in range({count}):
    event = {{
        "event_type": "contact.upsert",
        "schema_version": "1.0",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "contact": {{"external_id": "{run}-%d" % number, "name": "hc-sys {run} %d" % number}},
    }}
    event.update({dict(extra or {})!r})
    message, status = env["hc.integration.message"]._hc_enqueue(
        flow, event, external_id="{run}-evt-%d" % number)
    assert status == "created", status
    ids.append(message.id)
    if len(ids) % {chunk} == 0:
        env.cr.commit()
result = ids
"""


BULK_INSERT_SQL = """
INSERT INTO hc_integration_message (
    backend_id, flow_id, company_id, direction, external_id, content_hash, ordering_key,
    event_type, schema_version, payload, state, priority, attempts, next_attempt_at,
    received_at, trace_id, create_uid, write_uid, create_date, write_date)
SELECT f.backend_id, f.id, f.company_id, 'inbound', %(prefix)s || '-evt-' || g, md5(g::text),
       'contact:' || %(prefix)s || '-' || g, 'contact.upsert', '1.0',
       jsonb_build_object('event_type', 'contact.upsert', 'schema_version', '1.0',
                          'occurred_at', '2026-01-01T00:00:00Z', 'contact',
                          jsonb_build_object('external_id', %(prefix)s || '-' || g,
                                             'name', 'hc-sys ' || %(prefix)s || ' ' || g))
         || %(extra)s::jsonb,
       'pending', f.priority, 0,
       now() AT TIME ZONE 'UTC' - interval '1 second',
       now() AT TIME ZONE 'UTC' - interval '1 second',
       md5('trace' || g), 1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
  FROM generate_series(%(first)s, %(last)s) AS g, hc_integration_flow f
 WHERE f.id = %(flow_id)s
"""


def bulk_insert_messages(db_name, flow_id, prefix, first, last, extra=None):
    """Insert pending sample events ``first``..``last`` of flow ``flow_id`` in one SQL
    statement, as ``_hc_enqueue`` would store them (event ids ``<prefix>-evt-<n>``,
    contacts ``<prefix>-<n>``), without audit entries: for large backlogs."""
    query(
        db_name,
        BULK_INSERT_SQL,
        {
            "prefix": prefix,
            "first": first,
            "last": last,
            "flow_id": flow_id,
            "extra": json.dumps(extra or {}),
        },
    )


# ----------------------------------------------------------------------------------------
# Sending
# ----------------------------------------------------------------------------------------
class WebhookSender:
    """Signs and posts events to ``/healthcare/webhook/<backend>/<flow>``; thread safe
    (one ``requests.Session`` per thread)."""

    def __init__(self, base_url, backend_code, flow_code, secret, timeout=30):
        self.url = f"{base_url}/healthcare/webhook/{backend_code}/{flow_code}"
        self.secret = secret
        self.timeout = timeout
        self._local = threading.local()
        self._sw = load_standard_webhooks()

    @property
    def session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    @staticmethod
    def encode(event):
        return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()

    def post(self, event_id, body, timestamp=None):
        """One signed POST of ``body`` (bytes). Returns the ``requests`` response."""
        headers = self._sw.sign_headers(self.secret, event_id, body, timestamp)
        headers["Content-Type"] = "application/json"
        return self.session.post(self.url, data=body, headers=headers, timeout=self.timeout)


def new_webhook_secret():
    """A random ``whsec_…`` secret."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def lease_owner_pid(owner):
    """The worker pid in a ``lease_owner`` value, or None."""
    match = LEASE_OWNER_RE.match(owner or "")
    return int(match.group(1)) if match else None


# ----------------------------------------------------------------------------------------
# Outcome checks
# ----------------------------------------------------------------------------------------
def state_counts(db_name, backend_id):
    """``{state: count}`` of a backend's messages."""
    return dict(
        query(
            db_name,
            "SELECT state, count(*) FROM hc_integration_message WHERE backend_id = %s "
            "GROUP BY state",
            (backend_id,),
        )
    )


def wait_all_done(server, backend_id, count, timeout=240):
    """Wait until the backend's ``count`` messages are ``done``.

    Messages leased by a worker that died (killed, or cut off by a database restart) come
    back through the maintenance cron once their lease expires: it is triggered as soon as
    an expired lease is seen instead of waiting for its next minute.
    """

    def done():
        if state_counts(server.db_name, backend_id).get("done", 0) == count:
            return True
        expired = scalar(
            server.db_name,
            "SELECT count(*) FROM hc_integration_message WHERE backend_id = %s "
            "AND state = 'processing' AND lease_expires_at < now() AT TIME ZONE 'UTC'",
            (backend_id,),
        )
        if expired:
            server.trigger_cron(MAINTENANCE_CRON_XMLID)
        return False

    try:
        wait_until(done, timeout, 1, "all messages done")
    except TimeoutError as error:
        raise AssertionError(f"{error}: {state_counts(server.db_name, backend_id)}") from None


def assert_processed_once(db_name, backend_id, run, count):
    """Every message of the backend is ``done`` and was applied exactly once.

    The sample handler upserts contact ``hc-sys <run> <n>`` by binding; once means: one
    ``message.done`` transition per message in the audit log, one binding and one contact
    per event, one record link per message, no lease left behind.
    """
    assert state_counts(db_name, backend_id) == {"done": count}
    done_audits = query(
        db_name,
        "SELECT m.id, count(a.id) FROM hc_integration_message m "
        "LEFT JOIN hc_integration_audit a "
        "  ON a.message_id = m.id AND a.action = 'message.done' "
        "WHERE m.backend_id = %s GROUP BY m.id",
        (backend_id,),
    )
    twice = [message_id for message_id, n in done_audits if n != 1]
    assert len(done_audits) == count
    assert not twice, f"messages finished {len(twice)} times: {twice[:10]}"
    bindings = query(
        db_name,
        "SELECT count(*), count(DISTINCT external_id), count(DISTINCT res_id) "
        "FROM hc_integration_binding WHERE backend_id = %s AND res_model = 'res.partner'",
        (backend_id,),
    )[0]
    assert bindings == (count, count, count), f"bindings (all, ids, records): {bindings}"
    partners = query(
        db_name,
        "SELECT count(*), count(DISTINCT name) FROM res_partner WHERE name LIKE %s",
        (f"hc-sys {run} %",),
    )[0]
    assert partners == (count, count), f"contacts (all, distinct): {partners}"
    links = query(
        db_name,
        "SELECT count(*), count(DISTINCT l.message_id) FROM hc_integration_message_link l "
        "JOIN hc_integration_message m ON m.id = l.message_id WHERE m.backend_id = %s",
        (backend_id,),
    )[0]
    assert links == (count, count), f"record links (all, messages): {links}"
    leased = scalar(
        db_name,
        "SELECT count(*) FROM hc_integration_message WHERE backend_id = %s "
        "AND (lease_owner IS NOT NULL OR lease_expires_at IS NOT NULL)",
        (backend_id,),
    )
    assert leased == 0, f"{leased} messages still hold a lease"


def attempts_histogram(db_name, backend_id):
    """``{attempts: messages}``: how many claims the messages needed."""
    return dict(
        query(
            db_name,
            "SELECT attempts, count(*) FROM hc_integration_message WHERE backend_id = %s "
            "GROUP BY attempts ORDER BY attempts",
            (backend_id,),
        )
    )
