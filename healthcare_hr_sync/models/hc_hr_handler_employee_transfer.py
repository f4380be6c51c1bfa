from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, StaleEventError
from odoo.addons.healthcare_integration_base.tools.payload import parse_iso_datetime

from .hc_hr_handler_employee_upsert import employee_ordering_key
from .hr_employee import EMPLOYEE_TYPE

TRANSFER_FIELDS = (
    "department_code",
    "manager_external_id",
    "cost_center_code",
    "location_code",
    "job_code",
)


class HcHrHandlerEmployeeTransfer(models.AbstractModel):
    """``employee.transfer``: department, manager, cost centre, location and job from an
    effective date. The message waits for its date (without blocking the employee's other
    events); the previous values stay in the employee's chatter (tracking).

    Stale check: a transfer counts as happening at ``max(occurred_at, effective date)``.
    Applied at its date, it is newer than an upsert that occurred before that date, so it
    is not rejected because such an upsert arrived meanwhile; an upsert that occurred after
    the effective date already carries the new situation and makes the transfer stale.
    """

    _name = "hc.hr.handler.employee.transfer"
    _inherit = "hc.integration.handler"
    _description = "HR: employee transfer (effective-dated)"
    _hc_allowlist = ("employee_external_id", "effective_date") + TRANSFER_FIELDS

    @api.model
    def _hc_ordering_key(self, flow, payload):
        return employee_ordering_key(payload.get("employee_external_id"))

    @api.model
    def _hc_effective_date(self, flow, payload):
        return parse_iso_datetime(payload.get("effective_date"))

    def _hc_process(self, message):
        payload = message.payload or {}
        sync = self.env["hc.hr.sync"]
        backend = message.backend_id
        external_id = str(payload.get("employee_external_id") or "")
        if not external_id:
            raise BusinessError(self.env._("The transfer names no employee."))
        bindings = self._hc_binding()
        employee = bindings._require(backend, EMPLOYEE_TYPE, external_id, message)
        binding = bindings._find_binding(backend, EMPLOYEE_TYPE, external_id)
        if binding.detached:
            sync._audit_detached(message, employee)
            return None
        event_at = sync._event_time(message)
        if binding._is_stale(event_at):
            raise StaleEventError(
                self.env._(
                    "The employee received a more recent event than this transfer's effective date."
                )
            )
        if not employee.active or employee.hc_hris_status == "terminated":
            raise BusinessError(
                self.env._(
                    "The HRIS transferred an employee who is terminated in Odoo. Check the "
                    "employee's status in the HRIS (a rehire comes as an employee update)."
                ),
                record=employee,
            )
        data = {key: payload[key] for key in TRANSFER_FIELDS if key in payload}
        values, _missing = sync._prepare_employee_values(backend, data, employee)
        changed = sync._changed_values(employee, values)
        if changed:
            previous_manager_user = {employee.id: employee.parent_id.user_id}
            jobs = employee.job_id | self.env["hr.job"].browse(changed.get("job_id") or [])
            with jobs._hc_counts_after_commit():
                employee._hc_hr_sync_env().sudo().write(
                    dict(sync._to_write(changed), hc_last_event_at=event_at)
                )
            if "parent_id" in changed:
                employee._hc_hr_sync_approvers(previous_manager_user)
        sync._audit(
            message,
            employee,
            "hr.employee.transfer",
            f"transfer effective {message.effective_at or message.occurred_at}: "
            + (", ".join(sorted(changed)) or "no change"),
        )
        employee._hc_hr_sync_access()
        bindings._bind(backend, EMPLOYEE_TYPE, external_id, employee, event_at)
        return employee
