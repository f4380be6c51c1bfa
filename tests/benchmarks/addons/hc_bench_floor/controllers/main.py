from odoo import http
from odoo.http import request


class HcBenchFloor(http.Controller):
    @http.route(
        "/hc_bench/floor",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def floor(self, **kwargs):
        """Insert the body and answer 202; Odoo commits after the endpoint returns, like
        for the webhook route."""
        request.env.cr.execute(
            "INSERT INTO hc_bench_floor (body) VALUES (%s) RETURNING id",
            (request.httprequest.get_data(),),
        )
        row_id = request.env.cr.fetchone()[0]
        return request.make_response(
            b'{"id":%d}' % row_id, status=202, headers=[("Content-Type", "application/json")]
        )
