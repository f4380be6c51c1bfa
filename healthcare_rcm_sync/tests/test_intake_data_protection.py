"""Raw 835 files are never kept (issue 9 item 6): the upload wizard stores only the
minimised form, and the inbound folder's processed and rejected files are deleted after the
payload retention, audited."""

import base64
import datetime
import os
import tempfile
from pathlib import Path

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import RcmCase, fixture

#: A patient name planted in the file (NM1*QC), and its member id.
PLANTED_NAME = "QUIGLEY"
PLANTED_ID = "Z99887766"


def planted_file():
    text = fixture("remit_basic.835").decode()
    text = text.replace(
        "NM1*QC*1*DOE*JANE*Q***MI*W123456789", f"NM1*QC*1*{PLANTED_NAME}*ZEB****MI*{PLANTED_ID}"
    )
    assert PLANTED_NAME in text
    return text.encode()


def rows_holding(env, table, data):
    """Rows of ``table`` any column of which holds the raw file, its base64 form or a
    planted value (every column, whatever its type)."""
    env.flush_all()
    env.cr.execute(f"SELECT * FROM {table}")
    needles = (data, base64.b64encode(data)[:80], PLANTED_NAME.encode(), PLANTED_ID.encode())
    found = []
    for row in env.cr.fetchall():
        for value in row:
            binary = isinstance(value, (bytes, memoryview))
            blob = bytes(value) if binary else str(value).encode()
            if any(needle in blob for needle in needles):
                found.append(row[0])
    return found


@tagged("post_install", "-at_install")
class TestUploadKeepsNoRawFile(RcmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance_user = new_test_user(
            cls.env,
            login="rcm_finance_dp",
            groups="healthcare_rcm_sync.group_rcm_resolver",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.Wizard = (
            cls.env["hc.rcm.remittance.upload"]
            .with_user(cls.finance_user)
            .with_company(cls.company)
        )

    def test_uploaded_file_is_parsed_in_the_request_and_never_stored_raw(self):
        data = planted_file()
        # what the web client does: save the wizard (web_save), then call the button
        result = self.Wizard.web_save(
            {"file": base64.b64encode(data).decode(), "filename": f"{PLANTED_NAME}.835"},
            {"file": {}, "filename": {}, "file_sha256": {}},
        )
        self.assertFalse(result[0]["file"], "the raw file is never read back")
        self.assertFalse(result[0]["filename"])
        wizard = self.Wizard.browse(result[0]["id"])
        self.assertEqual(rows_holding(self.env, "hc_rcm_remittance_upload", data), [])
        self.assertTrue(wizard.sudo().payload["transactions"], "the minimised form is kept")
        action = wizard.action_upload()
        self.assertEqual(action["params"]["type"], "success")
        self.process()
        self.assertTrue(self.remittance("EFT0001"))
        for table in ("hc_rcm_remittance_upload", "ir_attachment", "hc_integration_message"):
            with self.subTest(table=table):
                self.assertEqual(rows_holding(self.env, table, data), [])

    def test_unreadable_file_is_refused_when_saved(self):
        with self.assertRaises(UserError) as caught:
            self.Wizard.create({"file": base64.b64encode(f"{PLANTED_NAME} ZEB".encode())})
        self.assertIn("cannot be read", str(caught.exception))
        self.assertNotIn(PLANTED_NAME, str(caught.exception))


@tagged("post_install", "-at_install")
class TestUploadOverRpc(RcmCase, HttpCase):
    """The web client's own calls (JSON-RPC ``web_save`` then ``call_button``) as the
    finance user: the committed wizard row never holds the raw file."""

    def test_upload_over_json_rpc(self):
        user = new_test_user(
            self.env,
            login="rcm_finance_rpc",
            groups="healthcare_rcm_sync.group_rcm_resolver",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.authenticate(user.login, user.login)
        data = planted_file()
        context = {"allowed_company_ids": [self.company.id]}
        saved = self.make_jsonrpc_request(
            "/web/dataset/call_kw/hc.rcm.remittance.upload/web_save",
            {
                "model": "hc.rcm.remittance.upload",
                "method": "web_save",
                "args": [[], {"file": base64.b64encode(data).decode(), "filename": "a.835"}],
                "kwargs": {"specification": {"file": {}, "filename": {}}, "context": context},
            },
        )
        self.assertFalse(saved[0]["file"])
        self.assertEqual(rows_holding(self.env, "hc_rcm_remittance_upload", data), [])
        action = self.make_jsonrpc_request(
            "/web/dataset/call_button/hc.rcm.remittance.upload/action_upload",
            {
                "model": "hc.rcm.remittance.upload",
                "method": "action_upload",
                "args": [[saved[0]["id"]]],
                "kwargs": {"context": context},
            },
        )
        self.assertEqual(action["params"]["type"], "success")
        for table in ("hc_rcm_remittance_upload", "ir_attachment", "hc_integration_message"):
            with self.subTest(table=table):
                self.assertEqual(rows_holding(self.env, table, data), [])


@tagged("post_install", "-at_install")
class TestInboundFolderPurge(RcmCase):
    NOW = datetime.datetime(2026, 6, 30, 12, 0)

    def setUp(self):
        super().setUp()
        self.folder = Path(tempfile.mkdtemp(prefix="hc_rcm_835_purge_"))
        self.addCleanup(self._remove_folder)
        self.company.write(
            {"hc_rcm_inbound_folder": str(self.folder), "hc_rcm_inbound_flow_id": self.flow_835.id}
        )
        self.env["ir.config_parameter"].sudo().set_param(
            "hc_integration.payload_retention_days", "30"
        )

    def _remove_folder(self):
        for path in sorted(self.folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        self.folder.rmdir()

    def put(self, relative, days_old, content=b"payload with a patient name"):
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        when = (self.NOW - datetime.timedelta(days=days_old)).timestamp()
        os.utime(path, (when, when))
        return path

    def purge_audits(self):
        return self.env["hc.integration.audit"].search([("action", "=", "rcm.835_inbound_purge")])

    def test_files_past_the_retention_are_deleted_reason_files_stay(self):
        old_processed = self.put("processed/a.835", 31)
        new_processed = self.put("processed/b.835", 29)
        old_error = self.put("error/c.835", 45)
        reason = self.put("error/c.835.reason.txt", 45, b"the file cannot be read")
        incoming = self.put("d.835", 90, fixture("remit_basic.835"))
        with freeze_time(self.NOW):
            self.assertEqual(self.Handler._cron_hc_rcm_purge_inbound(), 2)
        self.assertTrue(old_processed.exists(), "nothing is deleted before the audit commits")
        self.env.cr.postcommit.run()
        self.assertFalse(old_processed.exists())
        self.assertFalse(old_error.exists())
        for kept in (new_processed, reason, incoming):
            self.assertTrue(kept.exists(), kept.name)
        audit = self.purge_audits()
        self.assertEqual(len(audit), 1)
        self.assertIn("2 processed or rejected file(s) deleted", audit.summary)
        self.assertNotIn("a.835", audit.summary)  # file names may carry a patient's name

    def test_files_rejected_by_the_pickup_are_purged_later(self):
        (self.folder / "garbage.835").write_bytes(f"{PLANTED_NAME} not an 835".encode())
        self.Handler._cron_hc_rcm_pickup_inbound()
        self.env.cr.postcommit.run()
        rejected = self.folder / "error" / "garbage.835"
        reason = rejected.with_name("garbage.835.reason.txt")
        self.assertTrue(rejected.exists())
        self.assertNotIn(PLANTED_NAME, reason.read_text(), "the reason holds no payload")
        with freeze_time(datetime.datetime.now() + datetime.timedelta(days=29)):
            self.assertEqual(self.Handler._cron_hc_rcm_purge_inbound(), 0)
        with freeze_time(datetime.datetime.now() + datetime.timedelta(days=31)):
            self.assertEqual(self.Handler._cron_hc_rcm_purge_inbound(), 1)
        self.env.cr.postcommit.run()
        self.assertFalse(rejected.exists())
        self.assertTrue(reason.exists())

    def test_no_retention_keeps_everything(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "hc_integration.payload_retention_days", "0"
        )
        path = self.put("processed/a.835", 400)
        with freeze_time(self.NOW):
            self.assertEqual(self.Handler._cron_hc_rcm_purge_inbound(), 0)
        self.env.cr.postcommit.run()
        self.assertTrue(path.exists())
        self.assertFalse(self.purge_audits())
