"""``/scim/v2``: SCIM 2.0 for identity platforms (Entra ID, Okta…). Thin on purpose: the
request goes to ``hc.hr.scim._hc_scim_dispatch``, which authenticates the identity
backend by its bearer token and answers a resource, a list or a SCIM error document."""

import json

from odoo import SUPERUSER_ID, http
from odoo.http import request

SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8"


class HealthcareScimController(http.Controller):
    @http.route(
        ["/scim/v2", "/scim/v2/<path:subpath>"],
        type="http",
        auth="none",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def scim(self, subpath="", **kwargs):
        httprequest = request.httprequest
        params = {key: values[-1] for key, values in httprequest.args.lists()}
        # no session on this route: the service runs as the system, audited as the backend
        service = request.env(user=SUPERUSER_ID)["hc.hr.scim"]
        status, body, headers = service._hc_scim_dispatch(
            httprequest.method,
            subpath,
            params,
            httprequest.headers,
            httprequest.get_data,
            httprequest.url_root.rstrip("/"),
        )
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        response = request.make_response(data, status=status)
        if body is not None:
            response.headers["Content-Type"] = SCIM_CONTENT_TYPE
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response
