import functools
import json
import os
from urllib.parse import urljoin

from odoo import api, models
from odoo.modules.module import get_module_path
from odoo.tools.misc import file_open

from ..exceptions import MappingError


@functools.lru_cache(maxsize=256)
def _schema_path(module, event_type, version):
    """``module/schemas/<event_type>/<version>.json`` when the file exists (cached: the
    webhook asks on every delivery, and addon files do not change while Odoo runs)."""
    module_path = get_module_path(module)
    relative = os.path.join(module, "schemas", event_type, f"{version}.json")
    if module_path and os.path.isfile(
        os.path.join(module_path, "schemas", event_type, f"{version}.json")
    ):
        return relative
    return None


class HcIntegrationHandler(models.AbstractModel):
    """Base of every flow handler: the extension point of the suite.

    To add a flow in another addon, define an abstract model inheriting this one and a
    ``hc.integration.flow`` data record naming it; nothing in this addon changes::

        class HrEmployeeUpsertHandler(models.AbstractModel):
            _name = "hc.hr.handler.employee.upsert"
            _inherit = "hc.integration.handler"
            _description = "HR: employee upsert"
            _hc_allowlist = ("employee.external_id", "employee.first_name", ...)

            def _hc_process(self, message):
                ...  # apply message.payload, raise the engine's errors, never commit
                return employee

    Ingest-time hooks (``_hc_parse_body`` … ``_hc_effective_date``) run inside the webhook
    request or the pull: they must be fast, free of side effects and of outgoing calls.
    ``_hc_process`` runs in the queue processor, in its own savepoint.
    """

    _name = "hc.integration.handler"
    _description = "Integration handler"

    #: Default payload allow-list (dotted paths). ``None`` means the handler minimises the
    #: payload itself in ``_hc_parse_body`` (e.g. an X12 parser keeping no names).
    _hc_allowlist = ()
    #: JSON Schemas live in ``<addon>/schemas/<event type>/<version>.json`` of this addon.
    _hc_schema_module = None

    # ----------------------------------------------------------------------------------
    # Ingest: parse, validate, minimise, identify (no side effects)
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_parse_body(self, flow, body, content_type):
        """Turn the raw request body (bytes) into the payload dict to validate and store.

        Raise ``ValueError`` with a short reason for a malformed body (answered 400).
        """
        return json.loads(body)

    @api.model
    def _hc_default_allowlist(self, flow):
        return None if self._hc_allowlist is None else list(self._hc_allowlist)

    @api.model
    def _hc_schema_path(self, flow, version):
        """Path (for ``file_open``) of the JSON Schema for this flow and version, or None."""
        module = self._hc_schema_module or self._original_module
        if not flow.event_type or not version or not module:
            return None
        return _schema_path(module, flow.event_type, version)

    @api.model
    def _hc_schemas(self, flow, versions):
        """The JSON Schemas (dicts) of ``versions``, for the OpenAPI document."""
        schemas = []
        for version in versions:
            path = self._hc_schema_path(flow, version)
            if path:
                with file_open(path, "rb") as schema_file:
                    schemas.append(json.load(schema_file))
        return schemas

    @api.model
    def _hc_contract_problems(self, flow):
        """Why the inbound ``flow`` would accept events unvalidated (empty when its
        contract is complete): it needs an event type and, for every schema version it
        lists (at least one), a JSON Schema of this handler. A handler whose contract is
        not a schema file overrides this (and validates in ``_hc_check_payload``)."""
        problems = []
        if not flow.event_type:
            problems.append(self.env._("it has no event type"))
        versions = flow._get_accepted_versions()
        if not versions:
            problems.append(self.env._("it lists no schema version"))
        elif flow.event_type:
            missing = [version for version in versions if not self._hc_schema_path(flow, version)]
            if missing:
                problems.append(
                    self.env._(
                        "no JSON Schema ships for event %(event)s version(s) %(versions)s",
                        event=flow.event_type,
                        versions=", ".join(missing),
                    )
                )
        return problems

    @api.model
    def _hc_check_payload(self, flow, payload):
        """Checks beyond the JSON Schema (e.g. control totals). Returns a list of
        ``{"path", "message"}`` without payload values."""
        return []

    @api.model
    def _hc_ordering_key(self, flow, payload):
        """Messages with the same key (e.g. one employee) are applied in arrival order."""
        return

    @api.model
    def _hc_effective_date(self, flow, payload):
        """A datetime before which the message must not be applied (effective-dated)."""
        return

    @api.model
    def _hc_event_id(self, flow, payload):
        """The event's own id, for pulled items (webhooks use the ``webhook-id`` header)."""
        return payload.get("event_id") or payload.get("id")

    # ----------------------------------------------------------------------------------
    # Scheduled pulls: how a page is requested and read (see hc.integration.puller)
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_pull_request_params(self, flow, cursor, watermark):
        """Query parameters of a page request. ``cursor``: the cursor returned by the
        previous page (None for the first page); ``watermark``: the naive UTC datetime
        from which changes are wanted, overlap already subtracted (None on the first pull).
        Not called when the previous page gave a next link (the link carries them)."""
        params = {"limit": flow.pull_page_size or None, "cursor": cursor or None}
        if watermark:
            params["updated_since"] = watermark.strftime("%Y-%m-%dT%H:%M:%SZ")
        return params

    @api.model
    def _hc_pull_parse_page(self, flow, response_json):
        """``(items, next_cursor_or_None)`` from a page's JSON. Default shape:
        ``{"items": [...], "next_cursor": "..."}`` or ``{"items": [...], "next": "<link>"}``.
        A next value that is an absolute http(s) URL is followed as a link (same server
        only), anything else is sent back as the ``cursor`` parameter. Raise ``ValueError``
        with a short reason (no item values) when the page has the wrong shape."""
        page = response_json if isinstance(response_json, dict) else {}
        items = page.get("items")
        next_value = page.get("next_cursor") or page.get("next") or None
        problem = None
        if not isinstance(items, list):
            problem = "expected a JSON object with an 'items' list"
        elif next_value is not None and not isinstance(next_value, str):
            problem = "'next_cursor' / 'next' must be a string"
        if problem:
            raise ValueError(problem)
        if next_value and page.get("next") == next_value and "://" not in next_value:
            # a relative next link: resolve it against the base URL
            next_value = urljoin(flow.backend_id.base_url or "", next_value)
        return items, next_value

    # ----------------------------------------------------------------------------------
    # Processing
    # ----------------------------------------------------------------------------------
    def _hc_process(self, message):
        """Apply ``message.payload``. Return the records created or changed (they are
        linked to the message), or None. Raise the errors of
        ``healthcare_integration_base.exceptions``; never commit."""
        raise NotImplementedError(f"{self._name} does not implement _hc_process")

    # ----------------------------------------------------------------------------------
    # Helpers for handler authors
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_map(self, backend, mapping_type, code, required=True):
        """Resolve one external code (see ``hc.integration.mapping._resolve``)."""
        return self.env["hc.integration.mapping"]._resolve(backend, mapping_type, code, required)

    @api.model
    def _hc_map_many(self, backend, codes):
        """Resolve one code per type at once: ``{mapping_type: code}`` →
        ``{mapping_type: record or None}`` (see :meth:`_hc_map_pairs`)."""
        resolved = self._hc_map_pairs(backend, codes.items())
        return {
            mapping_type: resolved.get((mapping_type, code)) for mapping_type, code in codes.items()
        }

    @api.model
    def _hc_map_pairs(self, backend, pairs):
        """Resolve ``[(mapping_type, code)]`` → ``{(mapping_type, code): record}`` (empty
        codes skipped). Raises one :class:`MappingError` listing every missing code, so a
        person can map them all in one go."""
        mapping = self.env["hc.integration.mapping"]
        resolved, missing = {}, []
        for mapping_type, code in dict.fromkeys(pairs):
            if not code:
                continue
            try:
                resolved[(mapping_type, code)] = mapping._resolve(backend, mapping_type, code)
            except MappingError as error:
                missing.extend(error.missing)
        if missing:
            raise MappingError(backend, missing)
        return resolved

    @api.model
    def _hc_binding(self):
        return self.env["hc.integration.binding"]
