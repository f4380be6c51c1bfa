from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hc_hr_credential_warning_days = fields.Char(
        string="Warn before credential expiry (days)",
        config_parameter="healthcare_hr_sync.credential_warning_days",
        default="30,7",
        help="Days before expiry at which HR gets an activity, separated by commas (e.g. "
        "30,7): one reminder per threshold, not every day.",
    )
    hc_hr_responsible_user_id = fields.Many2one(
        "res.users",
        string="HR activities go to",
        config_parameter="healthcare_hr_sync.responsible_user_id",
        domain=[("share", "=", False)],
        help="Receives credential reminders and restriction activities when the HR flow "
        "has no responsible user.",
    )

    @api.constrains("hc_hr_credential_warning_days")
    def _check_hc_hr_credential_warning_days(self):
        for settings in self:
            raw = (settings.hc_hr_credential_warning_days or "").replace(" ", "")
            if raw and not all(part.isdigit() for part in raw.split(",")):
                raise ValidationError(
                    self.env._("Give the warning thresholds as whole days separated by commas.")
                )
