"""Running an extract: rows after the watermark, in chunks, one file per chunk.

A chunk is written in two committed steps. First its end is fixed: the rows after the
watermark (at most ``chunk_rows``, none changed within the settle delay) are read and the
position of the last one is stored as ``pending_watermark``. Then the file
``<code>-<from>-<to>`` is written (through a temporary file and a rename), and the
watermark moves to its end together with the audit entry of the run. A crash between the
two steps leaves the pending end: the next run reads the same range again and replaces
the same file, so the warehouse never receives a row twice under two names. A re-run
after success starts after the watermark: nothing is extracted twice.
"""

import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import extract_files
from ..tools.actions import reload_notice
from .hc_integration_processor import _testing

_logger = logging.getLogger(__name__)

RUN_CRON_XMLID = "healthcare_integration_base.ir_cron_run_extracts"


# hc.integration.extract is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationExtract(models.Model):
    _inherit = "hc.integration.extract"

    # ------------------------------------------------------------------------------------
    # Reading rows
    # ------------------------------------------------------------------------------------
    def _hc_fetch(self, start, end=None, limit=None):
        """Rows after watermark ``start`` and up to ``end`` (a token, included) or, without
        ``end``, up to the settle delay; each row is its cells followed by its position
        ``(cursor value, id)``, in the order of the positions."""
        self.ensure_one()
        dataset = self._hc_dataset()
        cursor = SQL.identifier("t", dataset.cursor)
        conditions = [SQL("%s IS NOT NULL", cursor)]
        after = extract_files.decode_watermark(start)
        if after:
            conditions.append(SQL("(%s, t.id) > (%s, %s)", cursor, *after))
        if end:
            conditions.append(
                SQL("(%s, t.id) <= (%s, %s)", cursor, *extract_files.decode_watermark(end))
            )
        else:
            conditions.append(
                SQL(
                    "%s <= (clock_timestamp() AT TIME ZONE 'UTC') - make_interval(secs => %s)",
                    cursor,
                    self.settle_seconds,
                )
            )
        if dataset.company is not None and self.company_id:
            conditions.append(SQL("%s = %s", dataset.company, self.company_id.id))
        if dataset.where is not None:
            conditions.append(dataset.where)
        query = SQL(
            "SELECT %s, %s, t.id FROM %s t %s WHERE %s ORDER BY %s, t.id LIMIT %s",
            SQL(", ").join(column.expression for column in dataset.columns),
            cursor,
            SQL.identifier(dataset.table),
            dataset.joins or SQL(),
            SQL(" AND ").join(conditions),
            cursor,
            limit or self.chunk_rows,
        )
        self.env.flush_all()
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    @staticmethod
    def _hc_position(row):
        return extract_files.encode_watermark(row[-2], row[-1])

    def _hc_render(self, rows):
        """``(bytes, sha256)`` of ``rows`` in this extract's format."""
        data = extract_files.render(
            self._hc_dataset().columns, [row[:-2] for row in rows], self.file_format
        )
        return data, extract_files.sha256_hex(data)

    # ------------------------------------------------------------------------------------
    # One chunk
    # ------------------------------------------------------------------------------------
    def _hc_plan_chunk(self):
        """``(start, end, rows)`` of the next file, its end stored as pending; None when
        there is nothing new."""
        self.ensure_one()
        start = self.watermark or extract_files.START
        if self.pending_watermark:
            end = self.pending_watermark
            return start, end, self._hc_fetch(start, end=end)
        rows = self._hc_fetch(start)
        if not rows:
            return None
        end = self._hc_position(rows[-1])
        self.sudo().write({"pending_watermark": end})
        return start, end, rows

    def _hc_write_chunk(self, plan):
        """Write the file of ``plan``, move the watermark to its end and audit the run."""
        start, end, rows = plan
        problem = self._hc_folder_problem()
        if problem:
            raise UserError(self.env._("The extract folder cannot be used: %s.", problem))
        data, sha = self._hc_render(rows)
        name = extract_files.file_name(self.code, start, end, self.file_format)
        extract_files.write_atomically(self.folder_path, name, data)
        self._hc_record_run(start, end, len(rows), sha, name)
        return len(rows)

    def _hc_record_run(self, start, end, count, sha, name=False):
        """The watermark moves to ``end``; the audit records the run without its rows."""
        self.sudo().write(
            {
                "watermark": end,
                "pending_watermark": False,
                "last_run_at": fields.Datetime.now(),
                "last_watermark_from": start,
                "last_row_count": count,
                "last_sha256": sha,
                "last_file_name": name,
                "last_error": False,
            }
        )
        where = f", file {name}" if name else ", served"
        self.env["hc.integration.audit"]._log(
            "extract.run" if name else "extract.served",
            f"extract {self.code} ({self.dataset}, {self.file_format}): {count} rows, "
            f"watermark {start} -> {end}, sha256 {sha}{where}",
            record=self,
            backend=self.backend_id,
        )

    def _hc_run_chunk(self):
        """Plan and write the next chunk, committing each step (except in tests). True
        when more rows may follow (a full chunk, or the replay of an interrupted one),
        False when the extract is up to date, None when there was nothing new."""
        replay = bool(self.pending_watermark)
        with self.env.cr.savepoint():
            plan = self._hc_plan_chunk()
        if plan is None:
            return None
        self._hc_commit()
        with self.env.cr.savepoint():
            count = self._hc_write_chunk(plan)
        self._hc_commit()
        return replay or count >= self.chunk_rows

    # ------------------------------------------------------------------------------------
    # A whole run
    # ------------------------------------------------------------------------------------
    def _hc_run(self, deadline=None):
        """Write chunks until nothing new is left or ``deadline`` (monotonic) passes.
        Returns ``(chunks written, finished)``; a finished run schedules the next one."""
        self.ensure_one()
        chunks = 0
        try:
            while deadline is None or time.monotonic() < deadline:
                more = self._hc_run_chunk()
                if more is None:
                    break
                chunks += 1
                if not more:
                    break
            else:
                return chunks, False
        except (OSError, UserError) as error:
            self._hc_run_failed(error)
            return chunks, True
        self.sudo().write({"next_run_at": self._hc_next_run_at()})
        return chunks, True

    def _hc_next_run_at(self):
        return fields.Datetime.now() + timedelta(minutes=self.interval_minutes)

    def _hc_run_failed(self, error):
        """Record why the run stopped (the folder vanished, the disk is full…) and retry
        at the next interval; nothing of the failed chunk is kept but its pending end."""
        reason = error.args[0] if isinstance(error, UserError) else type(error).__name__
        if isinstance(error, OSError) and error.strerror:
            reason = f"{type(error).__name__}: {error.strerror}"
        _logger.warning("Extract %s failed: %s", self.code, reason)
        self.sudo().write({"last_error": str(reason)[:500], "next_run_at": self._hc_next_run_at()})
        self.env["hc.integration.audit"]._log(
            "extract.failed",
            f"extract {self.code} failed at watermark {self.watermark}: {reason}"[:500],
            record=self,
            backend=self.backend_id,
        )
        self._hc_commit()

    def _hc_commit(self):
        """Commit a step of a run, except in tests (one transaction, never committed)."""
        if not _testing():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------------------------
    @api.model
    def _get_due_extracts_domain(self):
        return [
            ("destination", "=", "folder"),
            ("backend_id.active", "=", True),
            "|",
            ("next_run_at", "=", False),
            ("next_run_at", "<=", fields.Datetime.now()),
        ]

    @api.model
    def _cron_run_extracts(self, time_budget=None):
        """Run due extracts within the engine's cron budget. An extract interrupted by the
        budget keeps its watermark and stays due; progress is reported so the scheduler
        comes back at once for the rest."""
        processor = self.env["hc.integration.processor"]
        budget = time_budget or min(
            processor._get_param("extract_time_budget_seconds", 50), processor._call_time_budget()
        )
        deadline = time.monotonic() + budget
        done = 0
        for extract in self.search(self._get_due_extracts_domain(), order="next_run_at, id"):
            if time.monotonic() >= deadline:
                break
            chunks, _finished = extract._hc_run(deadline=deadline)
            done += chunks
        remaining = self.search_count(self._get_due_extracts_domain())
        if remaining and time.monotonic() >= deadline:
            processor._hc_come_back(did_nothing=not done)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def action_run_now(self):
        """Make the extracts due and wake their cron: the run happens within seconds in the
        background, with the cron's chunks, commits and budget (never inside this request,
        never twice at once)."""
        self.check_access("write")
        extracts = self.filtered(lambda e: e.destination == "folder")
        if not extracts:
            raise UserError(self.env._("Only extracts written to a folder run on a schedule."))
        extracts.sudo().write({"next_run_at": fields.Datetime.now()})
        self.env.ref(RUN_CRON_XMLID).sudo()._trigger()
        return reload_notice(
            self.env._("Extract requested: it runs within a few seconds. Reload to see its result.")
        )
