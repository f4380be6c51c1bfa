from odoo import models


class HrDepartment(models.Model):
    _inherit = "hr.department"

    def _update_employee_manager(self, manager_id):
        """A new department manager becomes the manager of the department's employees, except
        of synced ones: their manager comes from the HRIS."""
        employees = self.env["hr.employee"]
        for department in self:
            employees |= self.env["hr.employee"].search(
                [
                    ("id", "!=", manager_id),
                    ("department_id", "=", department.id),
                    ("parent_id", "=", department.manager_id.id),
                    ("hc_sync_state", "!=", "synced"),
                ]
            )
        employees.write({"parent_id": manager_id})
