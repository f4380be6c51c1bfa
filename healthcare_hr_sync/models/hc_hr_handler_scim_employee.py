from odoo import models


class HcHrHandlerScimEmployee(models.AbstractModel):
    """``employee.upsert`` queued by the SCIM endpoint: exactly the HRIS upsert (mappings,
    bindings, waits for the manager), then the SCIM user's account is linked to the
    employee. The employee's external id is the SCIM id."""

    _name = "hc.hr.handler.scim.employee"
    _inherit = "hc.hr.handler.employee.upsert"
    _description = "HR: employee from an identity platform (SCIM)"

    def _hc_process(self, message):
        records = super()._hc_process(message)
        if not records:
            return records
        employee = records[0]
        external_id = (message.payload or {}).get("employee", {}).get("external_id")
        scim_user = self.env["hc.hr.scim.user"]._hc_find(message.backend_id, external_id)
        if scim_user:
            if scim_user.employee_id != employee:
                scim_user.employee_id = employee
            if not employee.user_id:
                employee._hc_hr_sync_env().sudo().write({"user_id": scim_user.user_id.id})
            records = list(records) + [scim_user.user_id]
        return records
