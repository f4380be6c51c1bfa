from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

REPLAYABLE_STATES = ("exception", "retry", "waiting")
DEFAULT_PACE = 100


class HcIntegrationReplayBatch(models.Model):
    """Replay many messages after an outage at a pace the destination can take.

    A cron releases at most ``pace_per_minute`` messages per minute back to the queue;
    each message keeps its own outcome (its state). A line is released once: a message
    already done, cancelled or processing when its turn comes is skipped, and the same
    message cannot be in a batch twice, so nothing is applied twice.
    """

    _name = "hc.integration.replay.batch"
    _description = "Paced Replay"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("Replay"))
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    pace_per_minute = fields.Integer(
        required=True,
        default=lambda self: int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("hc_integration.replay_pace_per_minute", DEFAULT_PACE)
        ),
        help="Messages released to the queue per minute.",
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("cancelled", "Cancelled")],
        default="running",
        required=True,
        readonly=True,
    )
    line_ids = fields.One2many("hc.integration.replay.line", "batch_id", readonly=True)
    last_release_at = fields.Datetime(readonly=True)
    total_count = fields.Integer(compute="_compute_progress")
    released_count = fields.Integer(compute="_compute_progress")
    skipped_count = fields.Integer(compute="_compute_progress")
    done_count = fields.Integer(compute="_compute_progress", string="Messages done")
    failed_count = fields.Integer(compute="_compute_progress", string="Messages failing again")
    progress = fields.Float(compute="_compute_progress", help="Share of lines released or skipped.")

    @api.depends("line_ids.state", "line_ids.message_state")
    def _compute_progress(self):
        # counted in the database: a batch can hold thousands of lines
        self.env["hc.integration.replay.line"].flush_model(["batch_id", "state", "message_id"])
        self.env["hc.integration.message"].flush_model(["state"])
        self.env.cr.execute(
            """
            SELECT line.batch_id, line.state, message.state, count(*)
              FROM hc_integration_replay_line line
              JOIN hc_integration_message message ON message.id = line.message_id
             WHERE line.batch_id = ANY(%s)
          GROUP BY line.batch_id, line.state, message.state
            """,
            [[batch_id for batch_id in self.ids if isinstance(batch_id, int)]],
        )
        counts = {(row[0], row[1], row[2]): row[3] for row in self.env.cr.fetchall()}
        for batch in self:
            mine = {k[1:]: v for k, v in counts.items() if k[0] == batch.id}
            total = sum(mine.values())
            by_state = {}
            for (state, _message_state), count in mine.items():
                by_state[state] = by_state.get(state, 0) + count
            batch.total_count = total
            batch.released_count = by_state.get("released", 0)
            batch.skipped_count = by_state.get("skipped", 0)
            batch.done_count = mine.get(("released", "done"), 0)
            batch.failed_count = mine.get(("released", "exception"), 0)
            handled = batch.released_count + batch.skipped_count
            batch.progress = 100.0 * handled / total if total else 100.0

    @api.model
    def _hc_create_for(self, messages, pace=None, name=None):
        """A running batch of the replayable ``messages`` (each once)."""
        messages = messages.filtered(lambda m: m.state in REPLAYABLE_STATES)
        if not messages:
            raise UserError(self.env._("None of these messages waits for a retry."))
        values = {"name": name or self.env._("Replay of %s message(s)", len(messages))}
        if pace:
            values["pace_per_minute"] = pace
        values["line_ids"] = [
            fields.Command.create({"message_id": message.id, "sequence": index})
            for index, message in enumerate(messages.sorted("id"))
        ]
        batch = self.create(values)
        self.env.ref("healthcare_integration_base.ir_cron_replay_batches")._trigger()
        return batch

    @api.model
    def _cron_release(self):
        """Release the next slice of every running batch whose minute has passed."""
        now = fields.Datetime.now()
        due = self.search(
            [
                ("state", "=", "running"),
                "|",
                ("last_release_at", "=", False),
                ("last_release_at", "<=", now - timedelta(seconds=59)),
            ]
        )
        for batch in due:
            batch._release_next(now)

    def _release_next(self, now):
        self.ensure_one()
        lines = self.env["hc.integration.replay.line"].search(
            [("batch_id", "=", self.id), ("state", "=", "queued")],
            order="sequence, id",
            limit=max(1, self.pace_per_minute),
        )
        todo = lines.filtered(lambda line: line.message_id.state in REPLAYABLE_STATES)
        (lines - todo).write({"state": "skipped", "released_at": now})
        if todo:
            todo.message_id.sudo()._requeue(
                self.env._("paced replay %s", self.name), actor_type="user"
            )
            todo.write({"state": "released", "released_at": now})
        self.last_release_at = now
        if not self.env["hc.integration.replay.line"].search_count(
            [("batch_id", "=", self.id), ("state", "=", "queued")], limit=1
        ):
            self.state = "done"

    def _hc_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_cancel(self):
        self.filtered(lambda b: b.state == "running").write({"state": "cancelled"})


class HcIntegrationReplayLine(models.Model):
    _name = "hc.integration.replay.line"
    _description = "Paced Replay Line"
    _order = "sequence, id"

    batch_id = fields.Many2one(
        "hc.integration.replay.batch", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    message_id = fields.Many2one(
        "hc.integration.message", required=True, ondelete="cascade", index=True
    )
    message_state = fields.Selection(related="message_id.state", string="Outcome")
    state = fields.Selection(
        [("queued", "Waiting its turn"), ("released", "Released"), ("skipped", "Skipped")],
        default="queued",
        required=True,
        index=True,
    )
    released_at = fields.Datetime()

    _sql_constraints = [
        (
            "message_once_uniq",
            "unique(batch_id, message_id)",
            "A message is replayed once per batch.",
        )
    ]
