"""A real Odoo server whose PostgreSQL the test can take away (``PostgresProxy``), for
the tests of what the HTTP guard answers during an outage."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

from odoo.tools import config

from .http_common import TEST_KEY

ADDONS_PATH = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresProxy:
    """A TCP proxy in front of PostgreSQL that the test can cut: while it is cut, the
    server behind it sees exactly what a stopped database looks like (connections reset,
    new ones refused)."""

    def __init__(self):
        self.port = _free_port()
        host, port = config.get("db_host"), int(config.get("db_port") or 5432)
        socket_path = f"/var/run/postgresql/.s.PGSQL.{port}"
        if host:
            self.upstream = (socket.AF_INET, (host, port))
        elif os.path.exists(socket_path):
            self.upstream = (socket.AF_UNIX, socket_path)
        else:
            self.upstream = (socket.AF_INET, ("127.0.0.1", port))
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        """Refuse new connections and reset the open ones."""
        with self.lock:
            listener, self.listener = self.listener, None
            sockets, self.sockets = self.sockets, []
        if listener:
            # shutdown() wakes the thread blocked in accept(); close() alone would not
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            if listener is not self.listener:  # cut meanwhile
                client.close()
                return
            family, address = self.upstream
            upstream = socket.socket(family, socket.SOCK_STREAM)
            try:
                upstream.connect(address)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            return  # the test cut the connection: the pump simply stops
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class OutageServerMixin:
    """Starts and stops the Odoo server behind a :class:`PostgresProxy` (for a
    ``BaseCase``: cleanups, ``fail``)."""

    def start_server(self, selection_args):
        self.proxy = PostgresProxy()
        self.proxy.start()
        self.addCleanup(self.proxy.cut)
        port = _free_port()
        log_fd, log_name = tempfile.mkstemp(prefix="hc_unavailable_", suffix=".log")
        os.close(log_fd)
        self.addCleanup(os.unlink, log_name)
        command = [
            sys.executable,
            "-m",
            "odoo",
            "--addons-path",
            ADDONS_PATH,
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(port),
            "--db_host",
            "127.0.0.1",
            "--db_port",
            str(self.proxy.port),
            "--max-cron-threads",
            "0",
            "--log-level",
            "warn",
            "--logfile",
            log_name,
            *selection_args,
        ]
        if config.get("db_user"):
            command += ["--db_user", config["db_user"]]
        if config.get("db_password"):
            command += ["--db_password", config["db_password"]]
        env = dict(os.environ, HC_INTEGRATION_KEY=TEST_KEY)
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.addCleanup(self.stop_server, process)
        self.log_name = log_name
        self.base = f"http://127.0.0.1:{port}"
        self.wait_for(200)
        return process

    @staticmethod
    def stop_server(process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def wait_for(self, status, path="/healthcare/health", timeout=180):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = requests.get(self.base + path, timeout=10)
                if last.status_code == status:
                    return last
            except (requests.ConnectionError, requests.Timeout):
                # not listening yet, or still loading its registry on a busy machine
                last = None
            time.sleep(0.3)
        tail = self.server_log()[-3000:]
        self.fail(f"{path} never answered {status} (last: {last and last.status_code})\n{tail}")

    def server_log(self):
        with open(self.log_name, encoding="utf-8", errors="replace") as log:
            return log.read()
