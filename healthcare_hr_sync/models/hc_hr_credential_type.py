from odoo import api, fields, models

from ..tools.npi import NPI_TYPE_CODE, SHAPE_PROBLEM, npi_problem


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
    number_check = fields.Selection(
        [("none", "No check"), ("npi", "NPI (10 digits, check digit)")],
        string="Number check",
        default="none",
        required=True,
        help="NPI: numbers of this type are National Provider Identifiers, refused at the "
        "webhook (422) and in Odoo unless they have 10 digits and a valid check digit.",
    )
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

    # ------------------------------------------------------------------------------------
    # NPI check at ingest (the webhook answers 422)
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_npi_codes(self, backend):
        """The type codes that stand for an NPI on ``backend``: codes of the NPI types, and
        the codes mapped to one of them (shared or on this backend)."""
        types = self.sudo().with_context(active_test=False).search([("number_check", "=", "npi")])
        if not types:
            return set()
        mappings = (
            self.env["hc.integration.mapping"]
            .sudo()
            .search(
                [
                    ("mapping_type", "=", "credential_type"),
                    ("state", "=", "mapped"),
                    ("backend_id", "in", [backend.id, False]),
                ]
            )
        )
        codes = set(types.mapped("code"))
        codes.update(m.external_code for m in mappings if m.target_ref in types)
        return codes

    @api.model
    def _hc_npi_errors(self, backend, credentials):
        """``[{"path", "message"}]`` (value-free) for ``[(path, credential dict)]`` whose
        type is an NPI type and whose number is not a valid NPI."""
        items = [(path, data) for path, data in credentials if isinstance(data, dict)]
        if not items:
            return []
        codes = self._hc_npi_codes(backend)
        errors = []
        for path, data in items:
            if data.get("type") not in codes:
                continue
            problem = npi_problem(data.get("number"))
            # the schema's pattern already reports the shape of the contract's own code
            if problem and not (problem == SHAPE_PROBLEM and data["type"] == NPI_TYPE_CODE):
                errors.append({"path": f"{path}/number", "message": problem})
        return errors
