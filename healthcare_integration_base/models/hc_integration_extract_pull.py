"""Serving an extract at ``GET /healthcare/extract/<code>?after=<watermark>``.

The warehouse authenticates with an Odoo API key (Bearer) of a user in the extract's
allowed group. A page holds at most ``chunk_rows`` rows after ``after`` (the extract's own
watermark when omitted: "continue where the last page ended"); the same ``after`` gives
the same rows and the same SHA-256 as long as no row was added or changed after it.
Headers give the range (``X-HC-Watermark-From``/``-To``: pass ``-To`` as the next
``after``), the row count and the SHA-256 of the body; a full page links to the next one.

Each page with rows is a disclosure: it is audited (range, count, SHA-256, who) and moves
the extract's watermark forward to its end, in the same transaction as the read.
"""

from odoo import api, models

from ..tools import extract_files
from ..tools import problem as problems


# hc.integration.extract is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationExtract(models.Model):
    _inherit = "hc.integration.extract"

    def _hc_may_pull(self, user):
        """The user is in the allowed group and the extract's company."""
        self.ensure_one()
        return bool(
            self.allowed_group_id
            and self.allowed_group_id in user.groups_id
            and (not self.company_id or self.company_id in user.company_ids)
        )

    @api.model
    def _hc_serve(self, code, after=None):
        """``(status, body, headers)`` of a page of extract ``code`` for the current user:
        the body is bytes for a page, a problem dict otherwise."""
        user = self.env.user
        extract = self.sudo().search(
            [("code", "=", code), ("destination", "=", "pull"), ("backend_id.active", "=", True)],
            limit=1,
        )
        if not extract:
            return 404, problems.problem(404, "No extract with this code is served."), {}
        if not extract._hc_may_pull(user):
            return 403, problems.problem(403, "This key may not pull this extract."), {}
        start = extract.watermark if after is None else after
        try:
            extract_files.decode_watermark(start)
        except ValueError:
            return 400, problems.problem(400, "The after parameter is not a watermark."), {}
        rows = extract._hc_fetch(start or extract_files.START)
        end = extract._hc_position(rows[-1]) if rows else (start or extract_files.START)
        data, sha = extract._hc_render(rows)
        if rows:
            extract._hc_record_page(start or extract_files.START, end, len(rows), sha)
        return 200, data, extract._hc_page_headers(start, end, len(rows), sha)

    def _hc_record_page(self, start, end, count, sha):
        """Audit a served page; the watermark only ever moves forward."""
        if extract_files.watermark_after(end, self.watermark):
            self._hc_record_run(start, end, count, sha)
            return
        self.env["hc.integration.audit"]._log(
            "extract.served",
            f"extract {self.code} ({self.dataset}, {self.file_format}): {count} rows, "
            f"watermark {start} -> {end}, sha256 {sha}, served again",
            record=self,
            backend=self.backend_id,
        )

    def _hc_page_headers(self, start, end, count, sha):
        headers = {
            "Content-Type": extract_files.media_type(self.file_format),
            "Cache-Control": "no-store",
            "ETag": f'"{sha}"',
            "X-HC-Watermark-From": start or extract_files.START,
            "X-HC-Watermark-To": end,
            "X-HC-Row-Count": str(count),
            "X-HC-SHA256": sha,
        }
        if count >= self.chunk_rows:
            headers["Link"] = f'</healthcare/extract/{self.code}?after={end}>; rel="next"'
        return headers
