from odoo import api, models

#: A leaver's open work in optional apps: (model, domain on the leaver's user, the field
#: that names the person who must act). Only installed apps are looked at.
OPEN_WORK = (
    (
        "hr.expense.sheet",
        lambda user: [("user_id", "=", user.id), ("state", "=", "submit")],
        "user_id",
    ),
    (
        "purchase.order",
        lambda user: [("user_id", "=", user.id), ("state", "in", ("draft", "sent", "to approve"))],
        "user_id",
    ),
)


# hc.hr.sync is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcHrSync(models.AbstractModel):
    """A leaver's open work in the apps that are installed (expense reports they approve,
    purchase orders they buy), listed in the leaver exception and handed to their manager
    in one audited action. Timesheet validation is not in Odoo Community: nothing to list
    for it unless an app adds it (extend :data:`OPEN_WORK`)."""

    _inherit = "hc.hr.sync"

    @api.model
    def _leaver_open_work(self, user):
        """``[(label, records, field)]`` of the open work ``user`` must act on."""
        labels = {
            "hr.expense.sheet": self.env._("expense reports to approve"),
            "purchase.order": self.env._("purchase orders awaiting their approval"),
        }
        items = []
        for model, domain, field_name in OPEN_WORK:
            if model not in self.env or not user:
                continue
            records = self.env[model].sudo().search(domain(user))
            if records:
                items.append((labels.get(model, model), records, field_name))
        return items

    @api.model
    def _leaver_followups(self, employee):
        items = super()._leaver_followups(employee)
        for label, records, _field in self._leaver_open_work(employee.user_id):
            items.append((label, len(records), records))
        return items

    @api.model
    def _hand_to_manager(self, employee, exception=None):
        """Give the leaver's open work and approver roles to their manager's user (audited).
        Returns ``{label: count}``; raises when the manager has no user."""
        manager_user = employee.sudo().parent_id.user_id
        if not manager_user:
            return None
        leaver_user = employee.sudo().user_id
        handed = {}
        for label, records, field_name in self._leaver_open_work(leaver_user):
            records.write({field_name: manager_user.id})
            handed[label] = len(records)
        approver_fields = [
            name
            for name in ("leave_manager_id", "expense_manager_id", "attendance_manager_id")
            if name in self.env["hr.employee"]._fields
        ]
        for name in approver_fields:
            approved = self.env["hr.employee"].sudo().search([(name, "=", leaver_user.id)])
            if approved:
                approved._hc_hr_sync_env().write({name: manager_user.id})
                handed[name] = len(approved)
        self.env["hc.integration.audit"]._log(
            "hr.leaver.handover",
            f"employee #{employee.id}: open work handed to user #{manager_user.id} by user "
            f"#{self.env.uid} ("
            + ", ".join(f"{count} {label}" for label, count in handed.items())
            + ")",
            message=exception.message_id if exception else None,
            record=employee,
            backend=employee.sudo().hc_backend_id,
            actor_type="user",
        )
        return handed
