import json
import logging
from pathlib import Path

import psycopg2

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import file_open

from ..tools.scim_filter import CORE_USER, ENTERPRISE_USER, ScimError, matches, parse_filter
from ..tools.scim_patch import project

_logger = logging.getLogger(__name__)

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
MAX_RESULTS = 500
# Not under schemas/: that folder holds flow schemas, schemas/<event type>/<version>.json.
SCHEMAS_FILE = Path("healthcare_hr_sync", "data", "scim", "schemas.json")


class HcHrScim(models.AbstractModel):
    """The SCIM 2.0 service provider behind ``/scim/v2`` (RFC 7643/7644).

    The controller hands every request to :meth:`_hc_scim_dispatch`, which authenticates
    the identity backend by its bearer token and answers ``(status, body, headers)``:
    a resource, a list, or a SCIM error document — never an HTML page or a traceback.
    Discovery and reads live here, writes in ``hc_hr_scim_write.py``.
    """

    _name = "hc.hr.scim"
    _description = "SCIM 2.0 service provider"

    # ------------------------------------------------------------------------------------
    # Entry point
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_dispatch(self, method, subpath, params, headers, read_body, base_url):
        """Route one request; every error becomes a SCIM error document."""
        try:
            backend = self._hc_scim_authenticate(headers.get("Authorization"))
            with self.env.cr.savepoint():
                return self._hc_scim_route(
                    backend, method, subpath.strip("/"), params, headers, read_body, base_url
                )
        except ScimError as error:
            return error.status, error.document(), error.headers
        except (psycopg2.errors.UniqueViolation, ValidationError):
            # the same userName created at the same instant by a concurrent request: the
            # unique indexes decide (details are not echoed: they may name a person)
            error = ScimError(409, "A user with this userName already exists.", "uniqueness")
            return 409, error.document(), {}
        except Exception:
            _logger.exception("SCIM %s /%s: unexpected error, answered 500", method, subpath)
            error = ScimError(500, "An unexpected error occurred; it was logged.")
            return 500, error.document(), {}

    @api.model
    def _hc_scim_authenticate(self, authorization):
        scheme, _space, token = (authorization or "").partition(" ")
        backend = self.env["hc.integration.backend"].browse()
        if scheme.lower() == "bearer" and token.strip():
            backend = backend._hc_scim_backend_for_token(token.strip())
        if not backend:
            raise ScimError(
                401,
                "A valid bearer token is required.",
                headers={"WWW-Authenticate": 'Bearer realm="scim"'},
            )
        return backend

    @api.model
    def _hc_scim_route(self, backend, method, path, params, headers, read_body, base_url):
        parts = path.split("/") if path else []
        head = parts[0] if parts else ""
        if head in ("ServiceProviderConfig", "Schemas", "ResourceTypes"):
            if method != "GET":
                raise ScimError(405, f"{head} is read-only.")
            return 200, self._hc_scim_discovery(head, parts[1:], base_url), {}
        if head == ".search" or parts == ["Users", ".search"]:
            if method != "POST":
                raise ScimError(405, "Searches are POST requests.")
            return 200, self._hc_scim_list(backend, self._hc_scim_body(read_body), base_url), {}
        if head != "Users" or len(parts) > 2:
            raise ScimError(404, "No such SCIM endpoint.")
        if len(parts) == 1:
            if method == "GET":
                return 200, self._hc_scim_list(backend, params, base_url), {}
            if method == "POST":
                return self._hc_scim_create(backend, self._hc_scim_body(read_body), base_url)
            raise ScimError(405, "Method not allowed on /Users.")
        return self._hc_scim_user_route(
            backend, method, parts[1], params, headers, read_body, base_url
        )

    @api.model
    def _hc_scim_user_route(self, backend, method, scim_id, params, headers, read_body, base_url):
        record = self.env["hc.hr.scim.user"]._hc_find(backend, scim_id)
        if not record:
            raise ScimError(404, f"User {scim_id} not found.")
        if method == "GET":
            return 200, self._hc_scim_project(record, params, base_url), self._etag(record)
        if method not in ("PUT", "PATCH", "DELETE"):
            raise ScimError(405, "Method not allowed on a user.")
        self._hc_scim_check_etag(record, headers.get("If-Match"))
        if method == "DELETE":
            return self._hc_scim_delete(backend, record)
        body = self._hc_scim_body(read_body)
        if method == "PUT":
            return self._hc_scim_replace(backend, record, body, base_url)
        return self._hc_scim_patch(backend, record, body, base_url)

    @api.model
    def _hc_scim_body(self, read_body):
        try:
            body = json.loads(read_body() or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise ScimError(400, "The body is not valid JSON.", "invalidSyntax") from error
        if not isinstance(body, dict):
            raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
        return body

    @api.model
    def _hc_scim_check_etag(self, record, if_match):
        """``If-Match`` with another version than the current one → 412."""
        if not if_match:
            return
        wanted = [tag.strip() for tag in if_match.split(",")]
        if "*" not in wanted and record.etag not in wanted and record.etag[2:] not in wanted:
            raise ScimError(412, "The resource changed since that version was read.")

    @api.model
    def _etag(self, record):
        return {"ETag": record.etag}

    # ------------------------------------------------------------------------------------
    # Reads
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_project(self, record, params, base_url):
        attributes, excluded = self._hc_scim_attribute_params(params)
        return project(record._hc_scim_resource(base_url), attributes, excluded)

    @api.model
    def _hc_scim_attribute_params(self, params):
        def as_list(value):
            if value is None:
                return []
            return value if isinstance(value, list) else [str(value)]

        return as_list(params.get("attributes")), as_list(params.get("excludedAttributes"))

    @api.model
    def _hc_scim_list(self, backend, params, base_url):
        """``GET /Users`` or a SearchRequest: filter, ``startIndex`` (1-based), ``count``."""
        tree = parse_filter(params["filter"]) if params.get("filter") else None
        start = self._int_param(params, "startIndex", 1, minimum=1)
        count = min(self._int_param(params, "count", MAX_RESULTS, minimum=0), MAX_RESULTS)
        records = self._hc_scim_candidates(backend, tree)
        resources = [record._hc_scim_resource(base_url) for record in records]
        if tree is not None:
            resources = [resource for resource in resources if matches(tree, resource)]
        page = resources[start - 1 : start - 1 + count]
        attributes, excluded = self._hc_scim_attribute_params(params)
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(resources),
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [project(resource, attributes, excluded) for resource in page],
        }

    @api.model
    def _hc_scim_candidates(self, backend, tree):
        """The backend's SCIM users a filter may match; ``userName eq`` (what Entra and
        Okta ask before each creation) is answered from the index, case-insensitively."""
        domain = [("backend_id", "=", backend.id)]
        if tree and tree[0] == "cmp" and tree[2] == "eq" and isinstance(tree[3], str):
            attribute = tree[1].lower().removeprefix(CORE_USER.lower() + ":")
            if attribute == "username":
                domain.append(("user_name_key", "=", tree[3].lower()))
        return self.env["hc.hr.scim.user"].sudo().search(domain)

    @api.model
    def _int_param(self, params, name, default, minimum):
        value = params.get(name)
        if value in (None, ""):
            return default
        try:
            return max(int(value), minimum)
        except (TypeError, ValueError) as error:
            raise ScimError(400, f"'{name}' must be an integer.", "invalidValue") from error

    # ------------------------------------------------------------------------------------
    # Discovery (RFC 7644 §4)
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_scim_schemas(self, base_url):
        with file_open(str(SCHEMAS_FILE)) as handle:
            schemas = json.load(handle)
        for schema in schemas:
            schema["meta"] = {
                "resourceType": "Schema",
                "location": f"{base_url}/scim/v2/Schemas/{schema['id']}",
            }
        return schemas

    @api.model
    def _hc_scim_resource_types(self, base_url):
        return [
            {
                "schemas": [RESOURCE_TYPE],
                "id": "User",
                "name": "User",
                "description": "User accounts (and their employees)",
                "endpoint": "/Users",
                "schema": CORE_USER,
                "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
                "meta": {
                    "resourceType": "ResourceType",
                    "location": f"{base_url}/scim/v2/ResourceTypes/User",
                },
            }
        ]

    @api.model
    def _hc_scim_service_provider_config(self, base_url):
        return {
            "schemas": [SPC],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "The identity backend's SCIM token (Authorization: Bearer).",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{base_url}/scim/v2/ServiceProviderConfig",
            },
        }

    @api.model
    def _hc_scim_discovery(self, head, rest, base_url):
        if head == "ServiceProviderConfig":
            if rest:
                raise ScimError(404, "No such SCIM endpoint.")
            return self._hc_scim_service_provider_config(base_url)
        items = (
            self._hc_scim_schemas(base_url)
            if head == "Schemas"
            else self._hc_scim_resource_types(base_url)
        )
        if rest:
            found = [item for item in items if item["id"] == "/".join(rest)]
            if not found:
                raise ScimError(404, f"No {head[:-1]} '{'/'.join(rest)}'.")
            return found[0]
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
