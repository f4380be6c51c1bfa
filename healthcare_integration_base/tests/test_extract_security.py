"""Who may configure and run extracts, checked over XML-RPC as each user: Integration
Managers configure them, only administrators choose a server folder, nobody else reads,
changes or runs them."""

from odoo.tests import new_test_user, tagged

from .extract_common import ExtractTestMixin
from .rpc_common import RpcCase

READER_GROUP = "healthcare_integration_base.group_integration_extract_reader"


@tagged("post_install", "-at_install")
class TestExtractSecurity(ExtractTestMixin, RpcCase):
    backend_code = "hc_t_extract_rpc"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reader = new_test_user(cls.env, "hc_rpc_extract_reader", groups=READER_GROUP)

    def setUp(self):
        super().setUp()
        self.folder = self.make_folder()
        self.extract = self.make_extract(
            self.backend, code="t_rpc_messages", folder_path=self.folder
        )

    def pull_values(self, code="t_rpc_pull"):
        return {
            "name": "Pulled by the warehouse",
            "code": code,
            "backend_id": self.backend.id,
            "dataset": "messages",
            "destination": "pull",
        }

    def test_non_managers_cannot_configure_read_or_run_extracts(self):
        for user in (self.resolver, self.reader):
            with self.subTest(user=user.login):
                self.assertRpcRefused(
                    user,
                    "hc.integration.extract",
                    "create",
                    [self.pull_values()],
                    error="AccessError",
                )
                self.assertRpcRefused(
                    user,
                    "hc.integration.extract",
                    "write",
                    [self.extract.id],
                    {"chunk_rows": 5},
                    error="AccessError",
                )
                self.assertRpcRefused(
                    user,
                    "hc.integration.extract",
                    "read",
                    [self.extract.id],
                    ["watermark"],
                    error="AccessError",
                )
                self.assertRpcRefused(
                    user,
                    "hc.integration.extract",
                    "action_run_now",
                    [self.extract.id],
                    error="AccessError",
                )
                self.assertRpcRefused(
                    user, "hc.integration.extract", "unlink", [self.extract.id], error="AccessError"
                )
        self.assertEqual(self.extract.chunk_rows, 10000)

    def test_managers_configure_but_only_administrators_choose_the_folder(self):
        extract_id = self.rpc(
            self.manager, "hc.integration.extract", "create", [self.pull_values()]
        )
        self.assertTrue(self.env["hc.integration.extract"].browse(extract_id).exists())
        self.rpc(
            self.manager, "hc.integration.extract", "write", [self.extract.id], {"chunk_rows": 5}
        )
        self.rpc(self.manager, "hc.integration.extract", "action_run_now", [self.extract.id])
        other_folder = self.make_folder()
        self.assertRpcRefused(
            self.manager,
            "hc.integration.extract",
            "write",
            [self.extract.id],
            {"folder_path": other_folder},
            match="Only administrators",
            error="AccessError",
        )
        values = dict(
            self.pull_values("t_rpc_folder"), destination="folder", folder_path=other_folder
        )
        self.assertRpcRefused(
            self.manager, "hc.integration.extract", "create", [values], match="Only administrators"
        )
        self.extract.invalidate_recordset()
        self.assertEqual(self.extract.folder_path, self.folder)
        # the watermark and the results are the runs' own
        self.assertRpcRefused(
            self.manager,
            "hc.integration.extract",
            "write",
            [self.extract.id],
            {"watermark": "0"},
            match="set by its runs",
            error="AccessError",
        )
        self.assertRpcRefused(
            self.manager,
            "hc.integration.extract",
            "_hc_record_run",
            [self.extract.id],
            "0",
            "0",
            0,
            "",
            match="Private methods",
        )

    def test_administrators_choose_the_folder(self):
        admin = new_test_user(
            self.env,
            "hc_rpc_extract_admin",
            groups="base.group_system,healthcare_integration_base.group_integration_manager",
        )
        other_folder = self.make_folder()
        self.rpc(
            admin,
            "hc.integration.extract",
            "write",
            [self.extract.id],
            {"folder_path": other_folder},
        )
        self.extract.invalidate_recordset()
        self.assertEqual(self.extract.folder_path, other_folder)
