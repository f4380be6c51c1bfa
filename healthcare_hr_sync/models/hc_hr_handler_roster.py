import logging

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, IntegrationError

from .hc_hr_handler_employee_upsert import EMPLOYEE_ALLOWLIST
from .hr_employee import EMPLOYEE_TYPE

_logger = logging.getLogger(__name__)

ROSTER_HANDLER = "hc.hr.handler.roster"
#: A roster item is an ``employee`` object of employee.upsert.
ROSTER_ITEM_ALLOWLIST = tuple(path.split(".", 1)[1] for path in EMPLOYEE_ALLOWLIST)
MAX_PAGES = 10000


class HcHrHandlerRoster(models.AbstractModel):
    """Reconciliation: the HRIS's full roster compared with Odoo.

    The roster is pulled page by page from the flow's pull endpoint (``GET`` with
    ``limit``/``cursor``; pages ``{"employees": [...], "next_cursor": ...}`` or the engine's
    default ``{"items": [...]}``), or pushed as one ``hr.roster`` event. Each run replaces
    the open drift lines of the backend: missing employees, extra ones, and differing
    fields, computed with the same translation of HRIS data as ``employee.upsert``.

    The generic scheduled pull is not used (``pull_enabled`` stays off): it queues changes
    item by item, while drift needs the whole roster at once. A daily cron and the flow's
    "Reconcile now" button run it.
    """

    _name = ROSTER_HANDLER
    _inherit = "hc.integration.handler"
    _description = "HR: roster reconciliation"
    _hc_allowlist = tuple(f"employees[].{path}" for path in ROSTER_ITEM_ALLOWLIST)

    @api.model
    def _hc_pull_parse_page(self, flow, response_json):
        if isinstance(response_json, dict) and "employees" in response_json:
            employees = response_json.get("employees")
            next_cursor = response_json.get("next_cursor") or None
            if not isinstance(employees, list):
                raise ValueError("expected an 'employees' list")
            if next_cursor is not None and not isinstance(next_cursor, str):
                raise ValueError("'next_cursor' must be a string")
            return employees, next_cursor
        return super()._hc_pull_parse_page(flow, response_json)

    def _hc_process(self, message):
        """A pushed roster (``hr.roster`` event): compare it like a pulled one."""
        employees = (message.payload or {}).get("employees")
        if not isinstance(employees, list):
            raise BusinessError(self.env._("The roster holds no employees list."))
        drift = self._hc_compare(message.flow_id, employees)
        return drift or None

    # ------------------------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_fetch_roster(self, flow):
        """Every roster item of the HRIS (all pages), minimised by the allow-list."""
        client = self.env["hc.integration.http.client"]
        backend = flow.backend_id.sudo()
        session = client._hc_session(backend)
        items, cursor = [], None
        try:
            for _page in range(MAX_PAGES):
                params = self._hc_pull_request_params(flow, cursor, None)
                response = client._hc_request(
                    backend, "GET", flow.pull_endpoint or "", session=session, params=params
                )
                try:
                    page_items, next_cursor = self._hc_pull_parse_page(flow, response.json())
                except ValueError as error:
                    raise BusinessError(
                        self.env._(
                            "The roster page from %(backend)s has an unexpected shape "
                            "(%(reason)s).",
                            backend=backend.name,
                            reason=str(error)[:200],
                        )
                    ) from None
                items.extend(page_items)
                if not next_cursor or next_cursor == cursor:
                    break
                cursor = next_cursor
        finally:
            session.close()
        minimised, _dropped = flow._minimize_payload({"employees": items})
        return [item for item in minimised.get("employees") or [] if isinstance(item, dict)]

    @api.model
    def _hc_reconcile(self, flow):
        """Pull the roster of ``flow`` and record the drift. Returns the open drift lines."""
        flow.ensure_one()
        try:
            items = self._hc_fetch_roster(flow)
        except IntegrationError as error:
            flow.sudo().write(
                {"pull_last_error": error.message, "pull_last_at": fields.Datetime.now()}
            )
            self.env["hc.integration.audit"]._log(
                "hr.roster.failed",
                f"{flow.code}: roster pull failed",
                backend=flow.backend_id,
            )
            raise
        flow.sudo().write({"pull_last_error": False, "pull_last_at": fields.Datetime.now()})
        return self._hc_compare(flow, items)

    @api.model
    def _cron_reconcile(self):
        """Daily: reconcile every active roster flow that has a pull endpoint."""
        flows = (
            self.env["hc.integration.flow"]
            .sudo()
            .search(
                [
                    ("handler_model", "=", self._name),
                    ("pull_endpoint", "!=", False),
                    ("backend_id.active", "=", True),
                ]
            )
        )
        done = 0
        for flow in flows:
            try:
                with self.env.cr.savepoint():
                    self._hc_reconcile(flow)
                done += 1
            except IntegrationError as error:
                _logger.warning("Roster reconciliation of flow %s failed: %s", flow.id, error)
                flow.sudo().write({"pull_last_error": error.message})
        return done

    # ------------------------------------------------------------------------------------
    # Compare
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_compare(self, flow, items):
        backend = flow.backend_id
        now = fields.Datetime.now()
        drifts = self.env["hc.hr.drift"].sudo()
        drifts.search([("backend_id", "=", backend.id), ("state", "=", "open")]).unlink()
        bindings = (
            self.env["hc.integration.binding"]
            .sudo()
            .search([("backend_id", "=", backend.id), ("external_type", "=", EMPLOYEE_TYPE)])
        )
        by_external_id = {binding.external_id: binding for binding in bindings}
        seen = set()
        rows = []
        for item in items:
            external_id = str(item.get("external_id") or "")
            if not external_id:
                continue
            seen.add(external_id)
            binding = by_external_id.get(external_id)
            employee = binding.record if binding else self.env["hr.employee"]
            status = item.get("status") or "active"
            if not employee:
                if status != "terminated":
                    rows.append(self._hc_row(backend, now, external_id, "missing", item=item))
                continue
            names, details = self._hc_differences(backend, item, employee)
            if names:
                rows.append(
                    self._hc_row(
                        backend, now, external_id, "different", employee, item, names, details
                    )
                )
        for external_id, binding in by_external_id.items():
            employee = binding.record
            if external_id not in seen and employee and employee.active:
                rows.append(
                    self._hc_row(
                        backend,
                        now,
                        external_id,
                        "extra",
                        employee,
                        details=self.env._("Active in Odoo, not listed by the HRIS."),
                    )
                )
        created = drifts.create(rows) if rows else drifts
        self.env["hc.integration.audit"]._log(
            "hr.roster.reconciled",
            f"{flow.code}: {len(items)} HRIS employee(s) compared, {len(created)} drift line(s)",
            backend=backend,
        )
        return created

    @api.model
    def _hc_row(
        self, backend, now, external_id, kind, employee=None, item=None, names=(), details=None
    ):
        return {
            "backend_id": backend.id,
            "run_at": now,
            "external_id": external_id,
            "employee_id": employee.id if employee else False,
            "kind": kind,
            "field_names": ", ".join(names) or False,
            "details": details or False,
            "hris_data": item or False,
        }

    @api.model
    def _hc_display(self, value):
        if isinstance(value, models.BaseModel):
            return ", ".join(value.mapped("display_name")) or "—"
        return str(value) if value not in (None, False, "") else "—"

    @api.model
    def _hc_differences(self, backend, item, employee):
        """Field labels and a readable list of what differs between ``item`` and
        ``employee`` (unmapped codes and unsynced managers count as differences)."""
        sync = self.env["hc.hr.sync"]
        employee = employee.sudo()
        values, missing = sync._prepare_employee_values(backend, item, employee, required=False)
        changed = sync._changed_values(employee, values)
        names, lines = [], []
        for name, value in changed.items():
            field = employee._fields[name]
            label = field.get_description(self.env)["string"]
            new = value
            if field.type == "many2one":
                new = self.env[field.comodel_name].browse(value) if value else None
            elif field.type == "selection":
                new = dict(field._description_selection(self.env)).get(value, value)
            old = employee[name]
            if field.type == "selection":
                old = dict(field._description_selection(self.env)).get(old, old)
            names.append(label)
            lines.append(
                f"{label}: {self._hc_display(old)} (Odoo) ≠ {self._hc_display(new)} (HRIS)"
            )
        status = item.get("status") or "active"
        odoo_status = (
            "terminated"
            if not employee.active or employee.hc_hris_status == "terminated"
            else employee.hc_hris_status or "active"
        )
        if status != odoo_status:
            names.append(self.env._("Status"))
            lines.append(f"{self.env._('Status')}: {odoo_status} (Odoo) ≠ {status} (HRIS)")
        for mapping_type, code in missing:
            names.append(mapping_type)
            lines.append(
                self.env._(
                    "%(type)s '%(code)s' is not mapped or not synced in Odoo",
                    type=mapping_type,
                    code=code,
                )
            )
        return names, "\n".join(lines)
