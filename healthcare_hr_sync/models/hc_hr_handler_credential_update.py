from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError

from .hc_hr_handler_employee_upsert import employee_ordering_key
from .hr_employee import EMPLOYEE_TYPE


class HcHrHandlerCredentialUpdate(models.AbstractModel):
    """``credential.update``: a licence or certification of an employee (type, number,
    issuer, status, expiry). A lapse of a credential the job requires restricts access
    per the flow's policy and opens an exception; a renewal restores access (audited).
    An update for an employee not synced yet waits for the employee."""

    _name = "hc.hr.handler.credential.update"
    _inherit = "hc.integration.handler"
    _description = "HR: credential update"
    _hc_allowlist = (
        "employee_external_id",
        "credential.type",
        "credential.number",
        "credential.issuer",
        "credential.status",
        "credential.expires_on",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        return employee_ordering_key(payload.get("employee_external_id"))

    @api.model
    def _hc_check_payload(self, flow, payload):
        """An NPI that fails its check digit is refused at the door (422)."""
        return self.env["hc.hr.credential.type"]._hc_npi_errors(
            flow.backend_id, [("/credential", payload.get("credential"))]
        )

    def _hc_process(self, message):
        payload = message.payload or {}
        sync = self.env["hc.hr.sync"]
        backend = message.backend_id
        external_id = str(payload.get("employee_external_id") or "")
        data = payload.get("credential") or {}
        if not external_id or not data.get("type") or not data.get("number"):
            raise BusinessError(
                self.env._("The credential update names no employee, type or number.")
            )
        bindings = self._hc_binding()
        employee = bindings._require(backend, EMPLOYEE_TYPE, external_id, message)
        if bindings._find_binding(backend, EMPLOYEE_TYPE, external_id).detached:
            sync._audit_detached(message, employee)
            return None
        credential = sync._upsert_credential(backend, employee, data, message.occurred_at)
        employee._hc_hr_sync_access()
        return [employee, credential]
