import logging
import os

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.actions import filtered_action
from ..tools.payload import is_url_code
from .hc_integration_secret_mixin import secret_field, secret_is_set_field

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"
#: Default signing secret of the demo backends (demo only; see the README).
DEMO_WEBHOOK_SECRET = "whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtISE="


class HcIntegrationBackend(models.Model):
    """An external system the suite talks to: an HRIS, a payroll API, a clearinghouse…"""

    _name = "hc.integration.backend"
    _description = "Integration Backend"
    _inherit = [
        "mail.thread",
        "hc.integration.secret.mixin",
        "hc.integration.audited.mixin",
    ]
    _order = "sequence, name"
    _hc_audit_action = "backend"
    _hc_secret_fields = (
        "api_key",
        "password",
        "client_secret",
        "webhook_secret",
        "webhook_secret_previous",
        "outbound_secret",
    )

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Used in webhook URLs: /healthcare/webhook/<backend code>/<flow code>.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    backend_type = fields.Selection(
        [
            ("hris", "HRIS"),
            ("payroll", "Payroll"),
            ("credentialing", "Credentialing"),
            ("billing", "Billing"),
            ("clearinghouse", "Clearinghouse"),
            ("other", "Other"),
        ],
        string="Type",
        required=True,
        default="other",
        tracking=True,
    )
    environment = fields.Selection(
        [("development", "Development"), ("test", "Test"), ("production", "Production")],
        required=True,
        default="test",
        tracking=True,
    )
    base_url = fields.Char(string="Base URL", tracking=True)
    timeout_seconds = fields.Integer(
        string="Request timeout (s)", default=30, help="Applies to every outgoing call."
    )
    # --- authentication of our calls to the backend --------------------------------------
    auth_kind = fields.Selection(
        [
            ("none", "None"),
            ("api_key", "API key header"),
            ("bearer", "Bearer token"),
            ("basic", "Basic"),
            ("oauth2", "OAuth2 client credentials"),
        ],
        string="Authentication",
        required=True,
        default="none",
        tracking=True,
    )
    api_key_header = fields.Char(string="API key header", default="X-API-Key")
    username = fields.Char(groups=MANAGER_GROUP)
    client_id = fields.Char(string="Client ID", groups=MANAGER_GROUP)
    token_url = fields.Char(string="Token URL", groups=MANAGER_GROUP)
    oauth_scope = fields.Char(string="OAuth2 scope", groups=MANAGER_GROUP)
    api_key = secret_field(string="API key / bearer token")
    api_key_is_set = secret_is_set_field()
    password = secret_field()
    password_is_set = secret_is_set_field()
    client_secret = secret_field()
    client_secret_is_set = secret_is_set_field()
    # --- inbound webhooks (Standard Webhooks) --------------------------------------------
    webhook_secret = secret_field(
        string="Webhook signing secret",
        help="A whsec_… secret shared with the backend; it signs the events it sends us.",
    )
    webhook_secret_is_set = secret_is_set_field()
    webhook_secret_previous = secret_field(
        string="Previous signing secret",
        help="Still accepted until the expiry below, so the backend can rotate its secret.",
    )
    webhook_secret_previous_is_set = secret_is_set_field()
    webhook_secret_previous_expiry = fields.Datetime(string="Previous secret valid until")
    timestamp_tolerance = fields.Integer(
        string="Timestamp tolerance (s)",
        default=300,
        help="Signed events whose timestamp is further than this in the past or the future "
        "are refused (replay protection).",
    )
    rate_limit_per_minute = fields.Integer(
        string="Rate limit (requests/min)",
        default=0,
        help="Webhook deliveries accepted per minute across all Odoo workers; 0 = no limit.",
    )
    outbound_secret = secret_field(
        string="Outbound signing secret",
        help="A whsec_… secret used to sign what we send to this backend.",
    )
    outbound_secret_is_set = secret_is_set_field()
    integration_user_id = fields.Many2one(
        "res.users",
        string="Integration user",
        help="The user the backend acts as when it calls our status API with an API key.",
    )
    flow_ids = fields.One2many("hc.integration.flow", "backend_id", string="Flows")
    flow_count = fields.Integer(compute="_compute_counts")
    message_count_total = fields.Integer(string="Queue messages", compute="_compute_counts")
    exception_count = fields.Integer(string="Open exceptions", compute="_compute_counts")
    note = fields.Html()

    _sql_constraints = [
        ("code_unique", "unique(code)", "A backend with this code already exists."),
    ]

    @api.constrains("code")
    def _check_code(self):
        for backend in self:
            if not is_url_code(backend.code):
                raise ValidationError(
                    self.env._(
                        "The backend code '%(code)s' may only hold letters, digits, '-' and "
                        "'_' (it is part of webhook URLs).",
                        code=backend.code,
                    )
                )

    @api.constrains("timestamp_tolerance", "rate_limit_per_minute", "timeout_seconds")
    def _check_limits(self):
        for backend in self:
            if backend.timestamp_tolerance <= 0 or backend.timeout_seconds <= 0:
                raise ValidationError(
                    self.env._("The timestamp tolerance and the timeout must be positive.")
                )
            if backend.rate_limit_per_minute < 0:
                raise ValidationError(self.env._("The rate limit cannot be negative."))

    def _hc_audit_backend(self):
        return self

    def _compute_counts(self):
        messages = self.env["hc.integration.message"]
        exceptions = self.env["hc.integration.exception"]
        message_counts = dict(
            messages._read_group([("backend_id", "in", self.ids)], ["backend_id"], ["__count"])
        )
        exception_counts = dict(
            exceptions._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "open")],
                ["backend_id"],
                ["__count"],
            )
        )
        for backend in self:
            backend.flow_count = len(backend.with_context(active_test=False).flow_ids)
            backend.message_count_total = message_counts.get(backend, 0)
            backend.exception_count = exception_counts.get(backend, 0)

    def _get_webhook_secrets(self):
        """Signing secrets currently accepted for inbound events (current, then previous
        until its expiry). Model code only."""
        self.ensure_one()
        names = ["webhook_secret"]
        expiry = self.webhook_secret_previous_expiry
        if expiry and expiry > fields.Datetime.now():
            names.append("webhook_secret_previous")
        found = self.env["hc.integration.secret"]._get_secrets(self, names)
        return [found[name] for name in names if found.get(name)]

    def action_rotate_webhook_secret(self, new_secret, keep_previous_hours=24):
        """Make ``new_secret`` current and keep the old one valid for a while."""
        self.ensure_one()
        current = self._hc_get_secret("webhook_secret")
        if current:
            self.env["hc.integration.secret"]._set_secret(self, "webhook_secret_previous", current)
            self.webhook_secret_previous_expiry = fields.Datetime.add(
                fields.Datetime.now(), hours=keep_previous_hours
            )
        self.webhook_secret = new_secret
        self._hc_audit_secret_change("webhook_secret", "rotated")

    def action_view_flows(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "hc_integration_flow_action",
            [("backend_id", "=", self.id)],
            {"default_backend_id": self.id},
        )

    def action_view_messages(self):
        self.ensure_one()
        return filtered_action(
            self.env, "hc_integration_message_action", [("backend_id", "=", self.id)]
        )

    def action_view_exceptions(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "hc_integration_exception_action",
            [("backend_id", "=", self.id)],
            {"search_default_filter_open": 1},
        )

    def _hc_ensure_flows(self, specs, owning_group):
        """Create the flows of ``specs`` (flow values, each with a ``code``) that this
        backend does not have yet, owned by ``owning_group``; flows already there (active
        or not) are left as they are. The set-up buttons of the flow addons use it.
        Returns the flows created."""
        self.ensure_one()
        flows = self.env["hc.integration.flow"].sudo()
        existing = set(self.with_context(active_test=False).flow_ids.mapped("code"))
        return flows.concat(
            *(
                flows.create(dict(spec, backend_id=self.id, owning_group_id=owning_group.id))
                for spec in specs
                if spec["code"] not in existing
            )
        )

    def _hc_flows_created_notification(self, created, created_message, none_message):
        """The notification a set-up button answers with (then the form reloads)."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if created else "info",
                "message": created_message if created else none_message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _hc_demo_set_secrets(self, codes):
        """Demo data: sign with ``HC_DEMO_WEBHOOK_SECRET`` (README gives the default)."""
        secret = os.environ.get("HC_DEMO_WEBHOOK_SECRET") or DEMO_WEBHOOK_SECRET
        if not self.env["hc.integration.secret"]._key_configured():
            _logger.warning(
                "No encryption key (HC_INTEGRATION_KEY): the demo backends get no signing secret"
            )
            return
        for backend in self.search([("code", "in", codes)]):
            backend.write({"webhook_secret": secret, "outbound_secret": secret})
