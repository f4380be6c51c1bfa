from odoo import api, models
from odoo.tools import SQL

from ..tools.extract_files import Column, Dataset


class HcIntegrationExtractDataset(models.AbstractModel):
    """The registry of what a governed extract may export.

    Each dataset is a fixed, minimum-necessary column list over one table: ids, codes,
    states, timestamps and amounts. Payloads, error texts, descriptions, notes, names and
    any identifier of a patient or member never appear. A column is added on purpose, by
    code, never by configuration: an Integration Manager chooses a dataset, not columns.

    Addons register theirs by extending :meth:`_hc_datasets` (the revenue-cycle addon adds
    its remittance analysis, the HR addon its HR events).
    """

    _name = "hc.integration.extract.dataset"
    _description = "Integration extract datasets"

    @api.model
    def _hc_datasets(self):
        """``{code: Dataset}`` of every registered dataset."""
        return {
            "messages": self._hc_dataset_messages(),
            "exceptions": self._hc_dataset_exceptions(),
        }

    @api.model
    def _hc_dataset(self, code):
        return self._hc_datasets().get(code)

    @api.model
    def _hc_dataset_messages(self):
        """One row per integration message: where it came from, what became of it, when.
        The cursor is ``write_date``: a message that changes state comes again in a later
        extract (the warehouse keeps the latest row per ``message_id``)."""
        return Dataset(
            code="messages",
            label=self.env._("Integration messages"),
            table="hc_integration_message",
            cursor="write_date",
            columns=(
                Column("message_id", SQL("t.id"), "int"),
                Column("company_id", SQL("t.company_id"), "int"),
                Column("backend_code", SQL("b.code"), "str"),
                Column("flow_code", SQL("f.code"), "str"),
                Column("direction", SQL("t.direction"), "str"),
                Column("event_type", SQL("t.event_type"), "str"),
                Column("schema_version", SQL("t.schema_version"), "str"),
                Column("state", SQL("t.state"), "str"),
                Column("attempts", SQL("t.attempts"), "int"),
                Column("error_class", SQL("t.error_class"), "str"),
                Column("trace_id", SQL("t.trace_id"), "str"),
                Column("occurred_at", SQL("t.occurred_at"), "datetime"),
                Column("received_at", SQL("t.received_at"), "datetime"),
                Column("started_at", SQL("t.started_at"), "datetime"),
                Column("finished_at", SQL("t.finished_at"), "datetime"),
                Column("updated_at", SQL("t.write_date"), "datetime"),
            ),
            joins=SQL(
                "LEFT JOIN hc_integration_backend b ON b.id = t.backend_id "
                "LEFT JOIN hc_integration_flow f ON f.id = t.flow_id"
            ),
            where=None,
            company=SQL("t.company_id"),
        )

    @api.model
    def _hc_dataset_exceptions(self):
        """One row per exception: its category and cause (mapping type and code), its
        state and times; never its texts (description, detail, resolution note)."""
        return Dataset(
            code="exceptions",
            label=self.env._("Integration exceptions"),
            table="hc_integration_exception",
            cursor="write_date",
            columns=(
                Column("exception_id", SQL("t.id"), "int"),
                Column("company_id", SQL("t.company_id"), "int"),
                Column("message_id", SQL("t.message_id"), "int"),
                Column("backend_code", SQL("b.code"), "str"),
                Column("flow_code", SQL("f.code"), "str"),
                Column("category", SQL("t.category"), "str"),
                Column("state", SQL("t.state"), "str"),
                Column("mapping_type", SQL("m.mapping_type"), "str"),
                Column("mapping_code", SQL("m.external_code"), "str"),
                Column("occurrence_count", SQL("t.occurrence_count"), "int"),
                Column("created_at", SQL("t.create_date"), "datetime"),
                Column("last_occurred_at", SQL("t.last_occurred_at"), "datetime"),
                Column("updated_at", SQL("t.write_date"), "datetime"),
            ),
            joins=SQL(
                "LEFT JOIN hc_integration_backend b ON b.id = t.backend_id "
                "LEFT JOIN hc_integration_flow f ON f.id = t.flow_id "
                "LEFT JOIN hc_integration_mapping m ON m.id = t.mapping_id"
            ),
            where=None,
            company=SQL("t.company_id"),
        )
