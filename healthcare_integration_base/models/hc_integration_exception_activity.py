from odoo import models

ACTIVITY_TYPE = "healthcare_integration_base.mail_activity_type_exception"


class HcIntegrationException(models.Model):
    """One activity per cause group, not per exception: 300 messages failing on one new
    department code give the resolver one to-do, on the group's oldest open exception
    (the group's id on the desk), which says how many exceptions it stands for."""

    _inherit = "hc.integration.exception"

    def _hc_group_siblings(self):
        """The other open exceptions of this exception's cause group."""
        self.ensure_one()
        return self.sudo().search(
            [
                ("id", "!=", self.id),
                ("state", "=", "open"),
                ("cause_key", "=", self.cause_key),
                ("flow_id", "=", self.flow_id.id),
                ("company_id", "=", self.company_id.id),
            ]
        )

    def _hc_schedule_activity(self, user, note):
        siblings = self._hc_group_siblings()
        if siblings.filtered("activity_ids"):
            return
        super()._hc_schedule_activity(user, note)

    def _close(self, state, note):
        """Closing a group's activity holder hands the to-do to an exception still open."""
        holders = self.sudo().filtered(lambda e: e.state == "open" and e.activity_ids)
        handover = [(e, e.activity_ids[:1].user_id, e.description) for e in holders]
        result = super()._close(state, note)
        for exception, user, description in handover:
            siblings = exception._hc_group_siblings()
            if siblings and not siblings.filtered("activity_ids"):
                siblings[:1]._hc_schedule_activity(user, description)
        return result

    def _hc_assign_group(self, user):
        """Assign the whole group (these exceptions) to ``user`` with one activity."""
        exceptions = self.sudo().with_context(tracking_disable=True)
        exceptions.write({"user_id": user.id})
        activities = exceptions.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ACTIVITY_TYPE)
        )
        if activities:
            activities[:1].write({"user_id": user.id})
            activities[1:].unlink()
            return
        holder = exceptions.sorted("id")[:1]
        if holder:
            super(HcIntegrationException, holder)._hc_schedule_activity(
                user,
                self.env._(
                    "%(count)s exception(s) of one cause: %(name)s",
                    count=len(exceptions),
                    name=holder.name,
                ),
            )
