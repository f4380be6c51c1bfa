from odoo import api, models


# pylint: disable=consider-merging-classes-inherited
class HcHrSync(models.AbstractModel):
    """An account an identity platform provisions through SCIM keeps its e-mail and login.

    The platform owns them (``hc_hr_scim_write``). An employee's work e-mail is its work
    contact's e-mail, which for an employee with a user is the user's own e-mail: an HRIS
    ``employee.upsert`` carrying another work e-mail would change the account behind the
    platform's back. For such an employee the HRIS's work e-mail is left out of the write
    (the rest of the event applies) and an audit line says so, without the addresses.
    The login is never written by an upsert after the user exists.
    """

    _inherit = "hc.hr.sync"

    @api.model
    def _keep_identity_owned(self, message, employee, values):
        if "work_email" not in values or not employee or not employee.sudo().user_id:
            return
        if message.backend_id.backend_type == "identity":
            return  # the platform's own employee flow (scim_employee)
        email, current = values["work_email"] or "", employee.sudo().work_email or ""
        if email == current or not self._scim_managed(employee):
            return
        del values["work_email"]
        if email.lower() == current.lower():
            return  # not even a new address: nothing to say
        self._audit(
            message,
            employee,
            "hr.employee.identity_owned",
            "work e-mail from the HRIS not applied: the account is provisioned by an "
            "identity platform (SCIM), which owns its e-mail and login",
        )

    @api.model
    def _scim_managed(self, employee):
        """Whether the employee's user is provisioned through SCIM."""
        return bool(
            self.env["hc.hr.scim.user"]
            .sudo()
            .search_count([("user_id", "=", employee.sudo().user_id.id)], limit=1)
        )
