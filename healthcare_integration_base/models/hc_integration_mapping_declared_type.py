from odoo import api, models
from odoo.exceptions import ValidationError


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMapping(models.Model):
    """Mappings of the types declarative flows declare (``hc.integration.mapping.type``)
    next to the types defined in code."""

    _inherit = "hc.integration.mapping"

    @api.model
    def _selection_mapping_type(self):
        declared = self.env["hc.integration.mapping.type"]._hc_declared()
        return super()._selection_mapping_type() + [(code, name) for code, name, _m in declared]

    @api.model
    def _mapping_target_models(self):
        targets = super()._mapping_target_models()
        for code, _name, model in self.env["hc.integration.mapping.type"]._hc_declared():
            targets.setdefault(code, model)
        return targets

    @api.constrains("mapping_type")
    def _check_mapping_type(self):
        # a selection computed by a method is not checked by the ORM
        known = {code for code, _label in self._selection_mapping_type()}
        for mapping in self:
            if mapping.mapping_type not in known:
                raise ValidationError(
                    self.env._("Unknown mapping type '%s'.", mapping.mapping_type)
                )
