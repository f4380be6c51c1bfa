"""Fixtures of the system tests: a template database built once per session, a fresh copy
per test module, and Odoo servers stopped at the end of the module.

These tests run in the same pytest session as the addon tests (``make test``), where
pytest-odoo has loaded the registry of the test database: nothing here uses it. Odoo is
never imported; servers, installs and scripts are subprocesses (see ``harness.py``).
When a test fails, the tail of every server log of its module is added to the report.
"""

import shutil

import pytest

from . import harness

_MODULE_SERVERS = []


@pytest.fixture(scope="session")
def hc_workdir(tmp_path_factory):
    """Configuration files, logs and filestores of the session's servers."""
    path = tmp_path_factory.mktemp("hc_system")
    yield path
    shutil.rmtree(path / "data", ignore_errors=True)  # filestores; logs are kept


@pytest.fixture(scope="session")
def hc_template_db(hc_workdir):
    """A database with ``healthcare_integration_base`` installed (no demo), copied by
    :func:`hc_database` for each module; dropped at the end of the session."""
    name = harness.unique_name(harness.DB_PREFIX + "tpl_")
    try:
        harness.install_database(name, hc_workdir)
        yield name
    finally:
        harness.drop_database(name, data_dir=hc_workdir / "data")


@pytest.fixture(scope="module")
def hc_database(hc_template_db, hc_workdir):
    """A fresh database for this test module (``hc_sys_<8 hex>``, prefix
    ``HC_SYS_DB_PREFIX``), dropped afterwards."""
    name = harness.unique_name(harness.DB_PREFIX)
    harness.copy_database(hc_template_db, name, hc_workdir / "data")
    try:
        yield name
    finally:
        harness.drop_database(name, data_dir=hc_workdir / "data")


@pytest.fixture(scope="module")
def hc_server_factory(hc_workdir):
    """``make(db_name, **options)`` → a configured, not yet started :class:`OdooServer`.

    Every server made here is stopped (SIGTERM, then SIGKILL) at the end of the module.
    """
    made = []

    def make(db_name, **options):
        server = harness.OdooServer(db_name, hc_workdir, **options)
        made.append(server)
        _MODULE_SERVERS.append(server)
        return server

    yield make
    for server in made:
        server.stop()
    _MODULE_SERVERS.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and "tests/system" in str(item.path).replace("\\", "/"):
        for server in _MODULE_SERVERS:
            report.sections.append((f"Odoo server {server.name}", server.log_tail(120)))
