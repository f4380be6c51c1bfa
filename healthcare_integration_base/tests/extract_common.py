"""Shared helpers of the extract tests: a temporary folder, an extract whose watermark
starts after every row already in the database, and readers of what it wrote."""

import csv
import io
import json
import os
import shutil
import tempfile

from odoo.tools import SQL

from ..tools import extract_files

#: Column names no dataset may carry (payloads, free texts, people's and patients' data).
FORBIDDEN_COLUMN_WORDS = (
    "payload",
    "body",
    "name",
    "email",
    "phone",
    "address",
    "birth",
    "ssn",
    "salary",
    "bank",
    "member",
    "patient_id",
    "subscriber",
    "description",
    "note",
    "detail",
    "error_message",
    "last_error",
    "summary",
    "number",
    "claim_id",
    "reference",
)
#: Source columns no dataset may read.
FORBIDDEN_SOURCES = (
    "payload",
    "last_error",
    "description",
    "technical_detail",
    "resolution_note",
    "claim_id",
    "payer_claim_control_number",
    "original_reference",
    "payer_name",
    "payee_name",
    "payee_identifier",
    "provider_identifier",
    "procedure_code",
    "external_id",
    "ordering_key",
    "work_email",
)


class ExtractTestMixin:
    """For test classes with ``self.env``: a temporary folder and extracts in it."""

    def make_folder(self):
        folder = tempfile.mkdtemp(prefix="hc_extract_test_")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        return folder

    def head_watermark(self, dataset_code):
        """The position of the last row of the dataset's table now: an extract starting
        there sees only the rows a test makes."""
        dataset = self.env["hc.integration.extract.dataset"]._hc_dataset(dataset_code)
        self.env.flush_all()
        cursor = SQL.identifier(dataset.cursor)
        self.env.cr.execute(
            SQL("SELECT max(%s), max(id) FROM %s", cursor, SQL.identifier(dataset.table))
        )
        moment, record_id = self.env.cr.fetchone()
        if moment is None:
            return extract_files.START
        return extract_files.encode_watermark(moment, record_id)

    def make_extract(self, backend, dataset="messages", **values):
        vals = {
            "name": f"Test extract {dataset}",
            "code": values.pop("code", f"t_{dataset}"),
            "backend_id": backend.id,
            "dataset": dataset,
            "settle_seconds": 0,
        }
        vals.update(values)
        if vals.get("destination", "folder") == "folder":
            vals.setdefault("folder_path", self.make_folder())
        extract = self.env["hc.integration.extract"].create(vals)
        extract.sudo().write({"watermark": self.head_watermark(dataset)})
        return extract

    @staticmethod
    def files(extract):
        return sorted(name for name in os.listdir(extract.folder_path) if not name.startswith("."))

    @staticmethod
    def read_bytes(extract, name=None):
        with open(os.path.join(extract.folder_path, name or extract.last_file_name), "rb") as f:
            return f.read()

    @staticmethod
    def parse(data, file_format):
        """``(header, rows)``; rows are dicts of the cells as text (CSV) or JSON."""
        if file_format == "jsonl":
            rows = [json.loads(line) for line in data.decode().splitlines()]
            return (list(rows[0]) if rows else []), rows
        reader = csv.DictReader(io.StringIO(data.decode()))
        rows = list(reader)
        return reader.fieldnames, rows
