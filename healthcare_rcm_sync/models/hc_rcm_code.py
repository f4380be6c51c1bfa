from odoo import api, fields, models

CODE_TYPES = [
    ("carc", "Claim adjustment reason (CARC)"),
    ("rarc", "Remittance advice remark (RARC)"),
    ("plb", "Provider adjustment reason (PLB)"),
]


class HcRcmCode(models.Model):
    """Code table of the reasons payers give in remittances: claim adjustment reason codes
    (CAS), remittance advice remark codes (MOA/MIA/LQ) and provider-level adjustment
    reasons (PLB). Shipped as data with the common codes; finance may add the others."""

    _name = "hc.rcm.code"
    _description = "Remittance reason code"
    _order = "code_type, sort_key, code"

    code_type = fields.Selection(CODE_TYPES, string="Type", required=True, index=True)
    code = fields.Char(required=True, index=True)
    name = fields.Char(string="Description", required=True, translate=True)
    note = fields.Text(help="How the revenue-cycle team handles this code.")
    active = fields.Boolean(default=True)
    sort_key = fields.Char(compute="_compute_sort_key", store=True)

    _sql_constraints = [
        ("code_type_unique", "unique(code_type, code)", "This code already exists."),
    ]

    @api.depends("code")
    def _compute_sort_key(self):
        for record in self:
            code = record.code or ""
            # numeric codes in numeric order (2 before 16), others after
            record.sort_key = code.zfill(8) if code.isdigit() else f"~{code}"

    @api.depends("code", "name")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.code} – {record.name}" if record.name else record.code

    @api.model
    def _hc_rcm_lookup(self):
        """``{(code_type, code): (id, name)}`` of every active code, read once per batch."""
        return {
            (row["code_type"], row["code"]): (row["id"], row["name"])
            for row in self.sudo().search_read([], ["code_type", "code", "name"])
        }
