"""Governed extracts served to the data warehouse (see ``hc_integration_extract_pull.py``)."""

from odoo import http
from odoo.http import request

from .main import json_response


class HealthcareExtractController(http.Controller):
    @http.route(
        "/healthcare/extract/<string:code>",
        type="http",
        auth="bearer",
        methods=["GET"],
        csrf=False,
        save_session=False,
        # not readonly: serving a page audits it and moves the extract's watermark, in
        # the transaction that read the rows (an audit entry for exactly what was sent)
        readonly=False,
    )
    def extract(self, code, after=None, **kwargs):
        """A page of CSV or JSON Lines rows after ``after`` (Odoo API key as Bearer)."""
        status, body, headers = request.env["hc.integration.extract"]._hc_serve(code, after)
        if status != 200:
            return json_response(status, body)
        response = request.make_response(body, headers=list(headers.items()))
        return response
