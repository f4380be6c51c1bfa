"""Governed extracts to a folder (issue 14 §5): files, columns, SHA-256 against the audit,
incremental and idempotent runs, a crash before the watermark moves, chunks within the
cron budget, folder validation and the minimum-necessary column lists."""

import os
import time
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import config

from ..tools import extract_files
from .common import IntegrationCase
from .extract_common import FORBIDDEN_COLUMN_WORDS, FORBIDDEN_SOURCES, ExtractTestMixin

MESSAGE_COLUMNS = [
    "message_id",
    "company_id",
    "backend_code",
    "flow_code",
    "direction",
    "event_type",
    "schema_version",
    "state",
    "attempts",
    "error_class",
    "trace_id",
    "occurred_at",
    "received_at",
    "started_at",
    "finished_at",
    "updated_at",
]
EXCEPTION_COLUMNS = [
    "exception_id",
    "company_id",
    "message_id",
    "backend_code",
    "flow_code",
    "category",
    "state",
    "mapping_type",
    "mapping_code",
    "occurrence_count",
    "created_at",
    "last_occurred_at",
    "updated_at",
]
READER_GROUP = "healthcare_integration_base.group_integration_extract_reader"
#: A value of the test payloads: it must never reach a file.
PERSON = "Zelda Phiperson"


@tagged("post_install", "-at_install")
class TestExtract(ExtractTestMixin, IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["hc.integration.backend"].create(
            {"name": "Data warehouse", "code": "t_warehouse"}
        )

    def enqueue_many(self, count):
        return self.Message.concat(*(self.enqueue(name=PERSON) for _i in range(count)))

    def position_of(self, message):
        self.env.cr.execute(
            "SELECT write_date FROM hc_integration_message WHERE id = %s", [message.id]
        )
        return extract_files.encode_watermark(self.env.cr.fetchone()[0], message.id)

    def run_audits(self, extract):
        return self.Audit.sudo().search(
            [
                ("action", "=", "extract.run"),
                ("res_model", "=", extract._name),
                ("res_id", "=", extract.id),
            ],
            order="id",
        )

    # ------------------------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------------------------
    def test_csv_file_columns_content_and_audited_sha(self):
        extract = self.make_extract(self.warehouse)
        start = extract.watermark
        messages = self.enqueue_many(3)
        chunks, finished = extract._hc_run()
        self.assertEqual((chunks, finished), (1, True))
        end = self.position_of(messages[-1])
        self.assertEqual(extract.watermark, end)
        self.assertEqual(self.files(extract), [f"t_messages-{start}-{end}.csv"])
        self.assertEqual(extract.last_file_name, f"t_messages-{start}-{end}.csv")
        data = self.read_bytes(extract)
        self.assertNotIn(PERSON.encode(), data)
        header, rows = self.parse(data, "csv")
        self.assertEqual(header, MESSAGE_COLUMNS)
        self.assertEqual([int(row["message_id"]) for row in rows], messages.ids)
        first = rows[0]
        self.assertEqual(first["backend_code"], "test_backend")
        self.assertEqual(first["flow_code"], "contacts")
        self.assertEqual(first["event_type"], "contact.upsert")
        self.assertEqual(first["state"], "pending")
        self.assertEqual(first["trace_id"], messages[0].trace_id)
        self.assertEqual(first["started_at"], "")
        self.assertTrue(first["received_at"].endswith("Z"))
        sha = extract_files.sha256_hex(data)
        self.assertEqual(extract.last_sha256, sha)
        self.assertEqual(extract.last_row_count, 3)
        audit = self.run_audits(extract)
        self.assertEqual(len(audit), 1)
        self.assertIn(f"sha256 {sha}", audit.summary)
        self.assertIn("3 rows", audit.summary)
        self.assertIn(f"watermark {start} -> {end}", audit.summary)
        self.assertNotIn(PERSON, audit.summary)
        self.assertEqual(audit.backend_id, self.warehouse)

    def test_jsonl_file(self):
        extract = self.make_extract(self.warehouse, file_format="jsonl")
        messages = self.enqueue_many(2)
        extract._hc_run()
        self.assertTrue(extract.last_file_name.endswith(".jsonl"))
        data = self.read_bytes(extract)
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), 2)
        header, rows = self.parse(data, "jsonl")
        self.assertEqual(header, MESSAGE_COLUMNS)
        self.assertEqual([row["message_id"] for row in rows], messages.ids)
        self.assertIsNone(rows[0]["started_at"])
        self.assertEqual(rows[0]["attempts"], 0)
        self.assertNotIn(PERSON.encode(), data)
        sha = extract_files.sha256_hex(data)
        self.assertEqual(extract.last_sha256, sha)
        self.assertIn(f"sha256 {sha}", self.run_audits(extract).summary)

    def test_exceptions_dataset(self):
        extract = self.make_extract(self.warehouse, dataset="exceptions")
        message = self.enqueue(simulate="business")
        self.process()
        exception = message.exception_ids
        self.assertTrue(exception)
        extract._hc_run()
        header, rows = self.parse(self.read_bytes(extract), "csv")
        self.assertEqual(header, EXCEPTION_COLUMNS)
        self.assertEqual([int(row["exception_id"]) for row in rows], exception.ids)
        self.assertEqual(rows[0]["category"], exception.category)
        self.assertEqual(int(rows[0]["message_id"]), message.id)

    # ------------------------------------------------------------------------------------
    # Incremental and idempotent
    # ------------------------------------------------------------------------------------
    def test_second_run_extracts_new_rows_only(self):
        extract = self.make_extract(self.warehouse)
        self.enqueue_many(2)
        extract._hc_run()
        first_end = extract.watermark
        newer = self.enqueue_many(2)
        extract._hc_run()
        self.assertEqual(extract.last_watermark_from, first_end)
        self.assertTrue(extract.last_file_name.startswith(f"t_messages-{first_end}-"))
        _header, rows = self.parse(self.read_bytes(extract), "csv")
        self.assertEqual([int(row["message_id"]) for row in rows], newer.ids)
        self.assertEqual(len(self.files(extract)), 2)
        self.assertEqual(len(self.run_audits(extract)), 2)

    def test_rerun_after_success_writes_nothing_again(self):
        extract = self.make_extract(self.warehouse)
        self.enqueue_many(2)
        extract._hc_run()
        watermark, files = extract.watermark, self.files(extract)
        self.assertEqual(extract._hc_run(), (0, True))
        self.assertEqual(extract.watermark, watermark)
        self.assertEqual(self.files(extract), files)
        self.assertEqual(len(self.run_audits(extract)), 1)

    def test_same_watermark_gives_same_file_and_sha(self):
        extract = self.make_extract(self.warehouse)
        start = extract.watermark
        self.enqueue_many(3)
        extract._hc_run()
        name, sha = extract.last_file_name, extract.last_sha256
        os.unlink(os.path.join(extract.folder_path, name))
        extract.sudo().write({"watermark": start})
        extract._hc_run()
        self.assertEqual(extract.last_file_name, name)
        self.assertEqual(extract.last_sha256, sha)
        self.assertEqual(extract_files.sha256_hex(self.read_bytes(extract)), sha)

    def test_crash_before_the_watermark_moves_rewrites_the_same_file(self):
        extract = self.make_extract(self.warehouse)
        start = extract.watermark
        first = self.enqueue_many(2)
        plan = extract._hc_plan_chunk()
        self.assertEqual(extract.pending_watermark, plan[1])
        # the file is written, then the process dies before the watermark moves
        with (
            patch.object(type(extract), "_hc_record_run", side_effect=RuntimeError("killed")),
            self.assertRaises(RuntimeError),
        ):
            extract._hc_write_chunk(plan)
        name = extract_files.file_name(extract.code, start, plan[1], "csv")
        self.assertEqual(self.files(extract), [name])
        expected_sha = extract_files.sha256_hex(self.read_bytes(extract, name))
        self.assertEqual(extract.watermark, start)
        self.assertFalse(self.run_audits(extract))
        with open(os.path.join(extract.folder_path, name), "wb") as handle:
            handle.write(b"half a file")
        # rows arriving meanwhile go to the next file, not into the replayed one
        later = self.enqueue_many(1)
        chunks, finished = extract._hc_run()
        self.assertEqual((chunks, finished), (2, True))
        files = self.files(extract)
        self.assertEqual(len(files), 2)
        self.assertIn(name, files)
        self.assertEqual(extract_files.sha256_hex(self.read_bytes(extract, name)), expected_sha)
        audits = self.run_audits(extract)
        self.assertIn(f"sha256 {expected_sha}", audits[0].summary)
        ids = []
        for file_name in files:
            ids += [
                int(row["message_id"])
                for row in self.parse(self.read_bytes(extract, file_name), "csv")[1]
            ]
        self.assertEqual(sorted(ids), (first | later).ids)
        self.assertFalse(extract.pending_watermark)

    # ------------------------------------------------------------------------------------
    # Chunks, cron and budget
    # ------------------------------------------------------------------------------------
    def test_large_extract_in_chunks(self):
        extract = self.make_extract(self.warehouse, chunk_rows=2)
        messages = self.enqueue_many(5)
        self.assertEqual(extract._hc_run(), (3, True))
        files = self.files(extract)
        self.assertEqual(len(files), 3)
        ids, previous_end = [], None
        for audit in self.run_audits(extract):
            start = audit.summary.split("watermark ")[1].split(" -> ")[0]
            if previous_end:
                self.assertEqual(start, previous_end)
            previous_end = audit.summary.split(" -> ")[1].split(",")[0]
        for name in files:
            ids += [
                int(row["message_id"])
                for row in self.parse(self.read_bytes(extract, name), "csv")[1]
            ]
        self.assertEqual(sorted(ids), messages.ids)

    def test_cron_runs_due_extracts_and_stops_on_its_budget(self):
        extract = self.make_extract(self.warehouse, chunk_rows=2)
        self.enqueue_many(5)
        # no time left: nothing is written, the extract stays due
        self.assertEqual(extract._hc_run(deadline=time.monotonic()), (0, False))
        self.assertFalse(extract.next_run_at)
        self.assertIn(extract, extract.search(extract._get_due_extracts_domain()))
        with patch.object(
            type(extract), "_hc_run_chunk", autospec=True, side_effect=lambda rec: True
        ) as chunk:
            # a run cut by the deadline keeps the extract due
            extract._hc_run(deadline=time.monotonic() + 0.05)
        self.assertTrue(chunk.called)
        self.assertFalse(extract.next_run_at)
        done = self.env["hc.integration.extract"]._cron_run_extracts(time_budget=30)
        self.assertGreaterEqual(done, 3)
        self.assertEqual(len(self.files(extract)), 3)
        self.assertTrue(extract.next_run_at)
        self.assertNotIn(extract, extract.search(extract._get_due_extracts_domain()))

    def test_run_now_makes_the_extract_due_and_wakes_the_cron(self):
        extract = self.make_extract(self.warehouse)
        extract.sudo().write({"next_run_at": self.later(days=1)})
        cron = self.env.ref("healthcare_integration_base.ir_cron_run_extracts")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        extract.action_run_now()
        self.assertIn(extract, extract.search(extract._get_due_extracts_domain()))
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )

    def test_run_failure_is_recorded_and_retried_later(self):
        extract = self.make_extract(self.warehouse)
        self.enqueue_many(1)
        watermark = extract.watermark
        os.rmdir(extract.folder_path)
        self.assertEqual(extract._hc_run(), (0, True))
        self.assertIn("does not exist", extract.last_error)
        self.assertEqual(extract.watermark, watermark)
        self.assertTrue(extract.next_run_at)
        failed = self.Audit.sudo().search(
            [("action", "=", "extract.failed"), ("res_id", "=", extract.id)]
        )
        self.assertEqual(len(failed), 1)

    def test_rows_of_other_companies_stay_out(self):
        other = self.env["res.company"].create({"name": "Other hospital"})
        backend = self.env["hc.integration.backend"].create(
            {"name": "Other HRIS", "code": "t_other_hris", "company_id": other.id}
        )
        flow = self.flow.copy({"backend_id": backend.id, "code": "contacts_other"})
        extract = self.make_extract(self.warehouse)
        ours = self.enqueue()
        self.enqueue(flow=flow)
        extract._hc_run()
        rows = self.parse(self.read_bytes(extract), "csv")[1]
        self.assertEqual([int(row["message_id"]) for row in rows], ours.ids)

    # ------------------------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------------------------
    def test_folder_validation(self):
        folder = self.make_folder()
        a_file = os.path.join(folder, "not_a_folder")
        with open(a_file, "w") as handle:
            handle.write("x")
        refused = {
            "relative/path": "absolute",
            os.path.join(folder, "missing"): "does not exist",
            a_file: "does not exist",
            "/etc": "system folder",
            "/": "system folder",
            os.path.join(folder, "..", "..", "etc"): "system folder",
        }
        if config.get("data_dir"):
            refused[config["data_dir"]] = "data or addons"
        refused[os.path.dirname(os.path.dirname(__file__))] = "data or addons"
        if os.geteuid() != 0:  # root writes anywhere
            locked = self.make_folder()
            os.chmod(locked, 0o500)
            refused[locked] = "not writable"
        for path, reason in refused.items():
            with self.subTest(path=path), self.assertRaises(ValidationError) as refusal:
                self.make_extract(self.warehouse, code="t_refused", folder_path=path)
            self.assertIn(reason, str(refusal.exception))
        extract = self.make_extract(self.warehouse, folder_path=folder)
        self.assertEqual(extract.folder_path, folder)
        for values, reason in (
            ({"folder_path": "tmp"}, "absolute"),
            ({"code": "Bad Code!"}, "code"),
            ({"destination": "pull", "allowed_group_id": False}, "group"),
            ({"chunk_rows": 0}, "Rows per file"),
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError) as refusal:
                extract.write(values)
            self.assertIn(reason, str(refusal.exception))

    def test_form_of_a_manager(self):
        """The Extracts form as an Integration Manager who is not an administrator: the
        folder is read-only, a pulled extract is configured in full."""
        manager = new_test_user(
            self.env,
            "hc_t_extract_form_manager",
            groups="healthcare_integration_base.group_integration_manager",
        )
        menu = self.env.ref("healthcare_integration_base.hc_integration_extract_menu")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids())
        user = new_test_user(
            self.env,
            "hc_t_extract_form_user",
            groups="healthcare_integration_base.group_integration_user",
        )
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(user)._visible_menu_ids())
        form = Form(self.env["hc.integration.extract"].with_user(manager))
        form.name = "Warehouse messages"
        form.code = "t_form_pull"
        form.backend_id = self.warehouse
        form.dataset = "messages"
        self.assertEqual(form.column_names, ", ".join(MESSAGE_COLUMNS))
        self.assertTrue(form._get_modifier("folder_path", "readonly"))
        form.destination = "pull"
        extract = form.save()
        self.assertEqual(extract.allowed_group_id, self.env.ref(READER_GROUP))
        self.assertEqual(extract.watermark, extract_files.START)

    def test_configuration_changes_are_audited_without_runtime_noise(self):
        extract = self.make_extract(self.warehouse)
        extract.chunk_rows = 500
        changes = self.Audit.sudo().search(
            [("action", "=", "extract.write"), ("res_id", "=", extract.id)]
        )
        self.assertEqual(len(changes), 1)  # the watermark set by the helper is runtime
        self.assertIn("chunk_rows", changes.summary)

    # ------------------------------------------------------------------------------------
    # Minimum necessary
    # ------------------------------------------------------------------------------------
    def test_no_dataset_carries_phi_or_free_text(self):
        datasets = self.env["hc.integration.extract.dataset"]._hc_datasets()
        self.assertEqual([c.name for c in datasets["messages"].columns], MESSAGE_COLUMNS)
        self.assertEqual([c.name for c in datasets["exceptions"].columns], EXCEPTION_COLUMNS)
        kinds = {"int", "str", "bool", "datetime", "date", "amount"}
        for code, dataset in datasets.items():
            names = [column.name for column in dataset.columns]
            self.assertEqual(len(names), len(set(names)), code)
            for column in dataset.columns:
                with self.subTest(dataset=code, column=column.name):
                    self.assertIn(column.kind, kinds)
                    for word in FORBIDDEN_COLUMN_WORDS:
                        self.assertNotIn(word, column.name)
                    source = column.expression.code
                    for forbidden in FORBIDDEN_SOURCES:
                        self.assertNotIn(forbidden, source)

    def test_every_dataset_runs(self):
        """Each registered dataset's query is valid SQL on this database."""
        for code in self.env["hc.integration.extract.dataset"]._hc_datasets():
            with self.subTest(dataset=code):
                extract = self.make_extract(self.warehouse, dataset=code, code=f"t_all_{code}")
                extract.sudo().watermark = extract_files.START
                extract._hc_fetch(extract_files.START, limit=5)

    def test_watermark_tokens(self):
        position = extract_files.decode_watermark("20261202T134852123456Z_42")
        self.assertEqual(position[1], 42)
        self.assertEqual(position[0].microsecond, 123456)
        self.assertEqual(extract_files.encode_watermark(*position), "20261202T134852123456Z_42")
        self.assertIsNone(extract_files.decode_watermark("0"))
        for bad in ("x", "2026-12-02_1", "20261202T134852123456Z_", "../etc"):
            with self.subTest(token=bad), self.assertRaises(ValueError):
                extract_files.decode_watermark(bad)
        self.assertTrue(extract_files.watermark_after("20261202T134852123456Z_42", "0"))
        self.assertFalse(extract_files.watermark_after("0", "20261202T134852123456Z_42"))
