from odoo import fields, models


class HrJob(models.Model):
    _inherit = "hr.job"

    hc_required_credential_type_ids = fields.Many2many(
        "hc.hr.credential.type",
        "hc_hr_job_credential_type_rel",
        "job_id",
        "credential_type_id",
        string="Required credentials",
        help="Employees in this job must hold a valid credential of each type; when one "
        "lapses, their access is restricted per the HR flow's credential policy.",
    )
