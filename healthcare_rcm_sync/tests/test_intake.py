"""Intake besides webhooks: the upload wizard and the inbound folder."""

import base64
import os
import tempfile
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.healthcare_integration_base.tools.payload import sha256_hex

from .common import RcmCase, fixture


@tagged("post_install", "-at_install")
class TestUploadWizard(RcmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance_user = new_test_user(
            cls.env,
            login="rcm_finance",
            groups="healthcare_rcm_sync.group_rcm_resolver",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def upload(self, data, user=None):
        Wizard = self.env["hc.rcm.remittance.upload"].with_user(user or self.finance_user)
        wizard = Wizard.with_company(self.company).create(
            {"file": base64.b64encode(data), "filename": "remit.835"}
        )
        self.assertEqual(wizard.flow_id, self.flow_835, "the company's remittance flow")
        return wizard.action_upload()

    def test_finance_user_uploads_an_835(self):
        action = self.upload(fixture("remit_basic.835"))
        self.assertEqual(action["params"]["type"], "success")
        message = self.Message.browse(action["params"]["next"]["res_id"])
        self.assertEqual(message.external_id, sha256_hex(fixture("remit_basic.835")))
        self.assertEqual(message.create_uid, self.finance_user)
        self.process()
        self.assertEqual(message.state, "done")
        remittance = self.remittance("EFT0001").with_user(self.finance_user)
        self.assertEqual(remittance.amount, 172.50)
        # the same file again is recognised: nothing posted twice
        action = self.upload(fixture("remit_basic.835"))
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(action["params"]["next"]["res_id"], message.id)
        self.process()
        self.assertEqual(len(self.remittance("EFT0001")), 1)

    def test_unreadable_file_is_refused_with_a_reason(self):
        with self.assertRaises(UserError) as caught:
            self.upload(b"ISA*00*garbage that is not an interchange")
        self.assertIn("cannot be read", str(caught.exception))
        self.assertFalse(self.Message.search([("flow_id", "=", self.flow_835.id)]))


@tagged("post_install", "-at_install")
class TestInboundFolder(RcmCase):
    def setUp(self):
        super().setUp()
        self.folder = Path(tempfile.mkdtemp(prefix="hc_rcm_835_"))
        self.addCleanup(self._remove_folder)
        self.company.write(
            {"hc_rcm_inbound_folder": str(self.folder), "hc_rcm_inbound_flow_id": self.flow_835.id}
        )

    def _remove_folder(self):
        for path in sorted(self.folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        self.folder.rmdir()

    def test_folder_pickup(self):
        (self.folder / "a_basic.835").write_bytes(fixture("remit_basic.835"))
        (self.folder / "b_garbage.835").write_bytes(b"not an 835 file")
        (self.folder / "c_multi.835").write_bytes(fixture("remit_multi.835"))
        (self.folder / ".hidden.835").write_bytes(fixture("remit_basic.835"))
        (self.folder / "d_upload.835.part").write_bytes(b"still being written")
        done = self.Handler._cron_hc_rcm_pickup_inbound(limit=50)
        self.assertEqual(done, 3)
        # nothing moves before the transaction commits
        self.assertTrue((self.folder / "a_basic.835").exists())
        self.env.cr.postcommit.run()
        remaining = sorted(p.name for p in self.folder.iterdir() if p.is_file())
        self.assertEqual(remaining, [".hidden.835", "d_upload.835.part"])
        self.assertTrue((self.folder / "processed" / "a_basic.835").exists())
        self.assertTrue((self.folder / "processed" / "c_multi.835").exists())
        self.assertTrue((self.folder / "error" / "b_garbage.835").exists())
        reason = (self.folder / "error" / "b_garbage.835.reason.txt").read_text()
        self.assertIn("not a readable X12 835", reason)
        files = self.Message.search([("external_id", "=", sha256_hex(fixture("remit_basic.835")))])
        self.assertEqual(len(files), 1)
        self.process()
        self.assertTrue(self.remittance("EFT0001"))
        self.assertTrue(self.remittance("CHK10001"))
        # the same file dropped again: queued as a duplicate, moved to processed again
        (self.folder / "a_basic.835").write_bytes(fixture("remit_basic.835"))
        self.Handler._cron_hc_rcm_pickup_inbound()
        self.env.cr.postcommit.run()
        processed = sorted(p.name for p in (self.folder / "processed").iterdir())
        self.assertEqual(len([n for n in processed if n.startswith("a_basic.835")]), 2)
        self.process()
        self.assertEqual(len(self.remittance("EFT0001")), 1)

    def test_limit_per_run(self):
        for index in range(3):
            text = fixture("remit_basic.835").decode().replace("EFT0001", f"EFT900{index}")
            (self.folder / f"f{index}.835").write_bytes(text.encode())
        self.assertEqual(self.Handler._cron_hc_rcm_pickup_inbound(limit=2), 2)
        self.env.cr.postcommit.run()
        self.assertEqual(sorted(os.listdir(self.folder)), ["f2.835", "processed"])
