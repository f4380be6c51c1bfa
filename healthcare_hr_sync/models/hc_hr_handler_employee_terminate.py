from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import (
    BusinessError,
    ConflictError,
    StaleEventError,
)
from odoo.addons.healthcare_integration_base.tools.payload import parse_iso_datetime

from .hc_hr_handler_employee_upsert import employee_ordering_key
from .hr_employee import EMPLOYEE_TYPE


class HcHrHandlerEmployeeTerminate(models.AbstractModel):
    """``employee.terminate``: archive the employee with departure date and reason,
    deactivate the user and revoke its API keys in the same transaction.

    A termination dated in the future waits for its date (access is cut at 00:00 UTC of the
    termination date). The HRIS rescinds it before then with the same event and
    ``"rescinded": true``: the waiting termination is cancelled (audited). Terminating an
    unknown employee is an exception for HR, not a crash.
    """

    _name = "hc.hr.handler.employee.terminate"
    _inherit = "hc.integration.handler"
    _description = "HR: employee termination"
    _hc_allowlist = ("employee_external_id", "termination_date", "reason", "rescinded")

    @api.model
    def _hc_ordering_key(self, flow, payload):
        return employee_ordering_key(payload.get("employee_external_id"))

    @api.model
    def _hc_effective_date(self, flow, payload):
        if payload.get("rescinded"):
            return None  # a rescission applies at once
        return parse_iso_datetime(payload.get("termination_date"))

    def _hc_process(self, message):
        payload = message.payload or {}
        sync = self.env["hc.hr.sync"]
        backend = message.backend_id
        external_id = str(payload.get("employee_external_id") or "")
        bindings = self._hc_binding()
        binding = bindings._find_binding(backend, EMPLOYEE_TYPE, external_id)
        employee = binding.record if binding else self.env["hr.employee"]
        if payload.get("rescinded"):
            return self._rescind(message, employee, external_id)
        if not employee:
            raise BusinessError(
                self.env._(
                    "The HRIS terminated the employee with HRIS ID %(external_id)s, who is not "
                    "synchronised with Odoo: nothing to revoke here. Check that the employee "
                    "was never onboarded (then ignore this exception) or onboard them first.",
                    external_id=external_id,
                ),
                category="validation",
            )
        if binding.detached:
            raise ConflictError(
                self.env._(
                    "The HRIS terminated an employee who is detached from the sync. Their "
                    "access was NOT revoked automatically: archive them and deactivate their "
                    "user by hand, or re-attach them and retry this message."
                ),
                record=employee,
            )
        event_at = sync._event_time(message)
        if binding._is_stale(event_at):
            raise StaleEventError(
                self.env._("The employee received a more recent event (e.g. a rehire).")
            )
        termination_date = fields.Date.to_date(payload.get("termination_date"))
        sync._terminate(message, employee, termination_date, payload.get("reason"))
        bindings._bind(backend, EMPLOYEE_TYPE, external_id, employee, event_at)
        return employee

    def _rescind(self, message, employee, external_id):
        """Cancel the terminations of this employee still waiting for their date."""
        messages = self.env["hc.integration.message"].sudo()
        waiting = messages.search(
            [
                ("backend_id", "=", message.backend_id.id),
                ("ordering_key", "=", employee_ordering_key(external_id)),
                ("flow_id.handler_model", "=", self._name),
                ("state", "in", ("pending", "retry", "waiting")),
                ("id", "!=", message.id),
            ]
        ).filtered(lambda m: not (m.payload or {}).get("rescinded"))
        wanted_date = message.payload.get("termination_date")
        if wanted_date:
            waiting = waiting.filtered(
                lambda m: (m.payload or {}).get("termination_date") == wanted_date
            )
        if waiting:
            for rescinded in waiting:
                rescinded._hc_transition(
                    "cancelled",
                    summary=f"termination rescinded by the HRIS (event {message.external_id})",
                    actor_type="backend",
                    **rescinded._hc_finish_values(),
                )
            return employee or None
        if employee and (not employee.active or employee.hc_hris_status == "terminated"):
            raise BusinessError(
                self.env._(
                    "The HRIS rescinded a termination that was already applied. If the person "
                    "stays, the HRIS must send them again as active (a rehire reactivates the "
                    "same employee)."
                ),
                record=employee,
            )
        if employee:
            self.env["hc.hr.sync"]._audit(
                message, employee, "hr.employee.rescind", "no waiting termination to rescind"
            )
        return employee or None
