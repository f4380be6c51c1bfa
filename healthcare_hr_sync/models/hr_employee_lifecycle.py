import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.mail.models.mail_mail import MailDeliveryException

from ..tools.local_time import end_of_day_utc, start_of_day_utc
from .hr_employee import MANAGER_GROUP

_logger = logging.getLogger(__name__)
LIFECYCLE_CRON = "healthcare_hr_sync.ir_cron_hr_lifecycle"


class HrEmployee(models.Model):
    """Dated access decisions: a future hire's user starts on the hire date, a detached
    leaver's access may be kept until the termination takes effect. Both are moments in
    UTC stored on the employee and applied by one cron (also triggered at the moment)."""

    _inherit = "hr.employee"

    hc_access_starts_at = fields.Datetime(
        string="Access starts",
        readonly=True,
        copy=False,
        index=True,
        help="Future hire: the user stays disabled and uninvited until this moment (the "
        "start of the hire date in the company's time zone).",
        groups="hr.group_hr_user",
    )
    hc_access_revoke_at = fields.Datetime(
        string="Access revoked at",
        readonly=True,
        copy=False,
        index=True,
        help="Detached leaver kept by the HR flow's setting: access is revoked at this "
        "moment unless an Integration Manager keeps it.",
        groups="hr.group_hr_user",
    )

    # ------------------------------------------------------------------------------------
    # Time zones
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_hr_company_tz(self, company):
        """The company's time zone: its working-time calendar's, else its address's."""
        company = company.sudo()
        return company.resource_calendar_id.tz or company.partner_id.tz or "UTC"

    def _hc_hr_tz(self):
        """The employee's time zone, else the company's."""
        self.ensure_one()
        return self.sudo().tz or self._hc_hr_company_tz(self.company_id)

    def _hc_hr_start_at(self):
        """When a future hire's access starts (None when the hire date has come)."""
        self.ensure_one()
        return self._hc_hr_start_at_of(self.sudo().hc_hire_date, self.company_id)

    @api.model
    def _hc_hr_start_at_of(self, hire_date, company):
        """The start of ``hire_date`` in ``company``'s time zone if still to come."""
        if not hire_date:
            return None
        start = start_of_day_utc(fields.Date.to_date(hire_date), self._hc_hr_company_tz(company))
        return start if start > fields.Datetime.now() else None

    def _hc_hr_termination_at(self, date):
        """When a termination dated ``date`` takes effect: the end of that day locally."""
        self.ensure_one()
        return end_of_day_utc(date, self._hc_hr_tz())

    def _hc_hr_schedule(self, field_name, moment):
        """Store ``moment`` and wake the lifecycle cron then (the hourly run is the net)."""
        if self.sudo()[field_name] != (moment or False):
            self._hc_hr_sync_env().sudo().write({field_name: moment or False})
        if moment:
            cron = self.env.ref(LIFECYCLE_CRON, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger(at=moment)

    # ------------------------------------------------------------------------------------
    # The cron
    # ------------------------------------------------------------------------------------
    @api.model
    def _cron_hc_hr_lifecycle(self):
        """Start the users of hires whose date has come; revoke the access of detached
        leavers whose termination took effect and that no manager kept."""
        now = fields.Datetime.now()
        employees = self.sudo().with_context(active_test=False)
        for employee in employees.search([("hc_access_starts_at", "<=", now)]):
            employee._hc_hr_start_access()
        for employee in employees.search([("hc_access_revoke_at", "<=", now)]):
            employee._hc_hr_revoke_kept_access()

    def _hc_hr_start_access(self):
        """The hire date has come: enable the user (per status, credentials and
        policies) and send the invitation the creation held back."""
        self.ensure_one()
        self._hc_hr_sync_env().write({"hc_access_starts_at": False})
        self._hc_hr_sync_access()
        user = self.user_id.sudo()
        settings = self._hc_hr_settings()
        self.env["hc.integration.audit"]._log(
            "hr.user.started",
            f"employee #{self.id}: hire date reached, user #{user.id or 0} "
            f"{'enabled' if user.active else 'still disabled'}",
            record=self,
            backend=self.hc_backend_id,
        )
        if (
            user.active
            and self.hc_user_managed
            and settings["invitation"] == "invite"
            and not self.env.context.get("no_reset_password")
            and not user.login_date
        ):
            try:
                user.with_context(create_user=True)._action_reset_password(signup_type="signup")
            except MailDeliveryException:
                _logger.warning("Invitation of user #%s could not be sent", user.id)

    def _hc_hr_revoke_kept_access(self):
        self.ensure_one()
        self._hc_hr_sync_env().write({"hc_access_revoke_at": False})
        if self.user_id:
            self._hc_hr_revoke_user(
                self.user_id.sudo().with_context(active_test=False), "termination"
            )

    def action_hc_keep_access(self):
        """An Integration Manager overrides the scheduled revocation of a detached
        leaver: the access stays (audited); the exception says so."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only Integration Managers can keep a leaver's access."))
        self.check_access("write")
        todo = self.sudo().filtered("hc_access_revoke_at")
        if not todo:
            raise UserError(self.env._("No revocation of access is scheduled."))
        for employee in todo:
            employee._hc_hr_sync_env().write({"hc_access_revoke_at": False})
            self.env["hc.integration.audit"]._log(
                "hr.access.kept",
                f"employee #{employee.id}: scheduled revocation cancelled by user #{self.env.uid}",
                record=employee,
                backend=employee.hc_backend_id,
                actor_type="user",
            )
            employee.message_post(
                body=self.env._(
                    "Access kept by %s (termination of a detached employee).", self.env.user.name
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True
