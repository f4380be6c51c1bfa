from odoo import fields, models
from odoo.tools import SQL

#: Single-column indexes that a composite index already serves (its leading column):
#: ``backend_id`` by the unique (backend_id, external_id), ``flow_id`` by
#: (flow_id, received_at), ``ordering_key`` (only ever searched with its backend among
#: the active messages) by the partial ordering index.
REDUNDANT_MESSAGE_INDEXES = (
    "hc_integration_message__backend_id_index",
    "hc_integration_message__flow_id_index",
    "hc_integration_message__ordering_key_index",
)


def _recreate_if_full(cr, index_name):
    """Drop ``index_name`` when it still indexes NULLs; Odoo then creates it again
    ``btree_not_null`` (field indexes are created after the models' ``init``)."""
    cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (index_name,))
    row = cr.fetchone()
    if row and " WHERE " not in row[0]:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index_name)))


# The indexes a delivery maintains (message and audit INSERTs), in a file of their own.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMessage(models.Model):
    """Fewer indexes for every INSERT and state change of a message (issue 13).

    Each delivery inserts a message and each of its state changes writes a new row
    version; every index on the table is maintained each time. Redundant single-column
    indexes are dropped, and ``wait_key`` (set on waiting messages only) no longer
    indexes the NULL of every other message.
    """

    _inherit = "hc.integration.message"

    backend_id = fields.Many2one(index=False)
    flow_id = fields.Many2one(index=False)
    ordering_key = fields.Char(index=False)
    wait_key = fields.Char(index="btree_not_null")

    def init(self):
        result = super().init()
        for index_name in REDUNDANT_MESSAGE_INDEXES:
            self.env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index_name)))
        _recreate_if_full(self.env.cr, "hc_integration_message__wait_key_index")
        return result


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationAudit(models.Model):
    """An entry gets its chain position when it is sealed, later: the index of positions
    leaves out the entries not sealed yet (every new entry)."""

    _inherit = "hc.integration.audit"

    seal_seq = fields.Integer(index="btree_not_null")

    def init(self):
        result = super().init()
        _recreate_if_full(self.env.cr, "hc_integration_audit__seal_seq_index")
        return result
