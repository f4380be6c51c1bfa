from odoo import api, models

# hire received → user active: from the occurred_at of the first upsert of an employee to
# the creation of its (active) user, for users created in the last 24 hours
HIRE_TO_USER_SQL = """
    WITH hires AS (
        SELECT link.res_id AS employee_id, min(message.occurred_at) AS occurred_at
          FROM hc_integration_message message
          JOIN hc_integration_flow flow ON flow.id = message.flow_id
          JOIN hc_integration_message_link link
            ON link.message_id = message.id AND link.res_model = 'hr.employee'
         WHERE flow.event_type = 'employee.upsert' AND message.occurred_at IS NOT NULL
      GROUP BY link.res_id
    )
    SELECT count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY elapsed)
      FROM (
            SELECT EXTRACT(EPOCH FROM users.create_date - hires.occurred_at) AS elapsed
              FROM hires
              JOIN hr_employee employee ON employee.id = hires.employee_id
              JOIN res_users users ON users.id = employee.user_id AND users.active
             WHERE users.create_date >= (now() AT TIME ZONE 'UTC') - interval '24 hours'
               AND users.create_date >= hires.occurred_at
           ) AS chain
"""


class HcIntegrationMetrics(models.AbstractModel):
    _inherit = "hc.integration.metrics"

    @api.model
    def _hc_business_chains(self):
        chains = super()._hc_business_chains()
        self.env.flush_all()
        self.env.cr.execute(HIRE_TO_USER_SQL)
        count, p50, p95 = self.env.cr.fetchone()
        if count:
            chains["hire_to_user_active"] = (count, float(p50), float(p95))
        return chains

    @api.model
    def _hc_business_chain_starts(self):
        starts = super()._hc_business_chain_starts()
        starts["hire_to_user_active"] = ("employee.upsert", self.env._("Hire → user active"))
        return starts
