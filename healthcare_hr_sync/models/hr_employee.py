import logging

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

#: Context sentinel the HR handlers set to write HRIS-owned fields. An object cannot be sent
#: over RPC, so only model code can bypass the field ownership guard.
HRIS_SYNC = object()
EMPLOYEE_TYPE = "employee"
UPSERT_HANDLER = "hc.hr.handler.employee.upsert"
MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"
#: Approver fields of optional apps that follow the hierarchy (the manager's user).
APPROVER_FIELDS = ("leave_manager_id", "expense_manager_id", "attendance_manager_id")


class HrEmployee(models.Model):
    """Employees synchronised from an HRIS.

    The HRIS is the system of record for identity, status, manager, department, job, cost
    centre, location and credentials: on a synced employee (bound to an HRIS, not
    detached) those fields are read-only in the form and writes to them outside the sync
    are refused. An Integration Manager can detach an employee from the sync (audited).
    """

    _name = "hr.employee"
    _inherit = ["hr.employee", "hc.integration.linked.mixin"]

    # tracked so that transfers leave their previous values in the chatter
    work_location_id = fields.Many2one(tracking=True)
    parent_id = fields.Many2one(tracking=True)
    employee_type = fields.Selection(
        selection_add=[("agency", "Agency staff")],
        ondelete={"agency": lambda records: records.write({"employee_type": "contractor"})},
    )
    hc_backend_id = fields.Many2one(
        "hc.integration.backend",
        string="HRIS",
        readonly=True,
        copy=False,
        index=True,
        groups="hr.group_hr_user",
    )
    hc_external_id = fields.Char(
        string="HRIS ID", readonly=True, copy=False, index=True, groups="hr.group_hr_user"
    )
    hc_last_event_at = fields.Datetime(
        string="Last HRIS event", readonly=True, copy=False, groups="hr.group_hr_user"
    )
    hc_detached = fields.Boolean(
        string="Detached from sync", readonly=True, copy=False, groups="hr.group_hr_user"
    )
    hc_sync_state = fields.Selection(
        [
            ("not_synced", "Not synchronised"),
            ("synced", "Managed by the HRIS"),
            ("detached", "Detached from the HRIS"),
        ],
        string="Sync state",
        compute="_compute_hc_sync_state",
        store=True,
        index=True,
    )
    hc_hris_status = fields.Selection(
        [("active", "Active"), ("leave", "On leave"), ("terminated", "Terminated")],
        string="HRIS status",
        readonly=True,
        copy=False,
        tracking=True,
        groups="hr.group_hr_user",
    )
    hc_hire_date = fields.Date(string="Hire date", copy=False, groups="hr.group_hr_user")
    hc_cost_center_id = fields.Many2one(
        "account.analytic.account",
        string="Cost centre",
        tracking=True,
        check_company=True,
        groups="hr.group_hr_user",
    )
    hc_agency_partner_id = fields.Many2one(
        "res.partner",
        string="Agency",
        tracking=True,
        help="The staffing agency (vendor) of agency staff and contractors.",
        groups="hr.group_hr_user",
    )
    hc_role_mapping_ids = fields.Many2many(
        "hc.integration.mapping",
        "hc_hr_employee_role_mapping_rel",
        "employee_id",
        "mapping_id",
        string="HRIS roles",
        domain=[("mapping_type", "=", "role")],
        readonly=True,
        copy=False,
        groups="hr.group_hr_user",
    )
    hc_user_managed = fields.Boolean(
        string="User managed by the sync",
        readonly=True,
        copy=False,
        help="The user was provisioned by the HR sync: its role groups follow the HRIS.",
        groups="hr.group_hr_user",
    )
    hc_applied_group_ids = fields.Many2many(
        "res.groups",
        "hc_hr_employee_applied_group_rel",
        "employee_id",
        "group_id",
        string="Groups from roles",
        readonly=True,
        copy=False,
        groups="hr.group_hr_user",
    )
    hc_credential_ids = fields.One2many(
        "hc.hr.credential", "employee_id", string="Credentials", groups="hr.group_hr_user"
    )
    hc_credential_count = fields.Integer(
        compute="_compute_hc_credential_count", groups="hr.group_hr_user"
    )
    hc_access_restricted = fields.Boolean(
        string="Access restricted",
        readonly=True,
        copy=False,
        tracking=True,
        groups="hr.group_hr_user",
    )
    hc_restriction_reason = fields.Char(
        string="Restriction reason", readonly=True, copy=False, groups="hr.group_hr_user"
    )

    def init(self):
        # the HR sync checks on every event that no other employee has the work e-mail
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS hc_hr_employee_work_email_lower_idx "
            "ON hr_employee (lower(work_email))"
        )

    @api.depends("hc_backend_id", "hc_external_id", "hc_detached")
    def _compute_hc_sync_state(self):
        for employee in self.sudo():
            if not (employee.hc_backend_id and employee.hc_external_id):
                employee.hc_sync_state = "not_synced"
            else:
                employee.hc_sync_state = "detached" if employee.hc_detached else "synced"

    def _compute_hc_credential_count(self):
        counts = dict(
            self.env["hc.hr.credential"]._read_group(
                [("employee_id", "in", self.ids)], ["employee_id"], ["__count"]
            )
        )
        for employee in self:
            employee.hc_credential_count = counts.get(employee, 0)

    # ------------------------------------------------------------------------------------
    # Field ownership
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_hris_owned_fields(self):
        """Fields the HRIS owns on synced employees (override to extend)."""
        return {
            "name",
            "work_email",
            "work_phone",
            "job_id",
            "job_title",
            "department_id",
            "parent_id",
            "work_location_id",
            "employee_type",
            "hc_cost_center_id",
            "hc_agency_partner_id",
            "hc_hire_date",
            "hc_hris_status",
            "hc_role_mapping_ids",
            "active",
            "departure_date",
            "hc_backend_id",
            "hc_external_id",
            "hc_detached",
        }

    def _hc_hr_sync_env(self):
        """These records, allowed to write HRIS-owned fields (model code only)."""
        return self.with_context(hc_hr_sync=HRIS_SYNC)

    def _hc_hr_in_sync(self):
        return self.env.context.get("hc_hr_sync") is HRIS_SYNC

    def _hc_changed_owned_fields(self, vals):
        """HRIS-owned fields in ``vals`` whose value differs on a synced record of ``self``."""
        owned = self._hc_hris_owned_fields().intersection(vals)
        if not owned:
            return set()
        changed = set()
        for employee in self.sudo().filtered(lambda e: e.hc_sync_state == "synced"):
            for name in owned - changed:
                field = self._fields[name]
                if field.type in ("one2many", "many2many"):
                    changed.add(name)
                    continue
                new = field.convert_to_record(
                    field.convert_to_cache(vals[name], employee), employee
                )
                if new != employee[name] and (new or employee[name]):
                    changed.add(name)
        return changed

    def write(self, vals):
        if not self._hc_hr_in_sync():
            changed = self._hc_changed_owned_fields(vals)
            if changed:
                labels = sorted(
                    self._fields[name].get_description(self.env)["string"] for name in changed
                )
                raise UserError(
                    self.env._(
                        "%(fields)s of this employee are managed by the HRIS: change them in the "
                        "HRIS, they will follow here. An Integration Manager can detach the "
                        "employee from the sync to edit them in Odoo.",
                        fields=", ".join(labels),
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_synced(self):
        if not self._hc_hr_in_sync() and self.sudo().filtered(
            lambda e: e.hc_sync_state == "synced"
        ):
            raise UserError(
                self.env._(
                    "This employee is managed by the HRIS and cannot be deleted in Odoo. "
                    "Terminate them in the HRIS, or detach them from the sync first."
                )
            )

    # ------------------------------------------------------------------------------------
    # Detach / re-attach (Integration Managers, audited)
    # ------------------------------------------------------------------------------------
    def _hc_check_integration_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only Integration Managers can detach employees from the HRIS sync.")
            )

    def action_hc_detach(self):
        """Stop the sync from updating these employees; their HRIS fields become editable."""
        self._hc_check_integration_manager()
        self.check_access("write")
        todo = self.sudo().filtered(lambda e: e.hc_sync_state == "synced")
        if not todo:
            raise UserError(self.env._("Only employees managed by the HRIS can be detached."))
        self._hc_set_detached(todo, True)
        return True

    def action_hc_attach(self):
        """Hand these employees back to the HRIS: its next event applies again."""
        self._hc_check_integration_manager()
        self.check_access("write")
        todo = self.sudo().filtered(lambda e: e.hc_sync_state == "detached")
        if not todo:
            raise UserError(self.env._("Only detached employees can be re-attached."))
        self._hc_set_detached(todo, False)
        return True

    def _hc_set_detached(self, employees, detached):
        bindings = self.env["hc.integration.binding"]._bindings_of(employees, EMPLOYEE_TYPE)
        bindings.sudo().write({"detached": detached})
        employees._hc_hr_sync_env().write({"hc_detached": detached})
        action = "hr.employee.detach" if detached else "hr.employee.attach"
        for employee in employees:
            self.env["hc.integration.audit"]._log(
                action,
                f"employee #{employee.id} {'detached from' if detached else 're-attached to'} "
                f"the HRIS sync by user #{self.env.uid}",
                record=employee,
                backend=employee.hc_backend_id,
                actor_type="user",
            )
            employee.message_post(
                body=(
                    self.env._("Detached from the HRIS sync by %s.", self.env.user.name)
                    if detached
                    else self.env._("Re-attached to the HRIS sync by %s.", self.env.user.name)
                ),
                subtype_xmlid="mail.mt_note",
            )

    def action_hc_view_credentials(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "healthcare_hr_sync.hc_hr_credential_action"
        )
        action["domain"] = [("employee_id", "=", self.id)]
        action["context"] = {"default_employee_id": self.id}
        return action

    # ------------------------------------------------------------------------------------
    # Settings, responsible person
    # ------------------------------------------------------------------------------------
    def _hc_hr_identity_flow(self):
        """The flow whose HR settings apply to this employee (its backend's upsert flow)."""
        self.ensure_one()
        backend = self.sudo().hc_backend_id
        flow_id = self._hc_hr_identity_flow_id(backend.id) if backend else None
        return self.env["hc.integration.flow"].sudo().browse(flow_id or [])

    @api.model
    @tools.ormcache("backend_id")
    def _hc_hr_identity_flow_id(self, backend_id):
        """Cached (read on every event); cleared when flows are created, removed or change
        handler, backend or activity (see ``hc.integration.flow``)."""
        flow = (
            self.env["hc.integration.flow"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [("backend_id", "=", backend_id), ("handler_model", "=", UPSERT_HANDLER)],
                order="active desc, id",
                limit=1,
            )
        )
        return flow.id or None

    def _hc_hr_settings(self):
        return self._hc_hr_settings_of(self._hc_hr_identity_flow())

    @api.model
    def _hc_hr_backend_settings(self, backend):
        """The HR settings of ``backend`` (for an employee not created yet)."""
        flow_id = self._hc_hr_identity_flow_id(backend.id)
        return self._hc_hr_settings_of(self.env["hc.integration.flow"].sudo().browse(flow_id or []))

    @api.model
    def _hc_hr_settings_of(self, flow):
        return {
            "flow": flow,
            "provision": bool(flow.hr_provision_users),
            "invitation": flow.hr_user_invitation or "invite",
            "leave_policy": flow.hr_leave_policy or "keep_user",
            "credential_policy": flow.hr_credential_policy or "restrict_groups",
            "detached_leaver_policy": flow.hr_detached_leaver_policy or "revoke",
        }

    def _hc_hr_responsible_user(self):
        """Who receives HR activities about this employee: the HR flow's responsible user,
        else the one in the settings, else the administrator."""
        self.ensure_one()
        flow = self._hc_hr_identity_flow()
        if flow.responsible_user_id:
            return flow.responsible_user_id
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("healthcare_hr_sync.responsible_user_id")
        )
        user = self.env["res.users"].sudo().browse(int(param)).exists() if param else None
        return user or self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user

    # ------------------------------------------------------------------------------------
    # Credentials and access
    # ------------------------------------------------------------------------------------
    def _hc_hr_credential_issues(self, today=None):
        """``[(credential type, reason)]`` for each credential the job requires and the
        employee lacks (missing, expired, suspended, revoked, pending)."""
        self.ensure_one()
        employee = self.sudo()
        today = today or self.env["hc.hr.credential"]._hc_today()
        issues = []
        for credential_type in employee.job_id.hc_required_credential_type_ids:
            held = employee.hc_credential_ids.filtered(lambda c, t=credential_type: c.type_id == t)
            if not held:
                issues.append((credential_type, "missing"))
            elif not any(credential._hc_is_valid(today) for credential in held):
                latest = held.sorted(lambda c: (c.expires_on or fields.Date.today(), c.id))[-1]
                expired = latest.expires_on and latest.expires_on < today
                issues.append((credential_type, "expired" if expired else latest.status))
        return issues

    def _hc_hr_current_message(self):
        message_id = self.env.context.get("hc_message_id")
        return self.env["hc.integration.message"].sudo().browse(message_id) if message_id else None

    def _hc_hr_sync_access(self):
        """Bring restriction state and user access in line with status, policies and
        credentials; audit every restriction and restoration."""
        today = self.env["hc.hr.credential"]._hc_today()
        message = self._hc_hr_current_message()
        for employee in self.sudo().with_context(active_test=False):
            if not employee.exists():
                continue
            settings = employee._hc_hr_settings()
            terminated = not employee.active or employee.hc_hris_status == "terminated"
            issues = [] if terminated else employee._hc_hr_credential_issues(today)
            reason = "; ".join(f"{ctype.code} {why}" for ctype, why in issues)
            was_restricted = employee.hc_access_restricted
            if bool(issues) != was_restricted or (
                issues and reason != employee.hc_restriction_reason
            ):
                employee._hc_hr_sync_env().write(
                    {"hc_access_restricted": bool(issues), "hc_restriction_reason": reason or False}
                )
                if issues:
                    employee._hc_hr_on_restricted(reason, settings, message, was_restricted)
                elif not terminated:
                    employee._hc_hr_on_restored(message)
            employee._hc_hr_apply_user_access(settings)

    def _hc_hr_on_restricted(self, reason, settings, message, was_restricted):
        self.env["hc.integration.audit"]._log(
            "hr.access.restricted",
            f"employee #{self.id}: access restricted ({reason}); policy "
            f"{settings['credential_policy']}",
            message=message,
            record=self,
            backend=self.hc_backend_id,
        )
        if was_restricted:
            return
        if self.hc_sync_state == "synced":
            consequence = self.env._(
                "Their access was restricted (%s).",
                dict(
                    self.env["hc.integration.flow"]
                    ._fields["hr_credential_policy"]
                    ._description_selection(self.env)
                ).get(settings["credential_policy"]),
            )
        else:
            consequence = self.env._(
                "Their user was not changed: the employee is not managed by the HRIS sync."
            )
        description = self.env._(
            "%(employee)s no longer holds a valid credential required by the job "
            "%(job)s (%(reason)s). %(consequence)s Obtain the renewal: access is restored "
            "automatically when a valid credential arrives.",
            employee=self.name,
            job=self.job_id.name,
            reason=reason,
            consequence=consequence,
        )
        if message:
            self.env["hc.integration.exception"]._hc_hr_open_followup(
                message,
                "credential_restriction",
                self.env._("Access restricted: required credential lapsed"),
                description,
                record=self,
            )
        self.activity_schedule(
            "healthcare_hr_sync.mail_activity_type_access_restricted",
            summary=self.env._("Access restricted: required credential lapsed"),
            note=description,
            user_id=self._hc_hr_responsible_user().id,
        )

    def _hc_hr_on_restored(self, message):
        self.env["hc.integration.audit"]._log(
            "hr.access.restored",
            f"employee #{self.id}: access restored (required credentials valid)",
            message=message,
            record=self,
            backend=self.hc_backend_id,
        )
        note = self.env._("Required credentials are valid again: access restored.")
        self.env["hc.integration.exception"].sudo().search(
            [
                ("hc_hr_kind", "=", "credential_restriction"),
                ("res_model", "=", "hr.employee"),
                ("res_id", "=", self.id),
                ("state", "=", "open"),
            ]
        )._close("resolved", note)
        self.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("healthcare_hr_sync.mail_activity_type_access_restricted")
            )
        ).action_feedback(feedback=note)

    def _hc_hr_role_groups(self):
        groups = self.env["res.groups"]
        for mapping in self.sudo().hc_role_mapping_ids:
            groups |= mapping._get_target() or groups
        return groups

    def _hc_hr_apply_user_access(self, settings):
        """Active flag and role groups of the linked user (see the README for the rules)."""
        self.ensure_one()
        user = self.user_id.sudo().with_context(active_test=False)
        if not user:
            return
        if not self.active or self.hc_hris_status == "terminated":
            self._hc_hr_revoke_user(user, reason="termination")
            return
        if self.hc_sync_state != "synced":
            return  # only the users of synced employees follow the HRIS
        restricted = self.hc_access_restricted
        policy = settings["credential_policy"]
        if self.hc_user_managed:
            wanted = (
                self.env["res.groups"]
                if restricted and policy == "restrict_groups"
                else (self._hc_hr_role_groups())
            )
            self._hc_hr_apply_groups(user, wanted)
        not_started = bool(self.hc_access_starts_at)  # future hire: enabled on the date
        on_leave = self.hc_hris_status == "leave" and settings["leave_policy"] == "deactivate_user"
        want_active = (
            not not_started
            and not on_leave
            and not (restricted and (policy == "deactivate_user" or not self.hc_user_managed))
        )
        if want_active and not user.active:
            user.write({"active": True})
            self.env["hc.integration.audit"]._log(
                "hr.user.reactivated",
                f"user #{user.id} of employee #{self.id} reactivated",
                message=self._hc_hr_current_message(),
                record=self,
                backend=self.hc_backend_id,
            )
        elif not want_active and user.active:
            reason = "not started" if not_started else "leave" if on_leave else "credential"
            self._hc_hr_revoke_user(user, reason=reason)

    def _hc_hr_apply_groups(self, user, wanted):
        """Add the role groups, remove those (and what they implied) that roles no longer
        give; groups given by other means stay."""
        base_groups = self.env.ref("base.group_user")
        keep = base_groups | base_groups.trans_implied_ids | wanted | wanted.trans_implied_ids
        previous = self.hc_applied_group_ids
        to_remove = (previous | previous.trans_implied_ids) - keep
        to_remove &= user.groups_id
        to_add = wanted - user.groups_id
        if to_add or to_remove:
            commands = [(3, group.id) for group in to_remove] + [(4, group.id) for group in to_add]
            user.write({"groups_id": commands})
            self.env["hc.integration.audit"]._log(
                "hr.user.groups",
                f"user #{user.id} of employee #{self.id}: groups +{len(to_add)} -{len(to_remove)}"
                + (" (access restricted)" if self.hc_access_restricted else ""),
                message=self._hc_hr_current_message(),
                record=self,
                backend=self.hc_backend_id,
            )
        if previous != wanted:
            self._hc_hr_sync_env().write({"hc_applied_group_ids": [(6, 0, wanted.ids)]})

    def _hc_hr_revoke_user(self, user, reason):
        """Deactivate the user; on termination also delete its API keys (same transaction)."""
        keys = self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)])
        revoke_keys = reason == "termination"
        if not user.active and not (revoke_keys and keys):
            return
        if user.active:
            user.write({"active": False})
        removed = 0
        if revoke_keys and keys:
            removed = len(keys)
            keys.unlink()
        self.env["hc.integration.audit"]._log(
            "hr.user.deactivated",
            f"user #{user.id} of employee #{self.id} deactivated ({reason})"
            + (f", {removed} API key(s) revoked" if removed else ""),
            message=self._hc_hr_current_message(),
            record=self,
            backend=self.hc_backend_id,
        )

    def _hc_hr_sync_approvers(self, previous_manager_users=None):
        """Approver fields of installed apps (time off, expenses, attendances) follow the
        hierarchy: the manager's user, unless someone else was set on purpose."""
        names = [name for name in APPROVER_FIELDS if name in self._fields]
        if not names:
            return
        previous_manager_users = previous_manager_users or {}
        for employee in self.sudo():
            manager_user = employee.parent_id.user_id
            old = previous_manager_users.get(employee.id) or self.env["res.users"]
            values = {}
            for name in names:
                current = employee[name]
                if current != manager_user and (not current or current == old):
                    values[name] = manager_user.id or False
            if values:
                employee._hc_hr_sync_env().write(values)
