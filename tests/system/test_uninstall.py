"""Uninstalling the suite from Apps leaves nothing of it in the database, and installing
the engine again afterwards starts a new audit chain that verifies.

Odoo drops the tables and views of the addons' models by itself; the functions, the
chain's head table and the index on ``hr_employee`` that ``init()`` methods create with
raw SQL are the addons' own ``uninstall_hook``'s to drop. Each step runs in its own
``odoo shell``, as an administrator would click through Apps.
"""

import pytest

from . import harness

pytestmark = pytest.mark.system

SUITE = ("healthcare_integration_base", "healthcare_hr_sync", "healthcare_rcm_sync")

#: Everything named like the suite's objects: functions, and tables, views, indexes and
#: sequences (pg_class), and triggers.
LEFTOVERS_SQL = r"""
SELECT 'function ' || proname FROM pg_proc WHERE proname LIKE 'hc!_%' ESCAPE '!'
UNION ALL
SELECT 'relation ' || relname FROM pg_class WHERE relname LIKE 'hc!_%' ESCAPE '!'
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE 'hc!_%' ESCAPE '!'
ORDER BY 1
"""


@pytest.fixture(scope="module")
def suite_database(hc_workdir):
    """A database with the three addons installed, dropped afterwards."""
    name = harness.unique_name(harness.DB_PREFIX)
    try:
        harness.install_database(name, hc_workdir, addons=",".join(SUITE))
        yield name
    finally:
        harness.drop_database(name, data_dir=hc_workdir / "data")


def test_uninstall_leaves_nothing_and_a_new_install_has_an_intact_chain(
    suite_database, hc_server_factory
):
    shell = hc_server_factory(suite_database, name="uninstall")
    before = shell.run_script(
        f"""
audit = env["hc.integration.audit"]
audit._log("test.entry", "before uninstall")
sealed = audit._seal()
env.cr.commit()
env.cr.execute({LEFTOVERS_SQL!r})
objects = [row[0] for row in env.cr.fetchall()]
modules = env["ir.module.module"].search([("name", "in", {list(SUITE)!r})])
modules.button_immediate_uninstall()
result = {{"sealed": sealed, "objects": len(objects), "states": modules.mapped("state")}}
"""
    )
    # the chain's head has moved: a head left behind would break the next chain
    assert before["sealed"] >= 1
    assert before["objects"] > 50
    assert before["states"] == ["uninstalled"] * 3

    leftovers = shell.run_script(
        f"""
env.cr.execute({LEFTOVERS_SQL!r})
result = [row[0] for row in env.cr.fetchall()]
"""
    )
    assert leftovers == []

    again = shell.run_script(
        """
base = env["ir.module.module"].search([("name", "=", "healthcare_integration_base")])
base.button_immediate_install()
"""
    )
    assert again is None
    report = shell.run_script(
        """
audit = env["hc.integration.audit"]
audit._log("test.entry", "after a new install")
env.cr.commit()
report = audit._verify_chain()
result = {"ok": report.ok, "reason": report.reason, "checked": report.checked}
"""
    )
    assert report["ok"], report["reason"]
    assert report["checked"] >= 1
