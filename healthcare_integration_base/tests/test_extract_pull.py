"""``GET /healthcare/extract/<code>?after=<watermark>`` over a real socket with real Odoo
API keys: pages, watermarks, the audited SHA-256, idempotent re-reads and refusals."""

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..tools import extract_files
from .extract_common import ExtractTestMixin
from .http_common import WebhookHttpCase

PERSON = "Quentin Phiperson"
READER_GROUP = "healthcare_integration_base.group_integration_extract_reader"


@tagged("post_install", "-at_install")
class TestExtractPull(ExtractTestMixin, WebhookHttpCase):
    backend_code = "hc_t_extract_pull"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["hc.integration.backend"].create(
            {"name": "Warehouse (pull)", "code": "t_warehouse_pull"}
        )
        cls.reader = new_test_user(cls.env, login="hc_t_extract_reader", groups=READER_GROUP)
        cls.stranger = new_test_user(
            cls.env,
            login="hc_t_extract_stranger",
            groups="healthcare_integration_base.group_integration_manager",
        )
        Keys = cls.env["res.users.apikeys"]
        cls.key = Keys.with_user(cls.reader).sudo()._generate(None, "warehouse", None)
        cls.stranger_key = Keys.with_user(cls.stranger).sudo()._generate(None, "other", None)

    def setUp(self):
        super().setUp()
        self.extract = self.make_extract(
            self.warehouse, code="t_pull_messages", destination="pull", chunk_rows=2
        )

    def pull(self, key=None, after=None, code=None):
        url = f"/healthcare/extract/{code or self.extract.code}"
        if after is not None:
            url += f"?after={after}"
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.url_open(url, headers=headers)

    def send(self, count):
        event_ids = [self.new_event_id() for _i in range(count)]
        for event_id in event_ids:
            response = self.post_event(self.event(name=PERSON), event_id=event_id)
            self.assertEqual(response.status_code, 202, response.text)
        return self.Message.search([("external_id", "in", event_ids)], order="id")

    def served_audits(self):
        return self.Audit.sudo().search(
            [
                ("action", "=", "extract.served"),
                ("res_model", "=", self.extract._name),
                ("res_id", "=", self.extract.id),
            ],
            order="id",
        )

    def test_pages_follow_the_watermark(self):
        start = self.extract.watermark
        messages = self.send(3)
        response = self.pull(self.key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("text/csv"))
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        body = response.content
        self.assertNotIn(PERSON.encode(), body)
        header, rows = self.parse(body, "csv")
        self.assertEqual(header[0], "message_id")
        self.assertEqual([int(row["message_id"]) for row in rows], messages[:2].ids)
        sha = extract_files.sha256_hex(body)
        self.assertEqual(response.headers["X-HC-SHA256"], sha)
        self.assertEqual(response.headers["ETag"], f'"{sha}"')
        self.assertEqual(response.headers["X-HC-Row-Count"], "2")
        self.assertEqual(response.headers["X-HC-Watermark-From"], start)
        end = response.headers["X-HC-Watermark-To"]
        self.assertIn(f"after={end}", response.headers["Link"])
        audit = self.served_audits()
        self.assertEqual(len(audit), 1)
        self.assertIn(f"sha256 {sha}", audit.summary)
        self.assertIn(f"watermark {start} -> {end}", audit.summary)
        self.assertEqual(audit.user_id, self.reader)
        self.extract.invalidate_recordset()
        self.assertEqual(self.extract.watermark, end)
        # the next page, then nothing new
        response = self.pull(self.key, after=end)
        rows = self.parse(response.content, "csv")[1]
        self.assertEqual([int(row["message_id"]) for row in rows], messages[2:].ids)
        self.assertNotIn("Link", response.headers)
        last = response.headers["X-HC-Watermark-To"]
        response = self.pull(self.key)  # without after: where the last page ended
        self.assertEqual(response.headers["X-HC-Watermark-From"], last)
        self.assertEqual(response.headers["X-HC-Row-Count"], "0")
        self.assertEqual(len(self.served_audits()), 2)  # empty pages disclose nothing

    def test_same_after_gives_the_same_rows_and_sha(self):
        start = self.extract.watermark
        self.send(2)
        first = self.pull(self.key, after=start)
        again = self.pull(self.key, after=start)
        self.assertEqual(again.content, first.content)
        self.assertEqual(again.headers["X-HC-SHA256"], first.headers["X-HC-SHA256"])
        self.extract.invalidate_recordset()
        self.assertEqual(self.extract.watermark, first.headers["X-HC-Watermark-To"])
        self.assertIn("served again", self.served_audits()[-1].summary)

    def test_json_lines(self):
        self.extract.file_format = "jsonl"
        messages = self.send(1)
        response = self.pull(self.key)
        self.assertTrue(response.headers["Content-Type"].startswith("application/x-ndjson"))
        rows = self.parse(response.content, "jsonl")[1]
        self.assertEqual([row["message_id"] for row in rows], messages.ids)
        self.assertEqual(rows[0]["flow_code"], self.flow.code)

    @mute_logger("odoo.http")
    def test_refused_without_or_with_a_wrong_key(self):
        self.send(1)
        watermark = self.extract.watermark
        for key in (None, "not-a-key", self.key + "x"):
            with self.subTest(key=key):
                response = self.pull(key)
                self.assertProblem(response, 401)
                self.assertNotIn(b"message_id", response.content)
        self.extract.invalidate_recordset()
        self.assertEqual(self.extract.watermark, watermark)
        self.assertFalse(self.served_audits())

    def test_refused_to_a_user_outside_the_group(self):
        self.send(1)
        # an Integration Manager is not a reader of this extract: the group decides
        response = self.pull(self.stranger_key)
        self.assertProblem(response, 403)
        self.assertNotIn(b"message_id", response.content)
        self.assertFalse(self.served_audits())
        # once in the group, the same key may pull
        self.stranger.groups_id |= self.env.ref(READER_GROUP)
        self.assertEqual(self.pull(self.stranger_key).status_code, 200)

    def test_unknown_extract_folder_extract_and_bad_after(self):
        self.assertProblem(self.pull(self.key, code="no_such_extract"), 404)
        folder_extract = self.make_extract(self.warehouse, code="t_folder_only")
        self.assertProblem(self.pull(self.key, code=folder_extract.code), 404)
        self.extract.active = False
        self.assertProblem(self.pull(self.key), 404)
        self.extract.active = True
        self.warehouse.active = False
        self.assertProblem(self.pull(self.key), 404)
        self.warehouse.active = True
        for after in ("yesterday", "20261202T134852123456Z", "1;DROP"):
            with self.subTest(after=after):
                self.assertProblem(self.pull(self.key, after=after), 400)
