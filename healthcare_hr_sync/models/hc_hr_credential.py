from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.npi import npi_problem
from .hr_employee import HRIS_SYNC

CREDENTIAL_STATUSES = [
    ("active", "Active"),
    ("pending", "Pending"),
    ("expired", "Expired"),
    ("suspended", "Suspended"),
    ("revoked", "Revoked"),
]
#: Fields the HRIS owns on credentials it sends.
HRIS_CREDENTIAL_FIELDS = {"employee_id", "type_id", "number", "issuer", "status", "expires_on"}


class HcHrCredential(models.Model):
    """A licence or certification held by an employee (from the HRIS or entered by HR).

    A credential is *valid* when its status is active and it has not expired. Changes of
    validity re-evaluate the employee's access at once (see
    ``hr.employee._hc_hr_sync_access``); the daily cron warns before expiry and restricts
    at expiry.
    """

    _name = "hc.hr.credential"
    _description = "Employee Credential"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "expires_on, id"
    _rec_name = "number"

    employee_id = fields.Many2one(
        "hr.employee", required=True, ondelete="cascade", index=True, tracking=True
    )
    company_id = fields.Many2one(related="employee_id.company_id", store=True, index=True)
    department_id = fields.Many2one(related="employee_id.department_id", store=True)
    type_id = fields.Many2one(
        "hc.hr.credential.type", required=True, ondelete="restrict", tracking=True
    )
    number = fields.Char(required=True, tracking=True)
    issuer = fields.Char(tracking=True)
    status = fields.Selection(
        CREDENTIAL_STATUSES, required=True, default="active", tracking=True, index=True
    )
    expires_on = fields.Date(tracking=True, index=True)
    source = fields.Selection(
        [("hris", "HRIS"), ("manual", "Entered in Odoo")],
        required=True,
        default="manual",
        readonly=True,
    )
    hc_last_event_at = fields.Datetime(
        string="Last HRIS event", readonly=True, copy=False, help="Older events are ignored."
    )
    is_valid = fields.Boolean(string="Valid", compute="_compute_validity")
    days_to_expiry = fields.Integer(compute="_compute_validity")
    is_required = fields.Boolean(
        string="Required by the job",
        compute="_compute_is_required",
        help="The employee's job requires a credential of this type.",
    )
    reminder_threshold = fields.Integer(
        readonly=True,
        copy=False,
        help="Smallest warning threshold (days before expiry) already notified; reset by a "
        "renewal. Reminders are created once per threshold, not every day.",
    )

    _sql_constraints = [
        (
            "employee_type_number_unique",
            "unique(employee_id, type_id, number)",
            "This employee already holds a credential of this type with this number.",
        ),
    ]

    @api.constrains("type_id", "number")
    def _check_npi(self):
        """An NPI type's numbers are National Provider Identifiers (10 digits, Luhn)."""
        for credential in self:
            if credential.type_id.number_check == "npi" and npi_problem(credential.number):
                raise ValidationError(
                    self.env._(
                        "%(number)s is not a valid %(type)s: 10 digits, the last one a check "
                        "digit.",
                        number=credential.number,
                        type=credential.type_id.display_name,
                    )
                )

    @api.depends("type_id", "number")
    def _compute_display_name(self):
        for credential in self:
            credential.display_name = (
                f"{credential.type_id.code or ''} {credential.number or ''}".strip()
            )

    @api.depends_context("hc_today")
    @api.depends("status", "expires_on")
    def _compute_validity(self):
        today = self._hc_today()
        for credential in self:
            credential.is_valid = credential._hc_is_valid(today)
            credential.days_to_expiry = (
                (credential.expires_on - today).days if credential.expires_on else 0
            )

    @api.depends("type_id", "employee_id.job_id.hc_required_credential_type_ids")
    def _compute_is_required(self):
        for credential in self:
            credential.is_required = (
                credential.type_id in credential.employee_id.job_id.hc_required_credential_type_ids
            )

    @api.model
    def _hc_today(self):
        """Today, or the day a check runs for (context ``hc_today``)."""
        today = self.env.context.get("hc_today")
        return fields.Date.to_date(today) if today else fields.Date.context_today(self)

    def _hc_is_valid(self, today=None):
        self.ensure_one()
        today = today or self._hc_today()
        return self.status == "active" and (not self.expires_on or self.expires_on >= today)

    # ------------------------------------------------------------------------------------
    # HRIS ownership and access re-evaluation
    # ------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        credentials = super().create(vals_list)
        if self.env.context.get("hc_hr_sync") is not HRIS_SYNC:
            credentials.employee_id._hc_hr_sync_access()
        return credentials

    def write(self, vals):
        in_sync = self.env.context.get("hc_hr_sync") is HRIS_SYNC
        if (
            not in_sync
            and HRIS_CREDENTIAL_FIELDS.intersection(vals)
            and self.filtered(lambda c: c.source == "hris")
        ):
            raise UserError(
                self.env._(
                    "This credential comes from the HRIS: change it there (licence "
                    "renewals arrive as credential updates)."
                )
            )
        if "expires_on" in vals:
            # a new expiry date is a renewal: warn again at every threshold next time
            renewed = self.filtered(
                lambda c: c.expires_on != fields.Date.to_date(vals["expires_on"])
            )
            if renewed:
                super(HcHrCredential, renewed).write({"reminder_threshold": 0})
        employees_before = self.employee_id
        result = super().write(vals)
        if not in_sync and {"status", "expires_on", "type_id", "employee_id"}.intersection(vals):
            (employees_before | self.employee_id)._hc_hr_sync_access()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_hris(self):
        if self.env.context.get("hc_hr_sync") is not HRIS_SYNC and self.filtered(
            lambda c: c.source == "hris"
        ):
            raise UserError(self.env._("Credentials from the HRIS cannot be deleted in Odoo."))

    def unlink(self):
        employees = self.employee_id
        result = super().unlink()
        employees.exists()._hc_hr_sync_access()
        return result

    # ------------------------------------------------------------------------------------
    # Daily check: reminders before expiry, restriction at expiry
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_warning_thresholds(self):
        """Days before expiry at which HR is warned, largest first (setting)."""
        raw = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("healthcare_hr_sync.credential_warning_days", "30,7")
        )
        days = set()
        for part in str(raw or "").replace(";", ",").split(","):
            part = part.strip()
            if part.isdigit() and int(part) > 0:
                days.add(int(part))
        return sorted(days, reverse=True)

    @api.model
    def _cron_check_credentials(self, today=None):
        """Warn before expiry (one activity per threshold), mark expired credentials and
        restrict the access of employees who lost a required one."""
        today = today or fields.Date.context_today(self)
        if isinstance(today, str):
            today = fields.Date.to_date(today)
        thresholds = self._hc_warning_thresholds()
        sync = self.sudo().with_context(hc_hr_sync=HRIS_SYNC)
        expired = sync.search([("status", "=", "active"), ("expires_on", "<", today)])
        if expired:
            expired.write({"status": "expired"})
            for credential in expired:
                credential.message_post(
                    body=self.env._("The credential expired on %s.", credential.expires_on),
                    subtype_xmlid="mail.mt_note",
                )
                self.env["hc.integration.audit"]._log(
                    "hr.credential.expired",
                    f"credential #{credential.id} ({credential.type_id.code}) of employee "
                    f"#{credential.employee_id.id} expired",
                    record=credential,
                    backend=credential.employee_id.hc_backend_id,
                )
            expired.employee_id.with_context(hc_today=today)._hc_hr_sync_access()
        reminded = 0
        if thresholds:
            horizon = date.fromordinal(today.toordinal() + thresholds[0])
            upcoming = sync.search(
                [
                    ("status", "=", "active"),
                    ("expires_on", ">=", today),
                    ("expires_on", "<=", horizon),
                    ("employee_id.active", "=", True),
                ]
            )
            for credential in upcoming:
                reminded += credential._hc_remind(today, thresholds)
        return {"expired": len(expired), "reminded": reminded}

    def _hc_remind(self, today, thresholds):
        """One activity when the credential crosses a threshold it was not warned at."""
        self.ensure_one()
        days_left = (self.expires_on - today).days
        crossed = [t for t in thresholds if days_left <= t]
        if not crossed:
            return 0
        threshold = min(crossed)
        if self.reminder_threshold and self.reminder_threshold <= threshold:
            return 0
        self.reminder_threshold = threshold
        self.activity_schedule(
            "healthcare_hr_sync.mail_activity_type_credential_expiry",
            date_deadline=self.expires_on,
            summary=self.env._("Credential expires in %s day(s)", days_left),
            note=self.env._(
                "%(type)s of %(employee)s expires on %(date)s. Ask for the renewal: access is "
                "restricted automatically at expiry when the job requires it.",
                type=self.type_id.display_name,
                employee=self.employee_id.name,
                date=self.expires_on,
            ),
            user_id=self.employee_id._hc_hr_responsible_user().id,
        )
        self.env["hc.integration.audit"]._log(
            "hr.credential.reminder",
            f"credential #{self.id} ({self.type_id.code}): expiry reminder at {threshold} days",
            record=self,
            backend=self.employee_id.hc_backend_id,
        )
        return 1
