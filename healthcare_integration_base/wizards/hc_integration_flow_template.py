import json
import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules.module import get_module_path

TEMPLATE_DIR = ("data", "templates")
_TEMPLATE_ONLY_KEYS = ("requires", "description")


def _read_templates():
    """``{code: definition}`` of the definition files shipped in data/templates/."""
    folder = os.path.join(get_module_path("healthcare_integration_base"), *TEMPLATE_DIR)
    templates = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as template_file:
                template = json.load(template_file)
            templates[template["code"]] = template
    return templates


class HcIntegrationFlowTemplate(models.TransientModel):
    """Create a declarative flow from a shipped template (supplier catalog, PO
    acknowledgement, goods receipt, maintenance request, CRM referral) once the modules
    it writes to are installed."""

    _name = "hc.integration.flow.template"
    _description = "Declarative flow from a template"

    backend_id = fields.Many2one("hc.integration.backend", required=True, ondelete="cascade")
    template = fields.Selection(selection="_selection_template", required=True)
    description = fields.Text(compute="_compute_description")

    @api.model
    def _selection_template(self):
        return [(code, template["name"]) for code, template in _read_templates().items()]

    @api.depends("template")
    def _compute_description(self):
        templates = _read_templates()
        for wizard in self:
            wizard.description = templates.get(wizard.template, {}).get("description")

    @api.model
    def _hc_missing_modules(self, template):
        required = template.get("requires") or []
        installed = (
            self.env["ir.module.module"]
            .sudo()
            .search([("name", "in", required), ("state", "=", "installed")])
        )
        return sorted(set(required) - set(installed.mapped("name")))

    @api.model
    def _hc_import_template(self, backend_code, code):
        """The flow id of template ``code`` imported on the backend; refused with the
        modules to install first when some are missing."""
        template = _read_templates().get(code)
        if not template:
            raise UserError(self.env._("Unknown template '%s'.", code))
        missing = self._hc_missing_modules(template)
        if missing:
            raise UserError(
                self.env._(
                    "The template %(template)s needs these apps installed first: %(apps)s.",
                    template=template["name"],
                    apps=", ".join(missing),
                )
            )
        definition = {k: v for k, v in template.items() if k not in _TEMPLATE_ONLY_KEYS}
        return self.env["hc.integration.flow"].hc_import_definition(backend_code, definition)

    def action_import(self):
        self.ensure_one()
        flow_id = self._hc_import_template(self.backend_id.code, self.template)
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.flow",
            "res_id": flow_id,
            "view_mode": "form",
        }
