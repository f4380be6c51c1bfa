from odoo import api, models

from ..tools.scim_filter import ENTERPRISE_USER, ScimError, get_ci
from ..tools.scim_patch import apply_patch
from .hc_hr_scim_user import SCIM_USER_TYPE
from .hc_hr_sync import _ilike_escape


def _as_bool(value, name):
    """Entra sends booleans as strings ("False")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, f"'{name}' must be a boolean.", "invalidValue")


def _as_text(value, name):
    if value is None or isinstance(value, str):
        return (value or "").strip() or False
    raise ScimError(400, f"'{name}' must be a string.", "invalidValue")


class HcHrScim(models.AbstractModel):
    """SCIM writes: create, replace, patch (through replace) and delete of users, under
    the system-of-record rules: the identity platform owns login, active and e-mail;
    the HRIS owns department, cost centre and manager of the employees it syncs."""

    _inherit = "hc.hr.scim"

    # ------------------------------------------------------------------------------------
    # Reading a resource body
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_values(self, body):
        """The body as ``hc.hr.scim.user`` values plus ``active`` (None when absent) and
        the enterprise attributes (None when the extension is absent)."""
        user_name = _as_text(get_ci(body, "userName"), "userName")
        if not user_name:
            raise ScimError(400, "'userName' is required.", "invalidValue")
        name = get_ci(body, "name") or {}
        if not isinstance(name, dict):
            raise ScimError(400, "'name' must be an object.", "invalidValue")
        values = {
            "user_name": user_name,
            "user_name_key": user_name.lower(),
            "external_id": _as_text(get_ci(body, "externalId"), "externalId"),
            "given_name": _as_text(get_ci(name, "givenName"), "name.givenName"),
            "family_name": _as_text(get_ci(name, "familyName"), "name.familyName"),
            "display_name_scim": _as_text(get_ci(body, "displayName"), "displayName"),
            "emails": self._hc_scim_emails(get_ci(body, "emails")),
        }
        active = get_ci(body, "active")
        active = None if active is None else _as_bool(active, "active")
        return values, active, self._hc_scim_enterprise_values(get_ci(body, ENTERPRISE_USER))

    @api.model
    def _hc_scim_emails(self, emails):
        if emails in (None, []):
            return False
        if not isinstance(emails, list):
            raise ScimError(400, "'emails' must be a list.", "invalidValue")
        result = []
        for email in emails:
            if not isinstance(email, dict) or not isinstance(get_ci(email, "value"), str):
                raise ScimError(400, "Each e-mail needs a 'value'.", "invalidValue")
            item = {"value": get_ci(email, "value").strip()}
            if get_ci(email, "type") is not None:
                item["type"] = _as_text(get_ci(email, "type"), "emails.type")
            if get_ci(email, "primary") is not None:
                item["primary"] = _as_bool(get_ci(email, "primary"), "emails.primary")
            result.append(item)
        return result

    @api.model
    def _hc_scim_enterprise_values(self, data):
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ScimError(400, "The enterprise extension must be an object.", "invalidValue")
        manager = get_ci(data, "manager")
        if isinstance(manager, dict):
            manager = get_ci(manager, "value")
        return {
            "employeeNumber": _as_text(get_ci(data, "employeeNumber"), "employeeNumber"),
            "costCenter": _as_text(get_ci(data, "costCenter"), "costCenter"),
            "department": _as_text(get_ci(data, "department"), "department"),
            "manager": _as_text(manager, "manager.value"),
        }

    @api.model
    def _hc_scim_primary_email(self, emails):
        emails = emails or []
        chosen = [e for e in emails if e.get("primary")] or [
            e for e in emails if e.get("type") == "work"
        ]
        return (chosen or emails or [{}])[0].get("value") or False

    # ------------------------------------------------------------------------------------
    # Create, replace, patch, delete
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_create(self, backend, body, base_url):
        values, active, enterprise = self._hc_scim_values(body)
        self._hc_scim_check_unique(values["user_name"])
        user = self._hc_scim_new_user(backend, values, active is not False)
        record = (
            self.env["hc.hr.scim.user"]
            .sudo()
            .create(dict(values, backend_id=backend.id, user_id=user.id))
        )
        self.env["hc.integration.binding"]._bind(backend, SCIM_USER_TYPE, record.scim_id, user)
        self.env["hc.hr.scim.employee"]._hc_scim_apply_enterprise(
            backend, record, enterprise, created=True
        )
        self._hc_scim_audit(backend, record, "scim.user.created", f"created, user #{user.id}")
        resource = record._hc_scim_resource(base_url)
        return 201, resource, {"Location": resource["meta"]["location"], "ETag": record.etag}

    @api.model
    def _hc_scim_replace(self, backend, record, body, base_url, patched=False):
        values, active, enterprise = self._hc_scim_values(body)
        if values["user_name_key"] != record.user_name_key:
            self._hc_scim_check_unique(values["user_name"], record.user_id)
        if active is None and not patched and backend.scim_put_without_active == "keep":
            active = record.user_id.active  # Okta's PUT omits 'active': not a deactivation
        enterprise = self.env["hc.hr.scim.employee"]._hc_scim_apply_enterprise(
            backend, record, enterprise or {}
        )
        changed = self._hc_scim_changed(record, values)
        if changed:
            record.write(dict(changed, version=record.version + 1))
            self._hc_scim_sync_user(record)
        self._hc_scim_set_active(backend, record, bool(active) if active is not None else False)
        if changed or enterprise:
            if not changed:
                record.version += 1
            self.env["hc.hr.scim.employee"]._hc_scim_queue_employee(backend, record)
            self._hc_scim_audit(
                backend,
                record,
                "scim.user.updated",
                "updated: " + ", ".join(sorted(set(changed) | set(enterprise))),
            )
        return 200, record._hc_scim_resource(base_url), self._etag(record)

    @api.model
    def _hc_scim_patch(self, backend, record, body, base_url):
        """PATCH = the current resource with the operations applied, saved as a PUT."""
        current = record._hc_scim_resource(base_url)
        current.pop("meta", None)
        return self._hc_scim_replace(
            backend, record, apply_patch(current, body), base_url, patched=True
        )

    @api.model
    def _hc_scim_delete(self, backend, record):
        if backend.scim_delete_action == "refuse":
            raise ScimError(
                405, "This service deactivates users through 'active': false, not DELETE."
            )
        self._hc_scim_set_active(backend, record, False)
        self._hc_scim_audit(backend, record, "scim.user.deleted", "deleted (account archived)")
        self.env["hc.integration.binding"].sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("external_type", "in", (SCIM_USER_TYPE,)),
                ("external_id", "=", record.scim_id),
            ]
        ).unlink()
        record.unlink()
        return 204, None, {}

    # ------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_check_unique(self, user_name, own_user=None):
        """userName is unique across Odoo logins, case-insensitively: 409 ``uniqueness``.
        An existing account is never adopted silently (as for HRIS provisioning)."""
        users = self.env["res.users"].sudo().with_context(active_test=False)
        login_domain = [("login", "=ilike", _ilike_escape(user_name))]
        scim_domain = [("user_name_key", "=", user_name.lower())]
        if own_user:
            login_domain.append(("id", "!=", own_user.id))
            scim_domain.append(("user_id", "!=", own_user.id))
        if users.search_count(login_domain, limit=1) or self.env[
            "hc.hr.scim.user"
        ].sudo().search_count(scim_domain, limit=1):
            raise ScimError(409, "A user with this userName already exists.", "uniqueness")

    @api.model
    def _hc_scim_new_user(self, backend, values, active):
        company = backend.company_id
        user = (
            self.env["res.users"]
            .sudo()
            .with_context(no_reset_password=True, mail_create_nosubscribe=True)
            .create(
                {
                    "name": self._hc_scim_user_display(values),
                    "login": values["user_name"],
                    "email": self._hc_scim_primary_email(values["emails"]),
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
                    "active": active,
                }
            )
        )
        return user

    @api.model
    def _hc_scim_user_display(self, values):
        full = " ".join(part for part in (values["given_name"], values["family_name"]) if part)
        return values["display_name_scim"] or full or values["user_name"]

    @api.model
    def _hc_scim_changed(self, record, values):
        return {name: value for name, value in values.items() if (record[name] or False) != value}

    @api.model
    def _hc_scim_sync_user(self, record):
        """Login, name and e-mail of the account follow the platform (it owns them)."""
        values = {
            "login": record.user_name,
            "name": self._hc_scim_user_display(
                record.read(list(self._hc_scim_display_fields()))[0]
            ),
            "email": self._hc_scim_primary_email(record.emails),
        }
        user = record.user_id.sudo()
        changed = {key: value for key, value in values.items() if (user[key] or False) != value}
        if changed:
            user.write(changed)

    @api.model
    def _hc_scim_display_fields(self):
        return ("display_name_scim", "given_name", "family_name", "user_name")

    @api.model
    def _hc_scim_set_active(self, backend, record, active):
        """Deactivation as for an HRIS termination: the account archived (which ends its
        sessions: ``active`` is part of Odoo's session token) and its API keys revoked;
        reactivation restores the account (not the revoked keys)."""
        user = record.user_id.sudo().with_context(active_test=False)
        if user.active == active:
            return
        if active and record.employee_id.sudo().hc_hris_status == "terminated":
            raise ScimError(
                400,
                "The HRIS terminated this employee: the account stays inactive.",
                "mutability",
            )
        keys = self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)])
        user.write({"active": active})
        if not active:
            keys.unlink()
        record.version += 1
        summary = (
            "reactivated"
            if active
            else f"deactivated, sessions ended, {len(keys)} API key(s) revoked"
        )
        self._hc_scim_audit(backend, record, "scim.user.active", f"user #{user.id} {summary}")

    @api.model
    def _hc_scim_audit(self, backend, record, action, summary):
        """One audit entry per write: the SCIM id and what changed, never names or
        e-mails."""
        self.env["hc.integration.audit"]._log(
            action,
            f"SCIM user {record.scim_id}: {summary}"[:250],
            record=record.user_id,
            backend=backend,
            actor_type="backend",
        )
