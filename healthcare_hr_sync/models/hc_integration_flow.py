from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.healthcare_integration_base.exceptions import IntegrationError

HR_HANDLER_PREFIX = "hc.hr.handler."
ROSTER_HANDLER = "hc.hr.handler.roster"


class HcIntegrationFlow(models.Model):
    """HR settings of a flow. The identity flow of a backend (the one running the
    ``employee.upsert`` handler) carries the settings every HR flow of that backend uses:
    provisioning, invitation, leave and credential policies."""

    _inherit = "hc.integration.flow"

    hr_is_hr_flow = fields.Boolean(string="HR flow", compute="_compute_hr_is_hr_flow")
    hr_provision_users = fields.Boolean(
        string="Provision users",
        tracking=True,
        help="Create an Odoo user for each synchronised employee with a work e-mail "
        "(login = work e-mail, no password) and keep its groups in line with the HRIS roles.",
    )
    hr_user_invitation = fields.Selection(
        [("invite", "Send an invitation e-mail"), ("sso", "Single sign-on (no e-mail)")],
        string="New users log in with",
        default="invite",
        required=True,
        tracking=True,
    )
    hr_leave_policy = fields.Selection(
        [("keep_user", "Keep the user active"), ("deactivate_user", "Deactivate the user")],
        string="During a leave of absence",
        default="keep_user",
        required=True,
        tracking=True,
    )
    hr_credential_policy = fields.Selection(
        [
            ("restrict_groups", "Remove the role groups (internal user only)"),
            ("deactivate_user", "Deactivate the user"),
        ],
        string="When a required credential lapses",
        default="restrict_groups",
        required=True,
        tracking=True,
    )
    hr_detached_leaver_policy = fields.Selection(
        [
            ("revoke", "Revoke access when the termination takes effect"),
            ("keep", "Keep access; revoke at the date unless a manager keeps it"),
        ],
        string="Termination of a detached employee",
        default="revoke",
        required=True,
        tracking=True,
        help="A termination is an access decision: it applies to employees detached from "
        "the sync too (their HRIS fields stay as they are). With 'Keep', an exception "
        "announces the revocation as soon as the termination arrives, and an Integration "
        "Manager may keep the access.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        flows = super().create(vals_list)
        self.env.registry.clear_cache()  # hr.employee._hc_hr_identity_flow_id
        return flows

    def write(self, vals):
        result = super().write(vals)
        if {"handler_model", "backend_id", "active"}.intersection(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.depends("handler_model")
    def _compute_hr_is_hr_flow(self):
        for flow in self:
            flow.hr_is_hr_flow = bool(
                flow.handler_model and flow.handler_model.startswith(HR_HANDLER_PREFIX)
            )

    def action_hr_reconcile_now(self):
        """Pull the HRIS roster now and show the drift found."""
        self.ensure_one()
        self.check_access("write")
        if self.handler_model != ROSTER_HANDLER:
            raise UserError(self.env._("This flow is not a roster reconciliation flow."))
        if not self.pull_endpoint:
            raise UserError(self.env._("Set the roster endpoint (pull endpoint) first."))
        try:
            drift = self.env[ROSTER_HANDLER]._hc_reconcile(self)
        except IntegrationError as error:
            raise UserError(error.message) from None
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "healthcare_hr_sync.hc_hr_drift_action"
        )
        action["domain"] = [("backend_id", "=", self.backend_id.id)]
        action["context"] = {"search_default_filter_open": 1}
        if not drift:
            action["help"] = self.env._("<p>No drift: Odoo matches the HRIS roster.</p>")
        return action
