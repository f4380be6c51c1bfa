import functools
import json
import logging
from datetime import timedelta

import jsonschema

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import file_open

from ..tools import json_schema
from ..tools.actions import filtered_action
from ..tools.payload import apply_allowlist, is_url_code, parse_allowlist

_logger = logging.getLogger(__name__)

ACTIVE_STATES = ("pending", "retry", "processing", "waiting")


@functools.lru_cache(maxsize=128)
def _load_validator(schema_path):
    with file_open(schema_path, "rb") as schema_file:
        schema = json.load(schema_file)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return json_schema.validator(schema)


class HcIntegrationFlow(models.Model):
    """One kind of traffic on a backend (e.g. ``employee_upsert`` on the HRIS): its handler,
    contract (event type, schema versions, allow-list), urgency and retry policy, who owns
    its exceptions, and, for scheduled pulls, where to fetch from."""

    _name = "hc.integration.flow"
    _description = "Integration Flow"
    _inherit = ["mail.thread", "mail.activity.mixin", "hc.integration.audited.mixin"]
    _order = "backend_id, sequence, name"
    _hc_audit_action = "flow"
    _hc_audit_runtime_fields = (
        "pull_cursor",
        "pull_watermark",
        "pull_next_at",
        "pull_last_at",
        "pull_last_error",
        "pull_failure_count",
        "pull_run_started_at",
        "pull_last_summary",
        "circuit_state",
        "circuit_failure_count",
        "circuit_open_until",
    )

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Used in webhook URLs: /healthcare/webhook/<backend code>/<flow code>.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, ondelete="restrict", index=True, tracking=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        default="inbound",
        tracking=True,
    )
    payload_format = fields.Selection(
        [("json", "JSON"), ("x12", "ASC X12")], required=True, default="json"
    )
    sync_mode = fields.Selection(
        [("realtime", "Near real-time"), ("batch", "Scheduled batch")],
        required=True,
        default="realtime",
        tracking=True,
        help="Near real-time flows wake the queue processor as soon as a message arrives; "
        "batch flows are processed by the scheduled runs.",
    )
    handler_model = fields.Selection(
        selection="_selection_handler_model",
        string="Handler",
        required=True,
        tracking=True,
        help="The model that validates and applies this flow's messages.",
    )
    event_type = fields.Char(
        help="Canonical event type, e.g. employee.upsert. Selects the JSON Schema."
    )
    schema_versions = fields.Char(
        default="1.0", help="Accepted schema versions, separated by commas."
    )
    payload_allowlist = fields.Text(
        string="Payload allow-list",
        help="One dotted path per line (lists: lines[].amount; every plain value of each "
        "line: lines[].*). A path keeps a value, never a whole object: nested objects keep "
        "only their own listed paths. Everything else is dropped before the message is "
        "stored. Empty: the handler's default list.",
    )
    max_body_bytes = fields.Integer(string="Max body size (bytes)", default=1024 * 1024)
    # --- processing policy ---------------------------------------------------------------
    priority = fields.Integer(default=10, help="Lower numbers are processed first.")
    max_attempts = fields.Integer(default=6, tracking=True)
    backoff_base = fields.Integer(string="Backoff base (s)", default=10)
    backoff_cap = fields.Integer(string="Backoff cap (s)", default=3600)
    dependency_timeout_minutes = fields.Integer(
        string="Dependency timeout (min)",
        default=24 * 60,
        help="A message waiting for a dependency (e.g. a manager not yet synced) becomes an "
        "exception after this delay.",
    )
    sla_minutes = fields.Integer(
        string="SLA (min)",
        default=15,
        help="A message should be processed within this delay after it arrives.",
    )
    owning_group_id = fields.Many2one(
        "res.groups",
        string="Owning group",
        tracking=True,
        help="Users of this group see this flow's messages and resolve its exceptions.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        help="Receives activities for new exceptions and alerts.",
    )
    # --- alert thresholds (0 = off) ------------------------------------------------------
    alert_backlog = fields.Integer(string="Alert above backlog", default=0)
    alert_open_exceptions = fields.Integer(string="Alert above open exceptions", default=0)
    alert_error_rate = fields.Integer(
        string="Alert above error rate (%)",
        default=0,
        help="Share of messages that ended in exception over the last hour.",
    )
    stale_source_minutes = fields.Integer(
        string="Alert when silent for (min)",
        default=0,
        help="Raise an alert when nothing arrives from the source for this long; 0 = off.",
    )
    # --- pause (both directions; outbound delivery also pauses itself) ---------------------
    paused = fields.Boolean(
        copy=False, tracking=True, help="A paused flow keeps its messages queued."
    )
    paused_reason = fields.Char(copy=False)
    # --- dashboard figures -------------------------------------------------------------------
    message_ids = fields.One2many("hc.integration.message", "flow_id")
    count_backlog = fields.Integer(string="Backlog", compute="_compute_dashboard")
    count_waiting = fields.Integer(string="Waiting", compute="_compute_dashboard")
    count_exception = fields.Integer(string="In exception", compute="_compute_dashboard")
    count_done_24h = fields.Integer(string="Done (24 h)", compute="_compute_dashboard")
    open_exception_count = fields.Integer(compute="_compute_dashboard")
    oldest_pending_minutes = fields.Integer(
        string="Oldest pending (min)", compute="_compute_dashboard"
    )
    last_received_at = fields.Datetime(compute="_compute_dashboard")
    sla_state = fields.Selection(
        [("ok", "On time"), ("warning", "At risk"), ("breach", "SLA breached")],
        compute="_compute_dashboard",
    )
    color = fields.Integer(compute="_compute_dashboard")

    _sql_constraints = [
        (
            "code_backend_unique",
            "unique(backend_id, code)",
            "A flow with this code already exists on this backend.",
        ),
    ]

    @api.model
    def _selection_handler_model(self):
        """Every model inheriting ``hc.integration.handler`` is a handler: defining one in
        any addon registers it here (no edit of this addon needed). Base handlers marked
        ``_hc_abstract_handler`` are left out."""
        handlers = []
        for name in self.env.registry.descendants(["hc.integration.handler"], "_inherit"):
            model = self.env.registry[name]
            # base handlers meant to be inherited, not used as such, are not offered
            if name == "hc.integration.handler" or getattr(model, "_hc_abstract_handler", False):
                continue
            handlers.append((name, model._description or name))
        return sorted(handlers, key=lambda item: item[1])

    @api.constrains("code")
    def _check_code(self):
        for flow in self:
            if not is_url_code(flow.code):
                raise ValidationError(
                    self.env._(
                        "The flow code '%(code)s' may only hold letters, digits, '-' and '_'.",
                        code=flow.code,
                    )
                )

    @api.constrains("max_attempts", "backoff_base", "backoff_cap", "max_body_bytes")
    def _check_policy(self):
        for flow in self:
            if flow.max_attempts < 1 or flow.backoff_base < 0 or flow.backoff_cap < 0:
                raise ValidationError(
                    self.env._("Attempts must be at least 1 and backoff delays positive.")
                )
            if flow.max_body_bytes <= 0:
                raise ValidationError(self.env._("The maximum body size must be positive."))

    @api.constrains("direction", "event_type", "schema_versions", "handler_model")
    def _check_contract(self):
        """Fail closed when configured: an inbound flow whose events could not be
        validated (no event type, no schema version, a version without its schema) is
        refused, instead of accepting whatever a sender posts."""
        for flow in self.filtered(lambda f: f.direction == "inbound"):
            if flow.handler_model not in self.env:
                continue  # refused at ingest anyway (handler not installed)
            problems = flow._get_handler()._hc_contract_problems(flow)
            if problems:
                raise ValidationError(
                    self.env._(
                        "Flow %(flow)s cannot validate what it receives: %(problems)s.",
                        flow=flow.code,
                        problems="; ".join(problems),
                    )
                )

    def _hc_audit_backend(self):
        return self.backend_id

    @api.depends("backend_id.code", "code")
    def _compute_display_name(self):
        for flow in self:
            flow.display_name = f"{flow.backend_id.code or ''}/{flow.code or ''}: {flow.name or ''}"

    # ---------------------------------------------------------------------------------------
    # Contract
    # ---------------------------------------------------------------------------------------
    def _get_handler(self):
        self.ensure_one()
        if self.handler_model not in self.env:
            raise UserError(
                self.env._(
                    "The handler %(handler)s of flow %(flow)s is not installed.",
                    handler=self.handler_model,
                    flow=self.display_name,
                )
            )
        return self.env[self.handler_model]

    def _get_accepted_versions(self):
        self.ensure_one()
        return [v.strip() for v in (self.schema_versions or "").split(",") if v.strip()]

    def _get_allowlist(self):
        """The allow-list paths, or ``None`` when the handler minimises payloads itself."""
        self.ensure_one()
        if self.payload_allowlist and self.payload_allowlist.strip():
            return parse_allowlist(self.payload_allowlist)
        return self._get_handler()._hc_default_allowlist(self)

    def _minimize_payload(self, payload):
        """Apply the allow-list; returns ``(kept, dropped_paths)``."""
        self.ensure_one()
        allowlist = self._get_allowlist()
        if allowlist is None:
            return payload, []
        return apply_allowlist(
            payload, list(allowlist) + ["event_type", "schema_version", "occurred_at"]
        )

    def _validate_payload(self, payload):
        """Check a parsed payload against the flow's contract.

        Returns a list of ``{"path": "/employee/first_name", "message": ...}`` — empty when
        valid. Messages never contain payload values.
        """
        self.ensure_one()
        if not isinstance(payload, dict):
            return [{"path": "/", "message": "the body must be a JSON object"}]
        errors = []
        versions = self._get_accepted_versions()
        version = payload.get("schema_version")
        if versions and version not in versions:
            return [
                {
                    "path": "/schema_version",
                    "message": f"unsupported schema version; accepted: {', '.join(versions)}",
                }
            ]
        if self.event_type and payload.get("event_type") not in (None, self.event_type):
            errors.append(
                {"path": "/event_type", "message": f"this flow accepts '{self.event_type}' only"}
            )
        schema_path = self._get_handler()._hc_schema_path(self, version)
        if not schema_path and self.direction == "inbound":
            # fail closed: never accept unvalidated (a flow configured before the check,
            # or a schema file removed since)
            return errors + [
                {"path": "/schema_version", "message": "no contract for this schema version"}
            ]
        if schema_path:
            validator = _load_validator(schema_path)
            for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.path)):
                path = "/" + "/".join(str(part) for part in error.absolute_path)
                errors.append({"path": path, "message": _describe_schema_error(error)})
        errors.extend(self._get_handler()._hc_check_payload(self, payload))
        return errors

    # ---------------------------------------------------------------------------------------
    # Dashboard
    # ---------------------------------------------------------------------------------------
    def _compute_dashboard(self):
        messages = self.env["hc.integration.message"].sudo()
        now = fields.Datetime.now()
        domain = [("flow_id", "in", self.ids)]
        # unfinished states only: the done history can be millions of rows (issue 13)
        active = [("state", "in", ("pending", "retry", "processing", "waiting", "exception"))]
        by_state = {
            (flow.id, state): count
            for flow, state, count in messages._read_group(
                domain + active, ["flow_id", "state"], ["__count"]
            )
        }
        oldest = dict(
            messages._read_group(
                domain + [("state", "in", ("pending", "retry", "processing"))],
                ["flow_id"],
                ["received_at:min"],
            )
        )
        last = self._hc_last_received()
        done_24h = dict(
            messages._read_group(
                domain + [("state", "=", "done"), ("finished_at", ">=", now - timedelta(days=1))],
                ["flow_id"],
                ["__count"],
            )
        )
        open_exceptions = dict(
            self.env["hc.integration.exception"]
            .sudo()
            ._read_group(domain + [("state", "=", "open")], ["flow_id"], ["__count"])
        )
        for flow in self:
            flow.count_backlog = sum(
                by_state.get((flow.id, state), 0) for state in ("pending", "retry", "processing")
            )
            flow.count_waiting = by_state.get((flow.id, "waiting"), 0)
            flow.count_exception = by_state.get((flow.id, "exception"), 0)
            flow.count_done_24h = done_24h.get(flow, 0)
            flow.open_exception_count = open_exceptions.get(flow, 0)
            oldest_at = oldest.get(flow)
            age = int((now - oldest_at).total_seconds() // 60) if oldest_at else 0
            flow.oldest_pending_minutes = age
            flow.last_received_at = last.get(flow)
            if flow.sla_minutes and age > flow.sla_minutes:
                flow.sla_state = "breach"
            elif flow.sla_minutes and age > flow.sla_minutes / 2 or flow.open_exception_count:
                flow.sla_state = "warning"
            else:
                flow.sla_state = "ok"
            flow.color = {"ok": 10, "warning": 2, "breach": 1}[flow.sla_state]

    def _hc_last_received(self):
        """``{flow: last arrival}``: one ``max()`` per flow, which PostgreSQL answers from
        the end of the (flow, received_at) index, where a grouped max reads every row."""
        self.env.cr.execute(
            """SELECT f.id, (SELECT max(m.received_at) FROM hc_integration_message m
                              WHERE m.flow_id = f.id)
                 FROM unnest(%s::int[]) AS f(id)""",
            ([flow_id for flow_id in self.ids if isinstance(flow_id, int)],),
        )
        return {self.browse(flow_id): last for flow_id, last in self.env.cr.fetchall() if last}

    def _action_messages(self, domain=None, context=None):
        self.ensure_one()
        return filtered_action(
            self.env,
            "hc_integration_message_action",
            [("flow_id", "=", self.id)] + (domain or []),
            context or {},
        )

    def action_view_backlog(self):
        return self._action_messages([("state", "in", ("pending", "retry", "processing"))])

    def action_view_waiting(self):
        return self._action_messages([("state", "=", "waiting")])

    def action_view_all_messages(self):
        return self._action_messages()

    def action_view_exceptions(self):
        self.ensure_one()
        return filtered_action(
            self.env,
            "hc_integration_exception_action",
            [("flow_id", "=", self.id)],
            {"search_default_filter_open": 1},
        )

    def action_pause(self):
        self.write(
            {"paused": True, "paused_reason": self.env._("Paused by %s", self.env.user.name)}
        )

    def action_resume(self):
        self.write({"paused": False, "paused_reason": False})
        self.env["hc.integration.processor"]._wake_up()


def _describe_schema_error(error):
    """A JSON Schema error message that never repeats the offending value."""
    validator = error.validator
    if validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"required property missing: {', '.join(missing)}"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be of type {expected}"
    if validator == "enum":
        return "must be one of: " + ", ".join(map(str, error.validator_value))
    if validator in ("pattern", "format"):
        return f"does not match the expected {validator} ({error.validator_value})"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"must respect {validator} {error.validator_value}"
    if validator in ("minLength", "maxLength", "minItems", "maxItems"):
        return f"must respect {validator} {error.validator_value}"
    if validator == "multipleOf":
        return f"must be a multiple of {error.validator_value}"
    if validator == "additionalProperties":
        return "has properties that are not allowed"
    return f"fails the '{validator}' rule"
