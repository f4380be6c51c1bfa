from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError


class HcIntegrationMappingType(models.Model):
    """A value-mapping type declared by a declarative flow's definition (code, name,
    target model), created when the definition is stored. Its codes behave as those of
    the types defined in code: unknown codes become pending rows, mapping them re-queues
    the messages that waited."""

    _name = "hc.integration.mapping.type"
    _description = "Integration Mapping Type (declared by a flow)"
    _order = "code"

    code = fields.Char(required=True, index=True, readonly=True)
    name = fields.Char(required=True)
    target_model = fields.Char(required=True, readonly=True)
    flow_id = fields.Many2one(
        "hc.integration.flow",
        string="Declared by",
        ondelete="set null",
        readonly=True,
        help="The declarative flow whose definition declared this type first.",
    )

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A mapping type code is declared once."),
    ]

    @api.model
    @tools.ormcache()
    def _hc_declared(self):
        """``((code, name, target model), …)`` of every declared type (cached: read on
        each value mapping)."""
        return tuple(self.sudo().search([]).mapped(lambda t: (t.code, t.name, t.target_model)))

    @api.model_create_multi
    def create(self, vals_list):
        types = super().create(vals_list)
        self.env.registry.clear_cache()
        return types

    def write(self, vals):
        if {"code", "target_model"} & set(vals):
            raise ValidationError(self.env._("The code and target of a mapping type are fixed."))
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        used = (
            self.env["hc.integration.mapping"]
            .sudo()
            .search_count([("mapping_type", "in", self.mapped("code"))], limit=1)
        )
        if used:
            raise ValidationError(self.env._("Mapping types with mappings cannot be deleted."))
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _hc_declare(self, declared, flow=None):
        """Create the types of a definition's ``mapping_types`` (``{code: {"name",
        "target_model"}}``) that do not exist yet; rename the others."""
        existing = {t.code: t for t in self.search([("code", "in", list(declared))])}
        for code, spec in declared.items():
            if code in existing:
                if existing[code].name != spec["name"]:
                    existing[code].name = spec["name"]
                continue
            self.create(
                {
                    "code": code,
                    "name": spec["name"],
                    "target_model": spec["target_model"],
                    "flow_id": flow and flow.id,
                }
            )
