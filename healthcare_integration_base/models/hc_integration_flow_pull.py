from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.actions import reload_notice

PULL_CRON_XMLID = "healthcare_integration_base.ir_cron_pull"


# hc.integration.flow is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """Scheduled pulls of an inbound flow: where to fetch from and how often, and the state
    of the runs (cursor, watermark, failures). The runs themselves are
    ``hc.integration.puller``'s."""

    _inherit = "hc.integration.flow"

    # --- settings --------------------------------------------------------------------------
    pull_enabled = fields.Boolean(tracking=True)
    pull_interval_minutes = fields.Integer(string="Pull every (min)", default=15)
    pull_endpoint = fields.Char(help="Path appended to the backend's base URL.")
    pull_page_size = fields.Integer(default=100)
    pull_overlap_seconds = fields.Integer(
        string="Watermark overlap (s)",
        default=120,
        help="Each pull starts this much before the last watermark, for clock skew; "
        "duplicates are dropped by event id.",
    )
    # --- runtime state ---------------------------------------------------------------------
    pull_cursor = fields.Char(copy=False, help="Next page cursor of an interrupted pull.")
    pull_watermark = fields.Datetime(copy=False, help="Items up to this time are queued.")
    pull_next_at = fields.Datetime(string="Next pull", copy=False)
    pull_last_at = fields.Datetime(string="Last pull", copy=False, readonly=True)
    pull_last_error = fields.Text(copy=False, readonly=True)
    pull_failure_count = fields.Integer(
        string="Consecutive pull failures",
        copy=False,
        readonly=True,
        help="Reset by a successful pull. An alert is raised when failures persist.",
    )
    pull_run_started_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="Start of the pull in progress; it becomes the watermark once its last page "
        "is queued.",
    )
    pull_last_summary = fields.Char(string="Last pull result", copy=False, readonly=True)

    @api.constrains("pull_enabled", "pull_interval_minutes")
    def _check_pull_interval(self):
        for flow in self:
            if flow.pull_enabled and flow.pull_interval_minutes < 1:
                raise ValidationError(self.env._("Pull at most once a minute."))

    def action_pull_now(self):
        """Make the flows due and wake the pull cron: it runs within seconds, in the
        background, with the same paging, commits and error handling as scheduled pulls
        (so a pull is never run twice at once, nor inside this request)."""
        self.check_access("write")
        flows = self.filtered(lambda f: f.direction == "inbound" and f.pull_enabled)
        if not flows:
            raise UserError(self.env._("Only inbound flows with scheduled pulls can be pulled."))
        flows.write({"pull_next_at": fields.Datetime.now()})
        self.env.ref(PULL_CRON_XMLID).sudo()._trigger()
        return reload_notice(
            self.env._("Pull requested: it starts within a few seconds. Reload to see its result.")
        )
