from odoo import api, fields, models


class HcHrCredentialType(models.Model):
    """A kind of licence or certification (RN_LICENSE, MD_LICENSE…). Jobs require types;
    an employee holding a job must hold a valid credential of each required type."""

    _name = "hc.hr.credential.type"
    _description = "Credential Type"
    _order = "sequence, code"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True, help="The code the HRIS uses, e.g. RN_LICENSE (or map it: Mappings)."
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    job_ids = fields.Many2many(
        "hr.job",
        "hc_hr_job_credential_type_rel",
        "credential_type_id",
        "job_id",
        string="Required by jobs",
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "A credential type with this code already exists."),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self):
        for credential_type in self:
            credential_type.display_name = (
                f"{credential_type.name} ({credential_type.code})"
                if credential_type.code
                else credential_type.name
            )
