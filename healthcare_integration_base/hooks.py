"""What uninstalling the engine must drop besides what Odoo drops by itself.

Odoo drops the tables and views of the addon's models (and with them their indexes and
triggers), but not what ``init()`` methods create with raw SQL outside them. Left behind,
the audit chain's head would outlive the audit table: a later install would seal its first
entry as position N + 1 of the old chain, and verification would report the new chain
broken ("entry #1 of the chain is missing").
"""

from odoo.tools import SQL

#: The plpgsql functions of ``init()`` methods (``CASCADE`` drops their triggers and the
#: traffic report's view with them; Odoo would drop those tables and views anyway).
FUNCTIONS = (
    "hc_integration_audit_guard",  # hc.integration.audit: append-only triggers
    "hc_integration_exception_cause_summary_apply",  # hc.integration.exception.cause.summary
    "hc_integration_traffic_live",  # hc.integration.traffic.report
)
#: Tables that belong to no model.
TABLES = ("hc_integration_audit_seal",)  # hc.integration.audit: the chain's head


def uninstall_hook(env):
    for name in FUNCTIONS:
        env.cr.execute(SQL("DROP FUNCTION IF EXISTS %s CASCADE", SQL.identifier(name)))
    for name in TABLES:
        env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))
