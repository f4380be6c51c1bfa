"""Revenue-cycle users see revenue-cycle flows only; no patient data is ever stored."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import FIXTURE_PHI, RcmCase, fixture


@tagged("post_install", "-at_install")
class TestRcmSecurity(RcmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_other = cls.env["res.groups"].create({"name": "Test HR resolvers"})
        cls.hr_flow = cls.env["hc.integration.flow"].create(
            {
                "name": "HR contacts",
                "code": "hr_contacts",
                "backend_id": cls.billing.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
                "owning_group_id": cls.group_other.id,
            }
        )
        cls.rcm_user = new_test_user(
            cls.env,
            login="rcm_resolver_t",
            groups="healthcare_rcm_sync.group_rcm_resolver",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.hr_user = new_test_user(
            cls.env,
            login="hr_resolver_t",
            groups="healthcare_integration_base.group_integration_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.hr_user.groups_id |= cls.group_other

    def _hr_exception(self):
        message, _status = self.Message._hc_enqueue(
            self.hr_flow,
            {
                "event_type": "contact.upsert",
                "schema_version": "1.0",
                "contact": {"external_id": "E1", "name": "Private Person"},
                "simulate": "business",
            },
            external_id="hr-evt-1",
        )
        self.process()
        self.assertEqual(message.state, "exception")
        return message

    def test_rcm_users_see_revenue_cycle_flows_only(self):
        hr_message = self._hr_exception()
        file_message, _status = self.post_835("remit_unknown_payer.835")
        rcm_child = self.children(file_message)
        self.assertEqual(rcm_child.state, "exception")
        rcm_messages = file_message | rcm_child
        for flow in self.flows.values():
            self.assertEqual(
                flow.owning_group_id, self.env.ref("healthcare_rcm_sync.group_rcm_resolver")
            )

        Message = self.env["hc.integration.message"].with_user(self.rcm_user)
        Exception_ = self.env["hc.integration.exception"].with_user(self.rcm_user)
        self.assertEqual(
            Message.search([("id", "in", (rcm_messages | hr_message).ids)]), rcm_messages
        )
        self.assertFalse(Exception_.search([("message_id", "=", hr_message.id)]))
        self.assertTrue(Exception_.search([("message_id", "=", rcm_child.id)]))
        with self.assertRaises(AccessError):
            hr_message.with_user(self.rcm_user).read(["state"])
        flows = self.env["hc.integration.flow"].with_user(self.rcm_user).search([])
        self.assertNotIn(self.hr_flow, flows)
        self.assertIn(self.flow_835, flows)
        # and the other way round: the HR resolver sees nothing of the revenue cycle
        Message = self.env["hc.integration.message"].with_user(self.hr_user)
        self.assertEqual(
            Message.search([("id", "in", (rcm_messages | hr_message).ids)]), hr_message
        )
        with self.assertRaises(AccessError):
            self.env["hc.rcm.remittance"].with_user(self.hr_user).search([])
        # revenue-cycle users hold no HR right
        self.assertFalse(self.rcm_user.has_group("base.group_system"))
        if "hr.employee" in self.env:
            # (searches are redirected to hr.employee.public for everyone; the records
            # themselves, with their private fields, need an HR right)
            with self.assertRaises(AccessError):
                self.env["hr.employee"].with_user(self.rcm_user).check_access("read")
        # payloads are for integration managers only
        with self.assertRaises(AccessError):
            rcm_child.with_user(self.rcm_user).read(["payload"])

    def test_rcm_user_works_a_denial(self):
        self.post_835("remit_original.835")
        self.post_835("remit_reversal_denial.835")
        denied = self.ClaimLine.search([("claim_id", "=", "PCN302")]).with_user(self.rcm_user)
        self.assertEqual(denied.denial_state, "open")
        with self.assertRaises(AccessError):
            denied.write({"denial_state": "appealed"})  # only through the actions
        denied.action_hc_rcm_write_off_denial()
        self.assertEqual(denied.denial_state, "written_off")
        self.assertEqual(denied.sudo().move_line_ids.move_id.create_uid, self.rcm_user)
        # someone without the revenue-cycle group cannot
        with self.assertRaises(AccessError):
            self.ClaimLine.with_user(self.hr_user).search([])

    def test_patient_names_absent_from_the_database(self):
        for name in (
            "remit_basic.835",
            "remit_original.835",
            "remit_reversal_denial.835",
            "remit_multi.835",
        ):
            self.post_835(name)
        self.assertTrue(self.remittance("EFT0001"))
        # the unbalanced file goes to exception: its text must be clean too
        text = fixture("remit_basic.835").decode().replace("EFT0001", "EFT0777")
        self.post_835(text.replace("BPR*I*172.50", "BPR*I*999.99").encode())
        self.env.flush_all()
        tables = [
            "hc_rcm_remittance",
            "hc_rcm_claim_line",
            "hc_rcm_adjustment",
            "hc_integration_message",
            "hc_integration_exception",
            "hc_integration_audit",
            "hc_integration_message_link",
            "hc_integration_mapping",
            "account_move",
            "account_move_line",
            "account_payment",
            "mail_message",
            "mail_activity",
        ]
        cr = self.env.cr
        cr.execute(
            """SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ANY(%s)
                  AND data_type IN ('character varying', 'text', 'jsonb', 'json')""",
            [tables],
        )
        columns = cr.fetchall()
        self.assertGreater(len(columns), 50)
        scanned = set()
        for table, column in columns:
            scanned.add(table)
            for needle in FIXTURE_PHI:
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM %s WHERE %s::text ~ %s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        rf"\m{needle}\M",
                    )
                )
                self.assertEqual(cr.fetchone()[0], 0, f"{needle} found in {table}.{column}")
        self.assertEqual(scanned, set(tables))
        # audit summaries name no claim either (only codes, states and counts)
        cr.execute("SELECT count(*) FROM hc_integration_audit WHERE summary ~ 'PCN[0-9]'")
        self.assertEqual(cr.fetchone()[0], 0)
        # the message payloads do hold the claims (minimised), so the scan was meaningful
        cr.execute("SELECT count(*) FROM hc_integration_message WHERE payload::text ~ 'PCN001'")
        self.assertGreater(cr.fetchone()[0], 0)
