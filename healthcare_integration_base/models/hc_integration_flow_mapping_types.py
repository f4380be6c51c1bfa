import json

from odoo import api, models

from ..tools import declarative_definition as decl


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """A definition's ``mapping_types`` are created when it is stored (imported, or edited
    in the flow form), before the definition is checked against them."""

    _inherit = "hc.integration.flow"

    @api.model
    def _hc_declare_mapping_types(self, definition_json, flow=None):
        try:
            definition = json.loads(definition_json or "{}")
        except ValueError:
            return  # refused by the definition check
        declared = isinstance(definition, dict) and definition.get("mapping_types")
        if not declared or decl.mapping_types_problems(declared):
            return
        if self._hc_mapping_type_problems(declared):
            return  # refused with these problems by the definition check
        self.env["hc.integration.mapping.type"]._hc_declare(declared, flow)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._hc_declare_mapping_types(vals.get("declarative_definition"))
        flows = super().create(vals_list)
        types = self.env["hc.integration.mapping.type"]
        for flow in flows.filtered("declarative_definition"):
            codes = list(flow._hc_definition().get("mapping_types") or ())
            types.search([("code", "in", codes), ("flow_id", "=", False)]).flow_id = flow
        return flows

    def write(self, vals):
        if vals.get("declarative_definition"):
            self._hc_declare_mapping_types(vals["declarative_definition"], self[:1])
        return super().write(vals)
