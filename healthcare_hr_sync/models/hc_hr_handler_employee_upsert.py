from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError

#: Only these paths of an ``employee.upsert`` are ever stored: SSN, date of birth, salary,
#: home address, bank data… are dropped before the message is written (DESIGN §2.5).
EMPLOYEE_ALLOWLIST = (
    "employee.external_id",
    "employee.first_name",
    "employee.last_name",
    "employee.work_email",
    "employee.work_phone",
    "employee.job_code",
    "employee.job_title",
    "employee.department_code",
    "employee.cost_center_code",
    "employee.location_code",
    "employee.manager_external_id",
    "employee.employment_type",
    "employee.agency_code",
    "employee.status",
    "employee.hire_date",
    "employee.roles",
    "employee.credentials[].type",
    "employee.credentials[].number",
    "employee.credentials[].issuer",
    "employee.credentials[].status",
    "employee.credentials[].expires_on",
)


def employee_ordering_key(external_id):
    """One employee's events are applied in order (all HR flows share this key)."""
    return f"employee:{external_id}" if external_id not in (None, "") else None


class HcHrHandlerEmployeeUpsert(models.AbstractModel):
    """``employee.upsert``: hire or update an employee by binding (DESIGN §4, Appendix A).

    Codes go through mappings (unknown → pending mapping + exception, re-processed once
    mapped), the manager through the manager's binding (not synced yet → the message
    waits and is released when the manager arrives). An event older than the last one
    applied to the employee is ignored as stale. Also provisions the user when the flow
    says so, and applies the credentials listed in the event.
    """

    _name = "hc.hr.handler.employee.upsert"
    _inherit = "hc.integration.handler"
    _description = "HR: employee upsert"
    _hc_allowlist = EMPLOYEE_ALLOWLIST

    @api.model
    def _hc_ordering_key(self, flow, payload):
        employee = payload.get("employee")
        return (
            employee_ordering_key(employee.get("external_id"))
            if isinstance(employee, dict)
            else None
        )

    @api.model
    def _hc_check_payload(self, flow, payload):
        """An NPI among the credentials that fails its check digit is refused (422)."""
        employee = payload.get("employee")
        credentials = employee.get("credentials") if isinstance(employee, dict) else None
        if not isinstance(credentials, list):
            return []
        return self.env["hc.hr.credential.type"]._hc_npi_errors(
            flow.backend_id,
            [(f"/employee/credentials/{index}", data) for index, data in enumerate(credentials)],
        )

    def _hc_process(self, message):
        payload = message.payload or {}
        data = payload.get("employee") or {}
        if not data.get("external_id"):
            raise BusinessError(self.env._("The event has no employee external id."))
        return self.env["hc.hr.sync"]._upsert_employee(message, data, message.occurred_at)
