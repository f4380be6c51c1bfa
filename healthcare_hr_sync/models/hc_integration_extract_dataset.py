from odoo import api, models
from odoo.tools import SQL

from odoo.addons.healthcare_integration_base.tools.extract_files import Column, Dataset

HR_HANDLERS = "hc.hr.handler.%"


# hc.integration.extract.dataset is a registry each addon extends in a file of its own.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationExtractDataset(models.AbstractModel):
    """HR events for the data warehouse: hires, transfers, terminations, credentials and
    summaries as the HR flows received them, with the employee they applied to as an id
    (its department and job as ids too). No name, e-mail, licence number or payload."""

    _inherit = "hc.integration.extract.dataset"

    @api.model
    def _hc_datasets(self):
        datasets = super()._hc_datasets()
        datasets["hr_events"] = self._hc_dataset_hr_events()
        return datasets

    @api.model
    def _hc_dataset_hr_events(self):
        """One row per message of an HR flow (cursor ``write_date``, as for messages)."""
        return Dataset(
            code="hr_events",
            label=self.env._("HR events"),
            table="hc_integration_message",
            cursor="write_date",
            columns=(
                Column("message_id", SQL("t.id"), "int"),
                Column("company_id", SQL("t.company_id"), "int"),
                Column("backend_code", SQL("b.code"), "str"),
                Column("flow_code", SQL("f.code"), "str"),
                Column("event_type", SQL("t.event_type"), "str"),
                Column("state", SQL("t.state"), "str"),
                Column("employee_id", SQL("emp.res_id"), "int"),
                Column("department_id", SQL("e.department_id"), "int"),
                Column("job_id", SQL("e.job_id"), "int"),
                Column("occurred_at", SQL("t.occurred_at"), "datetime"),
                Column("effective_at", SQL("t.effective_at"), "datetime"),
                Column("received_at", SQL("t.received_at"), "datetime"),
                Column("finished_at", SQL("t.finished_at"), "datetime"),
                Column("updated_at", SQL("t.write_date"), "datetime"),
            ),
            joins=SQL(
                "JOIN hc_integration_flow f ON f.id = t.flow_id "
                "LEFT JOIN hc_integration_backend b ON b.id = t.backend_id "
                "LEFT JOIN LATERAL (SELECT l.res_id FROM hc_integration_message_link l "
                "WHERE l.message_id = t.id AND l.res_model = 'hr.employee' "
                "ORDER BY l.id LIMIT 1) emp ON TRUE "
                "LEFT JOIN hr_employee e ON e.id = emp.res_id"
            ),
            where=SQL("f.handler_model LIKE %s", HR_HANDLERS),
            company=SQL("t.company_id"),
        )
