from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError

from ..tools.npi import npi_problem


class HcHrSync(models.AbstractModel):
    """NPI check when a credential is applied, whichever flow brought it (employee upsert,
    credential update, FHIR practitioner). The webhook already refused invalid NPIs of the
    NPI types known at ingest; this catches a code mapped to an NPI type afterwards."""

    _inherit = "hc.hr.sync"

    @api.model
    def _upsert_credential(self, backend, employee, data, event_at):
        credential_type = self._credential_type(backend, data["type"])
        if credential_type.number_check == "npi" and npi_problem(str(data.get("number") or "")):
            raise BusinessError(
                self.env._(
                    "A credential of type %(type)s for employee #%(employee)s is not a valid "
                    "NPI (10 digits, the last one a check digit). Correct it in the source "
                    "system, then retry or cancel this message.",
                    type=credential_type.code,
                    employee=employee.id,
                ),
                record=employee,
            )
        return super()._upsert_credential(backend, employee, data, event_at)
