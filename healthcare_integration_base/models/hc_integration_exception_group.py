from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from .hc_integration_exception import CATEGORIES

AGING_BUCKETS = [
    ("1_hour", "Under 1 hour"),
    ("2_day", "1 to 24 hours"),
    ("3_week", "1 to 7 days"),
    ("4_older", "Older than 7 days"),
]


class HcIntegrationExceptionGroup(models.Model):
    """One row per cause of open exceptions (cause key, flow, company), computed by
    PostgreSQL: the count, the oldest, its age against the flow's SLA. Resolvers work the
    group: map once, retry all, ignore all with one note.

    Its cost follows the number of causes, not of exceptions (issue 11: 100,000 open
    exceptions open the desk as fast as 1,000): the count comes from the per-cause summary
    the database keeps (``hc.integration.exception.cause.summary``), the oldest exception
    of each cause from one index lookup. Name, category, backend, mapping and assignee are
    the oldest exception's; its id is the group's, so a group keeps its id while it
    shrinks unless that exception itself is closed.
    """

    _name = "hc.integration.exception.group"
    _description = "Integration Exception Group"
    _auto = False
    _order = "urgency desc, oldest_at, id"
    _rec_name = "name"
    # flushed before the view is read, so a group reflects changes of this transaction
    _depends = {
        "hc.integration.exception": [
            "state",
            "cause_key",
            "flow_id",
            "company_id",
            "name",
            "category",
            "backend_id",
            "mapping_id",
            "user_id",
            "create_date",
        ],
        "hc.integration.flow": ["sla_minutes"],
    }

    name = fields.Char(readonly=True)
    cause_key = fields.Char(readonly=True)
    category = fields.Selection(CATEGORIES, readonly=True)
    flow_id = fields.Many2one("hc.integration.flow", readonly=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    mapping_id = fields.Many2one("hc.integration.mapping", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned to", readonly=True)
    exception_count = fields.Integer("Exceptions", readonly=True, aggregator="sum")
    oldest_at = fields.Datetime("Oldest since", readonly=True)
    age_minutes = fields.Integer("Age (minutes)", readonly=True, aggregator="max")
    sla_minutes = fields.Integer("SLA (minutes)", readonly=True, aggregator="min")
    urgency = fields.Float(
        readonly=True,
        aggregator="max",
        help="Age of the oldest exception divided by the flow's SLA (a day without SLA): "
        "an onboarding blocked for 2 hours comes before a payroll summary blocked for a day.",
    )
    aging_bucket = fields.Selection(AGING_BUCKETS, readonly=True)
    advice = fields.Char(
        compute="_compute_advice",
        help="For technical errors: whether the cause is the source and when to retry.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS
            WITH counted AS (
                SELECT s.cause_key, s.flow_id, s.company_id,
                       sum(s.exception_count)::int AS exception_count
                  FROM hc_integration_exception_cause_summary s
              GROUP BY s.cause_key, s.flow_id, s.company_id
                HAVING sum(s.exception_count) > 0
            ), grouped AS (
                SELECT o.id, c.cause_key, c.flow_id, c.company_id, o.name, o.category,
                       o.backend_id, o.mapping_id, o.user_id, c.exception_count,
                       o.create_date AS oldest_at
                  FROM counted c
            CROSS JOIN LATERAL (
                    SELECT e.id, e.name, e.category, e.backend_id, e.mapping_id, e.user_id,
                           e.create_date
                      FROM hc_integration_exception e
                     WHERE e.state = 'open'
                       AND coalesce(e.cause_key, '') = c.cause_key
                       AND coalesce(e.flow_id, 0) = coalesce(c.flow_id, 0)
                       AND coalesce(e.company_id, 0) = coalesce(c.company_id, 0)
                  ORDER BY e.create_date, e.id
                     LIMIT 1) o
            ), aged AS (
                SELECT g.*,
                       f.sla_minutes,
                       (EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - g.oldest_at) / 60)::int
                           AS age_minutes
                  FROM grouped g
             LEFT JOIN hc_integration_flow f ON f.id = g.flow_id
            )
            SELECT aged.*,
                   aged.age_minutes::float / COALESCE(NULLIF(aged.sla_minutes, 0), 1440)
                       AS urgency,
                   CASE WHEN aged.age_minutes < 60 THEN '1_hour'
                        WHEN aged.age_minutes < 1440 THEN '2_day'
                        WHEN aged.age_minutes < 10080 THEN '3_week'
                        ELSE '4_older' END AS aging_bucket
              FROM aged
            """
        )

    @api.depends(
        "category", "flow_id.circuit_state", "flow_id.pull_enabled", "flow_id.pull_failure_count"
    )
    def _compute_advice(self):
        for group in self:
            flow = group.flow_id.sudo()
            if group.category != "technical" or not flow:
                group.advice = False
            elif flow.circuit_state == "open":
                group.advice = self.env._(
                    "The cause is the source: %(flow)s is paused after repeated delivery "
                    "failures. Retry all after it recovers (the circuit closes again).",
                    flow=flow.name,
                )
            elif flow.pull_enabled and flow.pull_failure_count:
                group.advice = self.env._(
                    "The cause is the source: its pull failed %(count)s times in a row. "
                    "Retry all after a pull succeeds again.",
                    count=flow.pull_failure_count,
                )
            else:
                group.advice = self.env._(
                    "The source answers again: Retry all, or Ignore all with a note."
                )

    # ------------------------------------------------------------------------------------
    # The exceptions of a group
    # ------------------------------------------------------------------------------------
    def _get_exceptions_domain(self):
        self.ensure_one()
        return [
            ("state", "=", "open"),
            ("cause_key", "=", self.cause_key),
            ("flow_id", "=", self.flow_id.id),
            ("company_id", "=", self.company_id.id),
        ]

    def _get_exceptions(self):
        """The open exceptions of the groups, as the current user may see them."""
        exceptions = self.env["hc.integration.exception"]
        for group in self:
            exceptions |= exceptions.search(group._get_exceptions_domain())
        return exceptions

    # ------------------------------------------------------------------------------------
    # Group actions
    # ------------------------------------------------------------------------------------
    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "healthcare_integration_base.hc_integration_exception_action"
        )
        action.update(domain=self._get_exceptions_domain(), context={})
        return action

    def action_retry_all(self):
        """Retry every message of the groups (after the source recovered)."""
        return self._get_exceptions().action_retry()

    def action_ignore_all(self):
        """Ignore every exception of the groups with one note (the wizard asks for it)."""
        exceptions = self._get_exceptions()
        if not exceptions:
            raise UserError(self.env._("These groups have no open exception left."))
        return exceptions.action_ignore()

    def action_map_value(self):
        """Map the group's code once: saving re-queues every message that waited for it."""
        self.ensure_one()
        if not self.mapping_id:
            raise UserError(self.env._("This group is not about a missing mapping."))
        return self._get_exceptions()[:1].action_map_value()

    def action_replay_paced(self):
        """Retry every message of the groups at the configured pace (managers)."""
        batch = self.env["hc.integration.replay.batch"]._hc_create_for(
            self._get_exceptions().message_id
        )
        return batch._hc_open()

    def action_assign(self):
        """Assign the groups to a person: one activity per group."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Assign"),
            "res_model": "hc.integration.exception.group.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _hc_assign(self, user):
        for group in self:
            exceptions = group._get_exceptions()
            exceptions.check_access("write")
            exceptions._hc_assign_group(user)

    @api.model
    def _hc_group_counts(self, domain=None):
        """``{cause_key: count}`` of open exceptions, read in one grouped query."""
        rows = self._read_group(domain or [], ["cause_key"], ["exception_count:sum"])
        return dict(rows)
