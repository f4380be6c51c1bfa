import os

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.models.hc_integration_backend import (
    HcIntegrationBackend as BaseBackend,
)
from odoo.addons.healthcare_integration_base.models.hc_integration_secret_mixin import (
    secret_field,
    secret_is_set_field,
)

from .hc_integration_backend import HR_GROUP_XMLID

#: Default bearer token of the demo identity backend (demo only; see the README).
DEMO_SCIM_TOKEN = "demo-scim-token-change-me"
#: The flow through which SCIM's enterprise attributes reach the employee: the same
#: handler, mappings, bindings and waits as an HRIS ``employee.upsert``.
SCIM_EMPLOYEE_FLOW_SPEC = {
    "code": "scim_employee",
    "name": "Employees from SCIM (enterprise extension)",
    "handler_model": "hc.hr.handler.scim.employee",
    "event_type": "employee.upsert",
    "sync_mode": "realtime",
    "priority": 5,
    "sla_minutes": 15,
    "sequence": 15,
}


class HcIntegrationBackend(models.Model):
    """An identity platform (Entra ID, Okta…) provisions users through ``/scim/v2``."""

    _inherit = "hc.integration.backend"
    _hc_secret_fields = (*BaseBackend._hc_secret_fields, "scim_token")

    backend_type = fields.Selection(
        selection_add=[("identity", "Identity platform (SCIM)")],
        ondelete={"identity": "set default"},
    )
    scim_token = secret_field(
        string="SCIM bearer token",
        help="The token the identity platform sends as 'Authorization: Bearer …'.",
    )
    scim_token_is_set = secret_is_set_field()
    scim_put_without_active = fields.Selection(
        [("keep", "Keep the account as it is (Okta)"), ("deactivate", "Deactivate (strict)")],
        string="PUT without 'active'",
        default="keep",
        required=True,
        help="Okta replaces users with PUT bodies that omit 'active': by default that does "
        "not deactivate the account.",
    )
    scim_delete_action = fields.Selection(
        [
            ("deactivate", "Deactivate the account (sessions, API keys) and forget the id"),
            ("refuse", "Refuse: the platform must set active to false"),
        ],
        string="SCIM DELETE",
        default="deactivate",
        required=True,
    )
    scim_foreign_attributes = fields.Selection(
        [("refuse", "Refuse the request (mutability error)"), ("ignore", "Ignore them")],
        string="Attributes owned by the HRIS",
        default="refuse",
        required=True,
        help="What a SCIM write to an attribute the HRIS owns (department, cost centre, "
        "manager, employee number of an employee synced from an HRIS) does.",
    )
    scim_user_count = fields.Integer(string="SCIM users", compute="_compute_scim_user_count")

    def _compute_scim_user_count(self):
        counts = dict(
            self.env["hc.hr.scim.user"]
            .sudo()
            ._read_group([("backend_id", "in", self.ids)], ["backend_id"], ["__count"])
        )
        for backend in self:
            backend.scim_user_count = counts.get(backend, 0)

    @api.model
    def _hc_scim_backend_for_token(self, token):
        """The active identity backend whose SCIM token is ``token`` (constant-time
        comparison), or an empty recordset. Model code only."""
        if not token:
            return self.browse()
        for backend in self.sudo().search([("backend_type", "=", "identity")]):
            if backend._hc_secret_matches("scim_token", token):
                return backend
        return self.browse()

    def _hc_scim_employee_flow(self):
        """The backend's ``scim_employee`` flow (created on first use, owned by the HR
        resolvers); None when an administrator archived it (no employees from SCIM)."""
        self.ensure_one()
        flows = self.env["hc.integration.flow"].sudo().with_context(active_test=False)
        flow = flows.search([("backend_id", "=", self.id), ("code", "=", "scim_employee")])
        if not flow:
            flow = self._hc_ensure_flows(
                [dict(SCIM_EMPLOYEE_FLOW_SPEC)], self.env.ref(HR_GROUP_XMLID)
            )
        return flow if flow.active else None

    def action_hc_scim_view_users(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "healthcare_hr_sync.hc_hr_scim_user_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    @api.model
    def _hc_scim_demo_set_token(self, codes):
        """Demo data: the identity backend's token from ``HC_DEMO_SCIM_TOKEN``."""
        if not self.env["hc.integration.secret"]._key_configured():
            return
        token = os.environ.get("HC_DEMO_SCIM_TOKEN") or DEMO_SCIM_TOKEN
        for backend in self.search([("code", "in", codes)]):
            backend.scim_token = token
