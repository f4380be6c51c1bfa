from odoo import api, fields, models

from ..tools.scim_filter import ScimError
from .hr_employee import EMPLOYEE_TYPE

#: Enterprise attributes the HRIS owns on an employee synced from an HRIS.
HRIS_OWNED = ("employeeNumber", "costCenter", "department", "manager")

#: enterprise attribute → ``hc.hr.scim.user`` field (employees not synced from an HRIS)
ENTERPRISE_FIELDS = (
    ("employeeNumber", "employee_number"),
    ("costCenter", "cost_center"),
    ("department", "department"),
    ("manager", "manager_scim_id"),
)


class HcHrScimEmployee(models.AbstractModel):
    """The employee side of SCIM users (enterprise extension).

    ``employeeNumber`` naming an employee an HRIS syncs links the account to that
    employee, and the HRIS keeps owning its department, cost centre and manager. Any
    other user gets its employee through the backend's ``scim_employee`` flow: an
    ``employee.upsert`` on the queue, with the same mappings (unknown codes → pending
    mapping and exception), bindings and waits (a manager not synced yet) as the HRIS's.
    """

    _name = "hc.hr.scim.employee"
    _description = "SCIM users' employees"

    @api.model
    def _hc_scim_apply_enterprise(self, backend, record, enterprise, created=False):
        """Store or check the enterprise attributes; the names of those changed."""
        enterprise = enterprise or {}
        employee = (
            record.employee_id
            if record.hris_linked
            else self._hc_scim_hris_employee(backend, enterprise.get("employeeNumber"))
        )
        if employee:
            if not record.hris_linked:
                self._hc_scim_link_hris_employee(backend, record, employee)
            self._hc_scim_check_foreign(backend, record, enterprise)
            return {}
        values = {name: enterprise.get(key) or False for key, name in ENTERPRISE_FIELDS}
        if values["manager_scim_id"] == record.scim_id:
            raise ScimError(400, "A user cannot be their own manager.", "invalidValue")
        changed = self.env["hc.hr.scim"]._hc_scim_changed(record, values)
        if changed:
            record.write(changed)
        if created:
            self._hc_scim_queue_employee(backend, record)
        return changed

    @api.model
    def _hc_scim_link_hris_employee(self, backend, record, employee):
        employee = employee.sudo()
        if employee.user_id and employee.user_id != record.user_id:
            raise ScimError(
                409, "The employee of this employeeNumber already has an account.", "uniqueness"
            )
        if not employee.user_id:
            employee._hc_hr_sync_env().write({"user_id": record.user_id.id})
        record.write({"employee_id": employee.id, "hris_linked": True})
        # the SCIM id names this employee too: reports provisioned by SCIM find their manager
        self.env["hc.integration.binding"]._bind(backend, EMPLOYEE_TYPE, record.scim_id, employee)
        self.env["hc.hr.scim"]._hc_scim_audit(
            backend, record, "scim.user.linked", f"linked to HRIS employee #{employee.id}"
        )

    @api.model
    def _hc_scim_check_foreign(self, backend, record, enterprise):
        """A write to an attribute the HRIS owns: refused (``mutability``) or ignored,
        per the backend's setting; never applied."""
        current = record._hc_scim_enterprise()
        foreign = sorted(
            key
            for key in HRIS_OWNED
            if enterprise.get(key)
            and enterprise[key]
            != ((current.get(key) or {}).get("value") if key == "manager" else current.get(key))
        )
        if not foreign:
            return
        if backend.scim_foreign_attributes == "refuse":
            raise ScimError(
                400,
                "The HRIS owns these attributes of this employee: " + ", ".join(foreign) + ".",
                "mutability",
            )
        self.env["hc.hr.scim"]._hc_scim_audit(
            backend, record, "scim.user.ignored", "HRIS-owned ignored: " + ", ".join(foreign)
        )

    @api.model
    def _hc_scim_queue_employee(self, backend, record):
        """Queue the ``employee.upsert`` of a user not synced from an HRIS."""
        if record.hris_linked:
            return None
        flow = backend._hc_scim_employee_flow()
        if not flow:
            return None
        first = record.given_name or record.display_name_scim or record.user_name
        payload = {
            "event_type": "employee.upsert",
            "schema_version": "1.0",
            "occurred_at": fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "employee": {
                "external_id": record.scim_id,
                "first_name": first,
                "last_name": record.family_name or "",
                "work_email": self.env["hc.hr.scim"]._hc_scim_primary_email(record.emails) or "",
                "department_code": record.department or "",
                "cost_center_code": record.cost_center or "",
                "manager_external_id": record.manager_scim_id or "",
            },
        }
        message, _status = (
            self.env["hc.integration.message"]
            .sudo()
            ._hc_enqueue(flow, payload, external_id=f"scim:{record.scim_id}:{record.version}")
        )
        return message

    @api.model
    def _hc_scim_hris_employee(self, backend, number):
        """The employee an HRIS of the backend's company syncs under ``number``."""
        if not number:
            return self.env["hr.employee"]
        binding = (
            self.env["hc.integration.binding"]
            .sudo()
            .search(
                [
                    ("external_type", "=", EMPLOYEE_TYPE),
                    ("external_id", "=", number),
                    ("backend_id.backend_type", "=", "hris"),
                    ("backend_id.company_id", "=", backend.company_id.id),
                ],
                limit=1,
            )
        )
        return binding.record if binding else self.env["hr.employee"]
