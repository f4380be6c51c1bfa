"""A PostgreSQL streaming replica of the local cluster, for the read-replica system test.

:class:`StreamingReplica` makes a second cluster with ``pg_basebackup -R`` (a base backup
that starts as a hot standby streaming from the primary) in a temporary directory, runs
it with ``pg_ctl`` on its own port and removes it afterwards. PostgreSQL refuses to run
as root: when the tests run as root, the data directory belongs to the ``postgres`` OS
user and every PostgreSQL program runs through ``runuser -u postgres --``.

The primary must accept replication connections from the local socket:
``wal_level = replica`` and ``max_wal_senders`` > 0 are PostgreSQL 15's defaults, but a
``pg_hba.conf`` without a ``replication`` line (``all`` does not cover replication)
refuses them. :func:`ensure_replication_hba` then appends ``local replication all trust``
(the same trust the local socket already has for every database) and reloads the
configuration; a reload, not a restart: connected clients are not disturbed. The line is
left in place (another run may be using it). Any step that fails raises
:class:`harness.HarnessError` with PostgreSQL's own words, so the test fails instead of
skipping.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from . import harness

HBA_LINES = (
    "# streaming replicas of the system tests (tests/system/replica.py)",
    "local replication all trust",
    "host replication all 127.0.0.1/32 trust",
)


def pg_bin(program):
    return str(Path("/usr/lib/postgresql") / harness.postgres_version() / "bin" / program)


def _as_cluster_owner(cmd):
    """``cmd`` run as ``postgres`` when we are root (PostgreSQL refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd, timeout=180):
    done = subprocess.run(
        _as_cluster_owner(cmd), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise harness.HarnessError(
            f"{' '.join(cmd)} failed ({done.returncode}): "
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    return done.stdout


def ensure_replication_hba():
    """Let local replication connections in (see the module docstring); True when the
    file had to be changed."""
    rules = harness.query(
        "postgres",
        "SELECT type FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
        "AND auth_method = 'trust' AND error IS NULL",
    )
    if any(kind == "local" for (kind,) in rules):
        return False
    hba_file = harness.scalar("postgres", "SHOW hba_file")
    with open(hba_file, "a") as handle:
        handle.write("\n" + "\n".join(HBA_LINES) + "\n")
    harness.query("postgres", "SELECT pg_reload_conf()")
    harness.wait_until(
        lambda: harness.query(
            "postgres",
            "SELECT 1 FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
            "AND type = 'local'",
        ),
        10,
        0.2,
        "pg_hba.conf reloaded",
    )
    return True


class StreamingReplica:
    """A hot standby of the local cluster on 127.0.0.1:``port``."""

    def __init__(self, port):
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="hc_sys_replica_"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "replica.log"
        self.running = False
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        os.chmod(self.root, 0o700)

    # -- life cycle ----------------------------------------------------------------------
    def create(self):
        """Base backup of the primary (fast checkpoint, WAL streamed alongside), written as
        a standby (``-R``: ``standby.signal`` and ``primary_conninfo``)."""
        ensure_replication_hba()
        socket_dir = harness.scalar("postgres", "SHOW unix_socket_directories").split(",")[0]
        primary_port = harness.scalar("postgres", "SHOW port")
        _run(
            [
                pg_bin("pg_basebackup"),
                "-h",
                socket_dir.strip(),
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(self.data_dir),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                # a throw-away copy: no fsync of what it writes (it took minutes on a busy disk)
                "--no-sync",
            ],
            timeout=300,
        )
        # the Debian layout keeps postgresql.conf and pg_hba.conf out of the data directory
        max_connections = harness.scalar("postgres", "SHOW max_connections")
        self._write(
            "postgresql.conf",
            f"port = {self.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.root}'\n"
            "hot_standby = on\n"
            # a hot standby needs at least the primary's number of connections
            f"max_connections = {max_connections}\n"
            "shared_buffers = 32MB\n"
            "autovacuum = off\n"
            # throw-away: without fsync, the start skips syncing the whole data directory
            "fsync = off\n"
            "full_page_writes = off\n",
        )
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")
        return self

    def _write(self, name, text):
        path = self.data_dir / name
        path.write_text(text)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(self, timeout=120):
        """Start the standby and wait until it accepts read-only connections."""
        _run(
            [
                pg_bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                str(timeout),
                "start",
            ],
            timeout=timeout + 10,
        )
        self.running = True
        harness.wait_until(lambda: self._answers_in_recovery(), timeout, 0.2, "replica in recovery")
        return self

    def _answers_in_recovery(self):
        try:
            return self.scalar("postgres", "SELECT pg_is_in_recovery()")
        except psycopg2.OperationalError:
            return False

    def stop(self):
        if self.running:
            with contextlib.suppress(harness.HarnessError):
                # immediate: no shutdown checkpoint, the directory is removed next
                _run([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
            self.running = False

    def destroy(self):
        """Stop the standby (at once: it is thrown away) and remove its directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines=40):
        return harness.tail(self.log_path, lines)

    # -- queries -------------------------------------------------------------------------
    def connect(self, dbname):
        conn = psycopg2.connect(dbname=dbname, host="127.0.0.1", port=self.port, connect_timeout=5)
        conn.autocommit = True
        return conn

    def query(self, dbname, statement, params=None):
        with contextlib.closing(self.connect(dbname)) as conn, conn.cursor() as cr:
            cr.execute(statement, params)
            return cr.fetchall() if cr.description else []

    def scalar(self, dbname, statement, params=None):
        rows = self.query(dbname, statement, params)
        return rows[0][0] if rows else None

    # -- replay --------------------------------------------------------------------------
    def wait_caught_up(self, timeout=60):
        """Wait until the standby has replayed what the primary has written so far."""
        target = harness.scalar("postgres", "SELECT pg_current_wal_lsn()::text")

        def replayed():
            return self.scalar(
                "postgres", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            )

        harness.wait_until(replayed, timeout, 0.1, "replica caught up")

    def pause_replay(self):
        """Stop applying WAL (it is still received): reads see the data as of now."""
        self.query("postgres", "SELECT pg_wal_replay_pause()")
        harness.wait_until(
            lambda: self.scalar("postgres", "SELECT pg_get_wal_replay_pause_state()") == "paused",
            30,
            0.1,
            "replay paused",
        )

    def resume_replay(self):
        self.query("postgres", "SELECT pg_wal_replay_resume()")

    def wait_streaming(self, timeout=60):
        """Wait until the standby's WAL receiver streams from the primary."""
        try:
            harness.wait_until(
                lambda: (
                    self.scalar("postgres", "SELECT status FROM pg_stat_wal_receiver")
                    == "streaming"
                ),
                timeout,
                0.2,
                "replica streaming",
            )
        except TimeoutError as error:
            raise harness.HarnessError(f"{error}\n{self.log_tail()}") from None
