from odoo import api, fields, models


# hc.integration.exception is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationException(models.Model):
    """The cause of an exception as one stored, indexed key, so the desk groups hundreds of
    exceptions of one cause (a new department code, a payer rejecting claims, an outage)
    in the database instead of listing them one by one.

    Keys: ``mapping:<type>:<code>`` for a missing mapping, ``payer:<partner id>`` for a
    payer's rejection (flow addons set it through :meth:`_hc_cause_key`), ``source:<flow>``
    for technical errors while the flow's pull keeps failing, else
    ``error:<category>:<flow>``. Groups are also split by flow and company (see
    ``hc.integration.exception.group``) so record rules keep applying.
    """

    _inherit = "hc.integration.exception"

    cause_key = fields.Char(
        compute="_compute_cause_key",
        store=True,
        index=True,
        readonly=True,
        help="Exceptions with the same cause share this key and are resolved as one group.",
    )

    def init(self):
        result = super().init()
        # the desk reads only open exceptions, grouped by cause: a partial index keeps that
        # cheap with a large history of resolved ones
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS hc_integration_exception_open_cause_idx
                ON hc_integration_exception (cause_key, flow_id, company_id, create_date)
             WHERE state = 'open'
            """
        )
        return result

    @api.depends("category", "flow_id", "mapping_id.mapping_type", "mapping_id.external_code")
    def _compute_cause_key(self):
        for exception in self:
            exception.cause_key = exception._hc_cause_key()

    def _hc_cause_key(self):
        """The cause of this exception; flow addons extend it with ``super()``."""
        self.ensure_one()
        mapping = self.mapping_id
        if self.category == "mapping" and mapping:
            return f"mapping:{mapping.mapping_type}:{mapping.external_code}"
        flow = self.flow_id
        if self.category == "technical" and flow.pull_enabled and flow.pull_failure_count:
            return f"source:{flow.id}"
        return f"error:{self.category}:{flow.id or 0}"
