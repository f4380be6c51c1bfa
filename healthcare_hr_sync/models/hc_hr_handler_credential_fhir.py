import json
import logging
from urllib.parse import urljoin

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, MappingError

from ..tools.npi import NPI_SYSTEM, NPI_TYPE_CODE, SHAPE_PROBLEM, npi_problem
from .hc_hr_handler_employee_upsert import employee_ordering_key
from .hr_employee import EMPLOYEE_TYPE

_logger = logging.getLogger(__name__)

try:
    # fhir.resources 8 defaults to R5; its R4B package is the 4.x release of R4, whose
    # Practitioner (identifier, qualification: identifier, code, period, issuer) is R4's
    from fhir.resources.R4B.practitioner import Practitioner
    from pydantic import ValidationError as PydanticValidationError
except ImportError:  # pragma: no cover - declared in external_dependencies
    Practitioner = PydanticValidationError = None

FHIR_VERSION = "R4"
#: Keys the receiver adds around the resource (the envelope every message has).
ENVELOPE = ("event_type", "schema_version", "occurred_at")
MAX_ERRORS = 20


class HcHrHandlerCredentialFhir(models.AbstractModel):
    """``fhir.practitioner``: a FHIR R4 ``Practitioner`` from a credentialing system,
    validated with ``fhir.resources`` and mapped to the employee's credential records:
    its NPI (``identifier`` with the NPI system) as an NPI credential, each
    ``qualification`` (code, licence number, period, issuer) as a credential of the
    mapped type. The employee is the one whose HRIS id is the identifier of the flow's
    employee identifier system, or else the one already holding the NPI.

    Only the allow-listed elements are stored: no name, birth date, gender, address,
    telecom, photo or communication, and no identifier of another system (an SSN…)."""

    _name = "hc.hr.handler.credential.fhir"
    _inherit = "hc.integration.handler"
    _description = "HR: credentials from a FHIR Practitioner"
    _hc_allowlist = (
        "resourceType",
        "identifier[].system",
        "identifier[].value",
        "qualification[].identifier[].value",
        "qualification[].code.coding[].system",
        "qualification[].code.coding[].code",
        "qualification[].period.start",
        "qualification[].period.end",
        "qualification[].issuer.display",
    )

    # ------------------------------------------------------------------------------------
    # Ingest: the resource in its envelope, FHIR validation, NPI check, identifiers kept
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_parse_body(self, flow, body, content_type):
        return self._hc_envelope(flow, json.loads(body))

    @api.model
    def _hc_envelope(self, flow, resource):
        """The resource with the keys every message has; its ``meta.lastUpdated`` is when
        the event occurred (older versions are then ignored)."""
        if not isinstance(resource, dict):
            return resource
        payload = dict(resource, event_type=flow.event_type, schema_version=FHIR_VERSION)
        meta = resource.get("meta")
        last_updated = meta.get("lastUpdated") if isinstance(meta, dict) else None
        payload.pop("occurred_at", None)
        if isinstance(last_updated, str):
            payload["occurred_at"] = last_updated
        return payload

    @api.model
    def _hc_check_payload(self, flow, payload):
        resource = {key: value for key, value in payload.items() if key not in ENVELOPE}
        errors = self._hc_fhir_errors(resource)
        identifiers = resource.get("identifier")
        identifiers = identifiers if isinstance(identifiers, list) else []
        systems = [i.get("system") if isinstance(i, dict) else None for i in identifiers]
        for index, identifier in enumerate(identifiers):
            if systems[index] == NPI_SYSTEM:
                problem = npi_problem(identifier.get("value"))
                if problem and problem != SHAPE_PROBLEM:  # the shape: the schema's pattern
                    errors.append({"path": f"/identifier/{index}/value", "message": problem})
        if not any(system in (flow.hr_fhir_employee_system, NPI_SYSTEM) for system in systems):
            errors.append(
                {
                    "path": "/identifier",
                    "message": "needs the employee id (system "
                    f"{flow.hr_fhir_employee_system}) or an NPI ({NPI_SYSTEM})",
                }
            )
        return errors[:MAX_ERRORS]

    @api.model
    def _hc_fhir_errors(self, resource):
        """The resource checked against FHIR R4 by ``fhir.resources``: ``[{"path",
        "message"}]`` that never repeat a value."""
        try:
            Practitioner.model_validate(resource)
        except PydanticValidationError as error:
            return self._hc_fhir_problems(error)
        except Exception as error:  # noqa: BLE001 - a hostile body is a 422, never a 500
            _logger.info("FHIR Practitioner refused by the validator (%s)", type(error).__name__)
            return [{"path": "/", "message": "FHIR R4: not a valid Practitioner resource"}]
        return []

    @api.model
    def _hc_fhir_problems(self, error):
        """The validator's errors as ``[{"path", "message"}]``, values left out."""
        problems = []
        for item in error.errors(include_url=False, include_context=False, include_input=False):
            path = "/" + "/".join(str(part) for part in item["loc"] if part != "__root__")
            # a custom validator's text may quote the value: say it generically
            message = (
                "is not a valid FHIR value"
                if item["type"] in ("value_error", "assertion_error")
                else item["msg"]
            )
            problems.append({"path": path, "message": f"FHIR R4: {message}"})
        return problems[:MAX_ERRORS]

    @api.model
    def _hc_keep_identifiers(self, flow, payload):
        """After the allow-list: only the NPI and the employee id among the identifiers
        (others, such as an SSN, have the same paths). Returns ``(payload, dropped)``."""
        identifiers = payload.get("identifier")
        if not isinstance(identifiers, list):
            return payload, []
        systems = (flow.hr_fhir_employee_system, NPI_SYSTEM)
        kept = [i for i in identifiers if isinstance(i, dict) and i.get("system") in systems]
        dropped = ["identifier[]"] * (len(identifiers) - len(kept))
        return dict(payload, identifier=kept), dropped

    @api.model
    def _hc_ordering_key(self, flow, payload):
        employee_id, npi = self._hc_identifiers(flow, payload)
        if employee_id:
            return employee_ordering_key(employee_id)
        return f"npi:{npi}" if npi else None

    @api.model
    def _hc_identifiers(self, flow, payload):
        """``(HRIS employee id, NPI)`` of the practitioner (either may be None)."""
        found = {}
        identifiers = payload.get("identifier")
        for identifier in identifiers if isinstance(identifiers, list) else ():
            system = identifier.get("system") if isinstance(identifier, dict) else None
            if isinstance(system, str) and identifier.get("value"):
                found.setdefault(system, str(identifier["value"]))
        return found.get(flow.hr_fhir_employee_system), found.get(NPI_SYSTEM)

    # ------------------------------------------------------------------------------------
    # Scheduled pull: a FHIR search (Bundle of Practitioners, paged by its next link)
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_pull_request_params(self, flow, cursor, watermark):
        params = {"_count": flow.pull_page_size or None}
        if watermark:
            params["_lastUpdated"] = "gt" + watermark.strftime("%Y-%m-%dT%H:%M:%SZ")
        return params

    @api.model
    def _hc_pull_parse_page(self, flow, response_json):
        if not isinstance(response_json, dict) or response_json.get("resourceType") != "Bundle":
            raise ValueError("expected a FHIR Bundle (searchset)")
        items = [
            self._hc_envelope(flow, entry["resource"])
            for entry in response_json.get("entry") or []
            if isinstance(entry, dict)
            and isinstance(entry.get("resource"), dict)
            and entry["resource"].get("resourceType") == "Practitioner"
        ]
        links = response_json.get("link") or []
        next_link = next(
            (
                link.get("url")
                for link in links
                if isinstance(link, dict) and link.get("relation") == "next"
            ),
            None,
        )
        if next_link and "://" not in next_link:
            next_link = urljoin(flow.backend_id.base_url or "", next_link)
        return items, next_link

    @api.model
    def _hc_event_id(self, flow, payload):
        """A pulled version of a practitioner: its id and version (or last update)."""
        resource_id = payload.get("id")
        meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
        version = meta.get("versionId") or meta.get("lastUpdated")
        return f"Practitioner/{resource_id}/_history/{version}" if resource_id and version else None

    # ------------------------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------------------------
    def _hc_process(self, message):
        payload = message.payload or {}
        employee = self._hc_employee(message, payload)
        if not employee:
            return None  # detached from the HRIS sync (audited)
        backend = message.backend_id
        sync = self.env["hc.hr.sync"]
        items = self._hc_credentials(message.flow_id, payload)
        missing = []
        for data in items:
            try:
                sync._credential_type(backend, data["type"])
            except MappingError as error:
                missing.extend(error.missing)
        if missing:
            raise MappingError(backend, missing)
        credentials = [
            sync._upsert_credential(backend, employee, data, message.occurred_at) for data in items
        ]
        employee._hc_hr_sync_access()
        sync._audit(
            message,
            employee,
            "hr.credential.fhir",
            f"FHIR practitioner applied: {len(credentials)} credential(s)",
        )
        return [employee, *credentials]

    def _hc_employee(self, message, payload):
        """The practitioner's employee: by HRIS id (waits until the HRIS sent it), else by
        the NPI an employee of the company already holds."""
        flow = message.flow_id
        employee_id, npi = self._hc_identifiers(flow, payload)
        hris = self._hc_hris_backend(message.backend_id)
        bindings = self._hc_binding()
        if employee_id:
            employee = bindings._require(hris, EMPLOYEE_TYPE, employee_id, message)
            if bindings._find_binding(hris, EMPLOYEE_TYPE, employee_id).detached:
                self.env["hc.hr.sync"]._audit_detached(message, employee)
                return None
            return employee
        holder = (
            self.env["hc.hr.credential"]
            .sudo()
            .search(
                [
                    ("type_id.number_check", "=", "npi"),
                    ("number", "=", npi),
                    ("company_id", "=", hris.company_id.id),
                ],
                limit=1,
            )
        )
        if not holder:
            raise BusinessError(
                self.env._(
                    "No employee holds the NPI of this practitioner, and it carries no "
                    "employee identifier (system %(system)s). Add that identifier in the "
                    "credentialing system, or record the NPI on the employee, then retry.",
                    system=flow.hr_fhir_employee_system,
                )
            )
        return holder.employee_id

    @api.model
    def _hc_hris_backend(self, backend):
        """Where employees are bound: this backend when it is the HRIS, else the one
        active HRIS backend of its company."""
        if backend.backend_type == "hris":
            return backend
        hris = (
            self.env["hc.integration.backend"]
            .sudo()
            .search([("backend_type", "=", "hris"), ("company_id", "=", backend.company_id.id)])
        )
        if len(hris) != 1:
            raise BusinessError(
                self.env._(
                    "Credentials from %(backend)s go to the employees of the company's HRIS "
                    "backend, but %(company)s has %(count)s active HRIS backends.",
                    backend=backend.name,
                    company=backend.company_id.name,
                    count=len(hris),
                )
            )
        return hris

    @api.model
    def _hc_credentials(self, flow, payload):
        """Credential values (as a ``credential.update`` carries them) of the NPI and of
        each qualification."""
        _employee_id, npi = self._hc_identifiers(flow, payload)
        items = []
        if npi:
            items.append({"type": NPI_TYPE_CODE, "number": npi, "status": "active"})
        today = fields.Date.context_today(self)
        for qualification in payload.get("qualification") or []:
            codes = [c.get("code") for c in (qualification.get("code") or {}).get("coding") or []]
            numbers = [i.get("value") for i in qualification.get("identifier") or []]
            code, number = next(filter(None, codes), None), next(filter(None, numbers), None)
            if not code or not number:
                raise BusinessError(
                    self.env._("A qualification of the practitioner has no code or number.")
                )
            period = qualification.get("period") or {}
            start = fields.Date.to_date((period.get("start") or "")[:10] or None)
            data = {
                "type": code,
                "number": number,
                "status": "pending" if start and start > today else "active",
                "expires_on": (period.get("end") or "")[:10] or None,
            }
            if "issuer" in qualification:
                data["issuer"] = (qualification.get("issuer") or {}).get("display")
            items.append(data)
        return items
