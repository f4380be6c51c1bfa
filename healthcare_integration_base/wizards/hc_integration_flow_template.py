import json
import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules.module import get_module_path

from ..tools import declarative_definition as decl

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
    acknowledgement, goods receipt, maintenance request, CRM referral, procedure
    completed) once the modules it writes to are installed."""

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
        skipped = []
        definition = self._hc_template_definition(code, skipped)
        flow_id = self.env["hc.integration.flow"].hc_import_definition(backend_code, definition)
        if skipped:
            self.env["hc.integration.flow"].browse(flow_id).message_post(
                body=self.env._(
                    "Not mapped, their apps are not installed: %s.", ", ".join(sorted(skipped))
                )
            )
        return flow_id

    @api.model
    def _hc_template_definition(self, code, skipped=None):
        """The definition of template ``code`` as it is imported: without the template's
        own keys, nor the fields of apps that are not installed (listed in ``skipped``)."""
        template = _read_templates()[code]
        definition = {k: v for k, v in template.items() if k not in _TEMPLATE_ONLY_KEYS}
        skipped = [] if skipped is None else skipped
        for _prefix, part in decl.parts(definition):
            if isinstance(part.get("fields"), dict):
                part["fields"] = self._hc_installed_fields(part["fields"], skipped)
        return definition

    @api.model
    def _hc_installed_fields(self, fields_map, skipped):
        """The field map without the specs whose ``module`` (a field another app adds,
        e.g. product_expiry's expiry dates) is not installed; ``skipped`` collects them."""
        kept = {}
        for name, spec in fields_map.items():
            spec = dict(spec)
            module = spec.pop("module", None)
            if module and self._hc_missing_modules({"requires": [module]}):
                skipped.append(f"{name} ({module})")
                continue
            if "fields" in spec:
                spec["fields"] = self._hc_installed_fields(spec["fields"], skipped)
            kept[name] = spec
        return kept

    def action_import(self):
        self.ensure_one()
        flow_id = self._hc_import_template(self.backend_id.code, self.template)
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.flow",
            "res_id": flow_id,
            "view_mode": "form",
        }
