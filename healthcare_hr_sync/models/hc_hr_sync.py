import logging

from odoo import api, fields, models, tools
from odoo.tools import html_escape

from odoo.addons.healthcare_integration_base.exceptions import (
    BusinessError,
    ConflictError,
    MappingError,
    StaleEventError,
)
from odoo.addons.healthcare_integration_base.tools.payload import parse_iso_datetime

from .digest_digest import ADD_RECIPIENTS_QUIETLY
from .hr_employee import EMPLOYEE_TYPE, HRIS_SYNC

_logger = logging.getLogger(__name__)

#: payload key → (mapping type, employee field)
MAPPED_CODES = (
    ("department_code", "department", "department_id"),
    ("job_code", "job", "job_id"),
    ("cost_center_code", "cost_center", "hc_cost_center_id"),
    ("location_code", "location", "work_location_id"),
    ("agency_code", "agency", "hc_agency_partner_id"),
)
EMPLOYMENT_TYPES = {"employee": "employee", "contractor": "contractor", "agency": "agency"}


def _ilike_escape(value):
    """``value`` for an exact, case-insensitive ``=ilike`` (``_`` and ``%`` are literal)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class HcHrSync(models.AbstractModel):
    """What the HR handlers share: HRIS data → employee values, the upsert itself,
    termination, credentials and user provisioning. Handlers stay thin; the reconciliation
    reuses the same translation of HRIS data, so "drift" means exactly what an upsert
    would change."""

    _name = "hc.hr.sync"
    _description = "HR sync services"

    # ------------------------------------------------------------------------------------
    # HRIS data → Odoo values
    # ------------------------------------------------------------------------------------
    @api.model
    @tools.ormcache("backend_id", "mapping_type", "code")
    def _mapped_target(self, backend_id, mapping_type, code):
        """``(model, ids)`` an external code maps to (ids empty when ignored), or None
        when unknown or pending. Cached: every HR event resolves four to six codes; the
        cache is cleared whenever a mapping changes (see ``hc.integration.mapping``)."""
        backend = self.env["hc.integration.backend"].sudo().browse(backend_id)
        row = self.env["hc.integration.mapping"]._lookup(backend, mapping_type, code)
        if not row or row.state == "pending":
            return None
        target = row._get_target()
        if target is None:
            return None
        return target._name, tuple(target.ids)

    @api.model
    def _map_code(self, backend, mapping_type, code):
        """The record(s) ``code`` maps to (empty when ignored), or None when unmapped."""
        found = self._mapped_target(backend.id, mapping_type, str(code))
        if found is None:
            return None
        model, ids = found
        return self.env[model].browse(ids).exists()

    @api.model
    def _resolve_codes(self, backend, data, required=True):
        """Mapped records for the codes present in ``data``: ``{field: record or False}``
        and the role mappings (``None`` when ``roles`` is absent). Unknown codes raise one
        :class:`MappingError` listing them all (or are skipped when not ``required``)."""
        mapping = self.env["hc.integration.mapping"]
        resolved, missing = {}, []
        for key, mapping_type, field_name in MAPPED_CODES:
            if key not in data:
                continue
            code = data.get(key)
            if code in (None, ""):
                resolved[field_name] = False
                continue
            target = self._map_code(backend, mapping_type, code)
            if target is None:
                missing.append((mapping_type, str(code)))
                continue
            resolved[field_name] = target[:1] or False
        roles = None
        if data.get("roles") is not None:
            roles = mapping.browse()
            for code in data.get("roles") or []:
                if self._map_code(backend, "role", code) is None:
                    missing.append(("role", str(code)))
                else:
                    roles |= mapping._lookup(backend, "role", str(code))
        if missing and required:
            raise MappingError(backend, missing)
        return resolved, roles, missing

    @api.model
    def _prepare_employee_values(self, backend, data, employee=None, required=True):
        """Employee values for the HRIS fields present in ``data`` (an absent key leaves
        the field as it is, an empty one clears it). Raises the engine's errors for unknown
        codes and managers not synced yet (unless ``required`` is False)."""
        values = {}
        resolved, roles, missing = self._resolve_codes(backend, data, required=required)
        if "first_name" in data or "last_name" in data:
            values["name"] = " ".join(
                part.strip() for part in (data.get("first_name"), data.get("last_name")) if part
            )
        if "work_email" in data:
            values["work_email"] = (data.get("work_email") or "").strip() or False
        if "work_phone" in data:
            values["work_phone"] = (data.get("work_phone") or "").strip() or False
        for field_name, record in resolved.items():
            values[field_name] = record.id if record else False
        if data.get("job_title"):
            values["job_title"] = data["job_title"].strip()
        if "employment_type" in data and data.get("employment_type"):
            values["employee_type"] = EMPLOYMENT_TYPES.get(data["employment_type"], "employee")
        if "hire_date" in data:
            values["hc_hire_date"] = fields.Date.to_date(data.get("hire_date") or None) or False
        if "manager_external_id" in data:
            manager_id = data.get("manager_external_id")
            if not manager_id:
                values["parent_id"] = False
            elif employee and str(manager_id) == employee.sudo().hc_external_id:
                raise BusinessError(
                    self.env._("The HRIS names the employee as their own manager."),
                    category="validation",
                )
            else:
                bindings = self.env["hc.integration.binding"]
                if required:
                    manager = bindings._require(backend, EMPLOYEE_TYPE, manager_id)
                else:
                    manager = bindings._find_record(
                        backend, EMPLOYEE_TYPE, manager_id, "hr.employee"
                    )
                    if not manager:
                        missing.append(("manager", str(manager_id)))
                values["parent_id"] = manager.id if manager else False
        if roles is not None:
            values["hc_role_mapping_ids"] = roles
        return values, missing

    @api.model
    def _changed_values(self, employee, values):
        """The part of ``values`` that differs from ``employee`` (writes only what changed:
        cheaper, and the chatter tracks real changes only)."""
        if not employee:
            return dict(values)
        changed = {}
        employee = employee.sudo()
        for name, value in values.items():
            field = employee._fields[name]
            current = employee[name]
            if field.type == "many2one":
                if (current.id or False) != (value or False):
                    changed[name] = value
            elif field.type == "many2many":
                if set(current.ids) != set(value.ids):
                    changed[name] = value
            elif field.type == "date":
                if (current or False) != (fields.Date.to_date(value) if value else False):
                    changed[name] = value
            elif (current or False) != (value or False):
                changed[name] = value
        return changed

    @api.model
    def _to_write(self, values):
        """Values as the ORM wants them (many2many recordsets as commands)."""
        return {
            name: [(6, 0, value.ids)] if isinstance(value, models.BaseModel) else value
            for name, value in values.items()
        }

    # ------------------------------------------------------------------------------------
    # employee.upsert
    # ------------------------------------------------------------------------------------
    @api.model
    def _check_unique_email(self, employee, email):
        """Two HRIS identities with one work e-mail are a conflict for a person: never merge.

        Compared case-insensitively through the ``lower(work_email)`` index (see
        ``hr.employee.init``): an ``=ilike`` domain would scan every employee on each event.
        """
        if not email:
            return
        self.env["hr.employee"].flush_model(["work_email"])
        self.env.cr.execute(
            "SELECT id FROM hr_employee WHERE lower(work_email) = lower(%s) AND id != %s LIMIT 1",
            (email, employee.id or 0),
        )
        row = self.env.cr.fetchone()
        if row:
            other = self.env["hr.employee"].sudo().with_context(active_test=False).browse(row[0])
            # first line (it goes to the audit log) without names
            raise ConflictError(
                self.env._(
                    "Another employee already uses this work e-mail: nothing was merged.\n"
                    "The other employee: %(name)s (HRIS ID %(external_id)s). The HRIS may hold "
                    "a duplicate identity: fix it there, or detach and correct the other "
                    "employee, then retry.",
                    name=other.name,
                    external_id=other.hc_external_id or "—",
                ),
                record=other,
            )

    @api.model
    def _upsert_employee(self, message, data, event_at):
        """Create or update the employee of ``data`` (the ``employee`` object of an
        ``employee.upsert``). Returns the records to link to the message, or None when the
        event was ignored (employee detached)."""
        backend = message.backend_id
        external_id = str(data["external_id"])
        bindings = self.env["hc.integration.binding"]
        binding = bindings._find_binding(backend, EMPLOYEE_TYPE, external_id)
        employee = binding.record if binding else self.env["hr.employee"]
        if binding and binding.detached:
            self._audit_detached(message, employee)
            return None
        if binding and binding._is_stale(event_at):
            raise StaleEventError(
                self.env._("A more recent event of this employee was already applied.")
            )
        values, _missing = self._prepare_employee_values(backend, data, employee)
        # the identity platform owns a SCIM account's e-mail (hc_hr_sync_identity_owned.py)
        self._keep_identity_owned(message, employee, values)
        status = data.get("status") or (employee.hc_hris_status if employee else "active")
        email = values.get("work_email")
        email_changed = bool(email) and (employee.work_email or "").lower() != email.lower()
        if email_changed:
            self._check_unique_email(employee, email)
        if status == "terminated":
            employee = self._upsert_terminated(message, employee, values, event_at)
            records = employee
        else:
            values.update(hc_hris_status=status, hc_last_event_at=event_at)
            records = self._upsert_current(
                message, employee, values, data, external_id, claim_email=email_changed
            )
            employee = records[0]
        bindings._bind(backend, EMPLOYEE_TYPE, external_id, employee, event_at)
        return records

    @api.model
    def _upsert_terminated(self, message, employee, values, event_at):
        """An upsert with the status terminated: the HRIS fields it carries, then the
        termination as of the event's day (returns the employee). A new employee already
        terminated is refused."""
        if not employee:
            raise BusinessError(
                self.env._(
                    "The HRIS sent a new employee with the status terminated: nothing to "
                    "create. Check the record in the HRIS."
                ),
                category="validation",
            )
        changed = self._changed_values(employee, values)
        if changed:
            employee._hc_hr_sync_env().write(self._to_write(changed))
        date = (event_at or fields.Datetime.now()).date()
        self._terminate(message, employee, date, None)
        return employee

    @api.model
    def _upsert_current(self, message, employee, values, data, external_id, claim_email=False):
        """Hire or update an employee who is not terminated: the employee, the credentials
        of the event, the user (when the flow provisions users) and their access. Returns
        the records to link, the employee first. A new or changed work e-mail is claimed
        in ``hc.hr.work.email`` (the database-level guard against two lanes hiring one
        e-mail twice)."""
        provisioned = None
        if not employee:
            settings = self.env["hr.employee"]._hc_hr_backend_settings(message.backend_id)
            if settings["provision"]:
                provisioned = self._provision_user_first(message, values, settings)
        employee = self._save_employee(message, employee, values, external_id)
        if provisioned:
            self._audit_provisioned(message, employee, *provisioned)
        if claim_email:
            self.env["hc.hr.work.email"]._hc_claim(employee, values["work_email"])
        # a future hire exists at once, but their user waits for the hire date
        employee._hc_hr_schedule("hc_access_starts_at", employee._hc_hr_start_at())
        records = [employee] + ([provisioned[0]] if provisioned else [])
        for credential_data in data.get("credentials") or []:
            records.append(
                self._upsert_credential(
                    message.backend_id, employee, credential_data, values["hc_last_event_at"]
                )
            )
        settings = employee._hc_hr_settings()
        if settings["provision"] and not employee.user_id:
            user = self._provision_user(employee, settings, message)
            if user:
                records.append(user)
        employee._hc_hr_sync_access()
        return records

    @api.model
    def _save_employee(self, message, employee, values, external_id):
        """Create the employee, or write what changed (reactivating a rehire: same record,
        history kept)."""
        backend = message.backend_id
        if employee:
            previous_manager_user = {employee.id: employee.parent_id.user_id}
            changed = self._changed_values(employee, values)
            sync = employee._hc_hr_sync_env().sudo()
            jobs = employee.job_id | self.env["hr.job"].browse(changed.get("job_id") or [])
            with jobs._hc_counts_after_commit():
                if not employee.active:
                    sync.with_context(no_wizard=True).action_unarchive()
                    self._audit(message, employee, "hr.employee.rehired", "rehired (reactivated)")
                if changed:
                    sync.write(self._to_write(changed))
            if "parent_id" in changed:
                employee._hc_hr_sync_approvers(previous_manager_user)
            return employee
        values.update(
            hc_backend_id=backend.id,
            hc_external_id=external_id,
            company_id=backend.company_id.id,
        )
        values.setdefault("employee_type", "employee")
        with self.env["hr.job"].browse(values.get("job_id") or [])._hc_counts_after_commit():
            employee = (
                self.env["hr.employee"]
                ._hc_hr_sync_env()
                .sudo()
                .with_company(backend.company_id)
                .create(self._to_write(values))
            )
        if employee.parent_id:
            employee._hc_hr_sync_approvers()
        return employee

    # ------------------------------------------------------------------------------------
    # Users
    # ------------------------------------------------------------------------------------
    @api.model
    def _provision_user_first(self, message, values, settings):
        """A new hire's user, created before the employee so that the employee is created
        with it: one create as with the bare ORM, instead of a create, a work contact of
        its own, then a write of ``user_id`` (which moves the contact and copies the
        avatar). Updates ``values``; returns ``(user, groups, settings, starts_at)``, or
        None when there is no work e-mail."""
        email = values.get("work_email")
        if not email:
            return None
        company = message.backend_id.company_id
        groups = self.env["res.groups"]
        for mapping in values.get("hc_role_mapping_ids") or ():
            groups |= mapping._get_target() or groups
        starts_at = self.env["hr.employee"]._hc_hr_start_at_of(values.get("hc_hire_date"), company)
        user = self._create_user(
            values.get("name") or email, email, company, groups, settings, starts_at
        )
        values.update(user_id=user.id, hc_user_managed=True, hc_applied_group_ids=groups)
        return user, groups, settings, starts_at

    @api.model
    def _provision_user(self, employee, settings, message=None):
        """A user for the employee: login = work e-mail, no password (invitation or SSO),
        groups from the role mappings. Conflicting logins are an exception, not a merge."""
        email = employee.work_email
        if not email or not employee.active or employee.hc_hris_status == "terminated":
            return None
        groups = employee._hc_hr_role_groups()
        if employee.hc_access_restricted and settings["credential_policy"] == "restrict_groups":
            groups = self.env["res.groups"]
        starts_at = employee.sudo().hc_access_starts_at
        user = self._create_user(
            employee.name, email, employee.company_id, groups, settings, starts_at
        )
        employee._hc_hr_sync_env().write(
            {
                "user_id": user.id,
                "hc_user_managed": True,
                "hc_applied_group_ids": [(6, 0, groups.ids)],
            }
        )
        self._audit_provisioned(message, employee, user, groups, settings, starts_at)
        # the reports of a manager who just got a user: their approvers follow
        reports = self.env["hr.employee"].sudo().search([("parent_id", "=", employee.id)])
        reports._hc_hr_sync_approvers()
        return user

    @api.model
    def _create_user(self, name, email, company, groups, settings, starts_at):
        """The user itself (login = e-mail, no password); an existing login is a conflict."""
        users = self.env["res.users"].sudo().with_context(active_test=False)
        existing = users.search([("login", "=ilike", _ilike_escape(email))], limit=1)
        if existing:
            raise ConflictError(
                self.env._(
                    "An Odoo user with this login already exists and is not linked to the "
                    "employee: nothing was merged.\nLogin: %(login)s. Link that user to the "
                    "employee by hand, or change the work e-mail in the HRIS, then retry.",
                    login=email,
                ),
                record=existing,
            )
        # a future hire's user is created uninvited and disabled right after (by the access
        # sync; creating it inactive trips the partner's archive check): the login is
        # reserved, the lifecycle cron enables and invites on the hire date
        no_mail = (
            settings["invitation"] == "sso"
            or starts_at
            or self.env.context.get("no_reset_password")
        )
        return users.with_context(
            no_reset_password=bool(no_mail),
            mail_create_nosubscribe=True,
            # the default digest's subscription without an UPDATE of its row (two lanes
            # provisioning users would conflict on it): see ``digest.digest.write``
            hc_hr_add_recipients=ADD_RECIPIENTS_QUIETLY,
        ).create(
            {
                "name": name,
                "login": email,
                "email": email,
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, (self.env.ref("base.group_user") | groups).ids)],
            }
        )

    @api.model
    def _audit_provisioned(self, message, employee, user, groups, settings, starts_at):
        self._audit(
            message,
            employee,
            "hr.user.provisioned",
            f"user #{user.id} provisioned ({settings['invitation']}), {len(groups)} role group(s)"
            + (f", disabled until {starts_at} UTC (future hire)" if starts_at else ""),
        )

    # ------------------------------------------------------------------------------------
    # Termination
    # ------------------------------------------------------------------------------------
    @api.model
    def _leaver_followups(self, employee):
        """What still depends on a leaver: direct reports, people they approve for, pending
        approvals (time off where installed). ``[(label, count)]``."""
        employees = self.env["hr.employee"].sudo()
        items = []
        reports = employees.search([("parent_id", "=", employee.id), ("active", "=", True)])
        if reports:
            items.append((self.env._("direct reports"), len(reports), reports))
        user = employee.user_id
        if user:
            approver_fields = [
                name
                for name in ("leave_manager_id", "expense_manager_id", "attendance_manager_id")
                if name in employees._fields
            ]
            if approver_fields:
                domain = ["|"] * (len(approver_fields) - 1) + [
                    (name, "=", user.id) for name in approver_fields
                ]
                approved_for = employees.search(domain + [("id", "not in", reports.ids)])
                if approved_for:
                    items.append(
                        (self.env._("employees they approve for"), len(approved_for), approved_for)
                    )
            if "hr.leave" in self.env:
                leaves = (
                    self.env["hr.leave"]
                    .sudo()
                    .search(
                        [
                            ("state", "in", ("confirm", "validate1")),
                            ("employee_id.leave_manager_id", "=", user.id),
                        ]
                    )
                )
                if leaves:
                    items.append((self.env._("time-off requests to approve"), len(leaves), leaves))
        return items

    @api.model
    def _departure_reason(self, reason):
        if not reason:
            return self.env["hr.departure.reason"]
        reasons = self.env["hr.departure.reason"].sudo().search([])
        wanted = reason.strip().lower()
        return reasons.filtered(
            lambda r: r.name.lower() == wanted or r.name.lower().rstrip("d") == wanted.rstrip("d")
        )[:1]

    @api.model
    def _terminate(self, message, employee, date, reason):
        """Archive the employee with the departure date and reason, deactivate the user and
        revoke its API keys in this same transaction; open a follow-up exception for what
        still depends on the leaver."""
        if not employee.active and employee.hc_hris_status == "terminated":
            employee._hc_hr_sync_access()  # idempotent: make sure access is gone
            return employee
        followups = self._leaver_followups(employee)
        values = {"departure_date": date, "hc_hris_status": "terminated"}
        departure_reason = self._departure_reason(reason)
        if departure_reason:
            values["departure_reason_id"] = departure_reason.id
        if reason and not departure_reason:
            values["departure_description"] = html_escape(reason)
        sync = employee._hc_hr_sync_env().sudo()
        sync.write(values)
        if employee.active:
            with employee.job_id._hc_counts_after_commit():
                sync.with_context(no_wizard=True).action_archive()
        employee._hc_hr_sync_access()
        self._audit(message, employee, "hr.employee.terminated", f"terminated as of {date}")
        if followups and message:
            lines = "\n".join(f"• {count} {label}" for label, count, _records in followups)
            self.env["hc.integration.exception"]._hc_hr_open_followup(
                message,
                "leaver_followup",
                self.env._("Leaver still has reports or approvals"),
                self.env._(
                    "%(employee)s left on %(date)s. Their access was revoked, but these still "
                    "depend on them:\n%(lines)s\nAssign a new manager or approver (in the HRIS "
                    "for synced employees), then mark this exception resolved.",
                    employee=employee.name,
                    date=date,
                    lines=lines,
                ),
                record=employee,
            )
        return employee

    # ------------------------------------------------------------------------------------
    # Credentials
    # ------------------------------------------------------------------------------------
    @api.model
    def _credential_type(self, backend, code):
        mapped = self.env["hc.integration.mapping"]._resolve(
            backend, "credential_type", code, required=False
        )
        if mapped:
            return mapped
        credential_type = (
            self.env["hc.hr.credential.type"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", code)], limit=1)
        )
        if not credential_type:
            raise MappingError(backend, [("credential_type", str(code))])
        return credential_type

    @api.model
    def _upsert_credential(self, backend, employee, data, event_at):
        """Create or update one credential (by employee, type and number); older events
        than the last applied to that credential are ignored."""
        credential_type = self._credential_type(backend, data["type"])
        credentials = self.env["hc.hr.credential"].sudo().with_context(hc_hr_sync=HRIS_SYNC)
        credential = credentials.search(
            [
                ("employee_id", "=", employee.id),
                ("type_id", "=", credential_type.id),
                ("number", "=", str(data["number"])),
            ],
            limit=1,
        )
        if (
            credential
            and credential.hc_last_event_at
            and event_at
            and event_at < credential.hc_last_event_at
        ):
            return credential  # an older event than the one applied to this credential
        values = {
            "status": data.get("status") or "active",
            "expires_on": fields.Date.to_date(data.get("expires_on") or None) or False,
            "hc_last_event_at": event_at,
            "source": "hris",
        }
        if "issuer" in data:
            values["issuer"] = data.get("issuer") or False
        if credential:
            changed = {
                name: value
                for name, value in values.items()
                if (credential[name] or False) != (value or False)
            }
            if changed:
                credential.write(changed)
        else:
            credential = credentials.create(
                dict(
                    values,
                    employee_id=employee.id,
                    type_id=credential_type.id,
                    number=str(data["number"]),
                )
            )
        self._remind_if_due(credential, employee)
        return credential

    @api.model
    def _remind_if_due(self, credential, employee):
        """Already within a warning threshold: warn now rather than at the next daily check."""
        thresholds = credential._hc_warning_thresholds()
        today = credential._hc_today()
        if (
            thresholds
            and credential.status == "active"
            and credential.expires_on
            and today <= credential.expires_on
            and (credential.expires_on - today).days <= thresholds[0]
            and employee.active
        ):
            credential._hc_remind(today, thresholds)

    # ------------------------------------------------------------------------------------
    # Audit helpers (summaries hold ids and codes, never names)
    # ------------------------------------------------------------------------------------
    @api.model
    def _audit(self, message, employee, action, summary):
        self.env["hc.integration.audit"]._log(
            action,
            f"employee #{employee.id}: {summary}",
            message=message,
            record=employee,
            backend=message.backend_id if message else employee.sudo().hc_backend_id,
        )

    @api.model
    def _audit_detached(self, message, employee):
        self._audit(
            message,
            employee,
            "hr.employee.detached_ignored",
            "event ignored: the employee is detached from the HRIS sync",
        )

    @api.model
    def _event_time(self, message):
        """When an event takes effect for stale checks: its occurrence, or its effective
        date when later (a transfer applied at its date is newer than an upsert that
        occurred before that date)."""
        occurred = message.occurred_at
        effective = message.effective_at
        if occurred and effective:
            return max(occurred, effective)
        return occurred or effective

    @api.model
    def _parse_date(self, value):
        parsed = parse_iso_datetime(value)
        return parsed.date() if parsed else None
