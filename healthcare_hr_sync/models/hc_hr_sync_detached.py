from odoo import api, fields, models


class HcHrSync(models.AbstractModel):
    """Termination of an employee detached from the HRIS sync.

    Detaching protects the employee's HRIS fields from the sync, not the person's access:
    a termination is an access decision. The user is deactivated and its API keys revoked
    when the termination takes effect; the employee record stays as it is (archive it by
    hand). With the flow's ``hr_detached_leaver_policy`` = ``keep`` the termination is
    handled on arrival: an exception announces the revocation at the effective time, which
    the lifecycle cron carries out unless an Integration Manager keeps the access.
    """

    _inherit = "hc.hr.sync"

    @api.model
    def _terminate_detached(self, message, employee, payload):
        date = fields.Date.to_date(payload.get("termination_date"))
        now = fields.Datetime.now()
        effective = now if payload.get("immediate") else employee._hc_hr_termination_at(date)
        policy = employee._hc_hr_settings()["detached_leaver_policy"]
        if policy == "keep" and effective > now:
            employee._hc_hr_schedule("hc_access_revoke_at", effective)
            self._audit(
                message,
                employee,
                "hr.access.revoke_scheduled",
                f"detached leaver: access kept until {effective} UTC",
            )
            consequence = self.env._(
                "Their access is kept until %(when)s (UTC), then revoked, unless an "
                "Integration Manager presses Keep access on the employee.",
                when=effective,
            )
        else:
            employee._hc_hr_schedule("hc_access_revoke_at", None)
            if employee.user_id:
                employee._hc_hr_revoke_user(
                    employee.user_id.sudo().with_context(active_test=False), "termination"
                )
            self._audit(
                message, employee, "hr.employee.terminated_detached", f"access revoked as of {date}"
            )
            consequence = self.env._("Their access was revoked.")
        self.env["hc.integration.exception"]._hc_hr_open_followup(
            message,
            "detached_leaver",
            self.env._("Detached employee terminated by the HRIS"),
            self.env._(
                "The HRIS terminated %(employee)s as of %(date)s. %(consequence)s The employee "
                "is detached from the sync, so the employee record was not changed: archive it "
                "by hand (or re-attach the employee), then mark this exception resolved.",
                employee=employee.name,
                date=date,
                consequence=consequence,
            ),
            record=employee,
        )
        return employee
