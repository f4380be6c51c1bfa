from datetime import datetime

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import (
    BusinessError,
    StaleEventError,
)

from ..tools.local_time import end_of_day_utc
from .hc_hr_handler_employee_upsert import employee_ordering_key
from .hr_employee import EMPLOYEE_TYPE


class HcHrHandlerEmployeeTerminate(models.AbstractModel):
    """``employee.terminate``: archive the employee with departure date and reason,
    deactivate the user and revoke its API keys in the same transaction.

    A termination takes effect at the end of its day in the employee's time zone (else the
    company's), so the last working day is whole; it waits for that moment. ``"immediate":
    true`` (a dismissal) applies it at once. A later termination event of the same
    employee replaces one still waiting; the HRIS rescinds one with the same event and
    ``"rescinded": true`` (cancelled, audited). Terminating an unknown employee is an
    exception for HR, not a crash; terminating a detached one still revokes access (see
    ``hr_detached_leaver_policy``).
    """

    _name = "hc.hr.handler.employee.terminate"
    _inherit = "hc.integration.handler"
    _description = "HR: employee termination"
    _hc_allowlist = (
        "employee_external_id",
        "termination_date",
        "reason",
        "rescinded",
        "immediate",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        return employee_ordering_key(payload.get("employee_external_id"))

    @api.model
    def _hc_effective_date(self, flow, payload):
        """The end of the termination day, locally; None (at once) for a rescission, an
        immediate termination, or a detached leaver whose access the flow keeps (the
        exception announcing the revocation opens on arrival)."""
        if payload.get("rescinded") or payload.get("immediate"):
            return None
        try:
            date = fields.Date.to_date(payload.get("termination_date"))
        except (TypeError, ValueError):
            date = None
        if not date:
            return None  # refused by the schema; nothing to wait for
        employee, binding = self._hc_employee_of(flow.backend_id, payload)
        if not employee:
            return end_of_day_utc(date, self.env["hr.employee"]._hc_hr_company_tz(flow.company_id))
        if binding.detached and employee._hc_hr_settings()["detached_leaver_policy"] == "keep":
            return None
        return employee._hc_hr_termination_at(date)

    @api.model
    def _hc_employee_of(self, backend, payload):
        external_id = str(payload.get("employee_external_id") or "")
        binding = self._hc_binding()._find_binding(backend, EMPLOYEE_TYPE, external_id)
        return (binding.record.sudo() if binding else self.env["hr.employee"]), binding

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
        self._replace_waiting(message, external_id)
        if binding.detached:
            return self.env["hc.hr.sync"]._terminate_detached(message, employee, payload)
        event_at = sync._event_time(message)
        if binding._is_stale(event_at):
            raise StaleEventError(
                self.env._("The employee received a more recent event (e.g. a rehire).")
            )
        termination_date = fields.Date.to_date(payload.get("termination_date"))
        sync._terminate(message, employee, termination_date, payload.get("reason"))
        bindings._bind(backend, EMPLOYEE_TYPE, external_id, employee, event_at)
        return employee

    @staticmethod
    def _rank(message):
        """Which of two termination events is the later one."""
        return (message.occurred_at or datetime.min, message.id)

    def _waiting_terminations(self, message, external_id):
        """The other terminations of this employee not applied yet (rescissions aside)."""
        return (
            self.env["hc.integration.message"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", message.backend_id.id),
                    ("ordering_key", "=", employee_ordering_key(external_id)),
                    ("flow_id.handler_model", "=", self._name),
                    ("state", "in", ("pending", "retry", "waiting")),
                    ("id", "!=", message.id),
                ]
            )
            .filtered(lambda m: not (m.payload or {}).get("rescinded"))
        )

    def _replace_waiting(self, message, external_id):
        """The latest termination event of an employee is the one that counts: a later
        one still waiting (a postponement) makes this one void; earlier ones still waiting
        are cancelled (audited) in favour of this one."""
        waiting = self._waiting_terminations(message, external_id)
        if not waiting:
            return
        if any(self._rank(other) > self._rank(message) for other in waiting):
            raise StaleEventError(
                self.env._("A later termination event of this employee replaces this one.")
            )
        for replaced in waiting:
            replaced._hc_transition(
                "cancelled",
                summary=f"termination replaced by a later event ({message.external_id})",
                actor_type="backend",
                **replaced._hc_finish_values(),
            )

    def _rescind(self, message, employee, external_id):
        """Cancel the terminations of this employee still waiting for their date."""
        waiting = self._waiting_terminations(message, external_id)
        wanted_date = message.payload.get("termination_date")
        if wanted_date:
            matching = waiting.filtered(
                lambda m: (m.payload or {}).get("termination_date") == wanted_date
            )
            # with the one rescinded go those it replaced (earlier events still waiting)
            latest = max(matching, key=self._rank, default=None)
            waiting = waiting.filtered(lambda m: latest and self._rank(m) <= self._rank(latest))
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
