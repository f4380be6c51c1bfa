from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestExceptionCauseSummary(IntegrationCase):
    """The per-cause counts the desk reads stay equal to a count of the open exceptions
    through every way an exception opens, closes or changes cause."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Summary = cls.env["hc.integration.exception.cause.summary"]
        cls.Group = cls.env["hc.integration.exception.group"]
        cls.Exception = cls.env["hc.integration.exception"]

    def _raise(self, count, tag, **payload):
        messages = self.Message.browse()
        for index in range(count):
            messages |= self.enqueue(self.payload(f"{tag}{index}", "Someone", **payload))
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"exception"})
        return messages

    def _counted(self):
        """What the summary should say: the open exceptions counted one by one."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT coalesce(cause_key, ''), flow_id, company_id, count(*)
                 FROM hc_integration_exception WHERE state = 'open' GROUP BY 1, 2, 3"""
        )
        return {(k, f, c): n for k, f, c, n in self.env.cr.fetchall()}

    def assertExact(self):
        self.assertEqual(self.Summary._hc_counts(), self._counted())

    def _count(self, cause_key):
        return self.Group.search([("cause_key", "=", cause_key)]).exception_count

    def test_open_map_once_retry_ignore_and_delete(self):
        mapped = self._raise(4, "M", contact={"category_code": "NEWDEPT"})
        failing = self._raise(3, "B", simulate="business")
        self.assertExact()
        self.assertEqual(self._count("mapping:partner_category:NEWDEPT"), 4)
        business = f"error:validation:{self.flow.id}"
        self.assertEqual(self._count(business), 3)
        # map once: four resolved in one go
        mapping = mapped.exception_ids.mapping_id
        mapping.target_ref = f"res.partner.category,{self.category.id}"
        self.assertExact()
        self.assertFalse(self._count("mapping:partner_category:NEWDEPT"))
        # retry all, failing again: the same exceptions stay open, counted once
        self.Group.search([("cause_key", "=", business)]).action_retry_all()
        self.process()
        self.assertEqual(set(failing.exception_ids.mapped("occurrence_count")), {2})
        self.assertExact()
        self.assertEqual(self._count(business), 3)
        # ignore one, cancel one (manager), delete the last one's row by SQL (a purge)
        failing[0].exception_ids._ignore("test data")
        failing[1].action_cancel()
        self.assertExact()
        self.assertEqual(self._count(business), 1)
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM hc_integration_exception WHERE id = %s", [failing[2].exception_ids.id]
        )
        self.assertExact()
        self.assertFalse(self._counted())
        self.assertFalse(self.Group.search([("flow_id", "=", self.flow.id)]))

    def test_paced_replay_resolves_each_once(self):
        messages = self._raise(5, "R", simulate="business")
        for message in messages:
            message.sudo()._engine().payload = dict(message.sudo().payload, simulate="noop")
        Batch = self.env["hc.integration.replay.batch"]
        batch = Batch._hc_create_for(messages, pace=2)
        with freeze_time("2020-01-01 10:00:00"):
            Batch._cron_release()
        self.process()
        self.assertExact()
        self.assertEqual(self._count(f"error:validation:{self.flow.id}"), 3)
        for minute in (1, 2):
            with freeze_time(f"2020-01-01 10:0{minute}:00"):
                Batch._cron_release()
            self.process()
        batch.invalidate_recordset()
        self.assertEqual(batch.done_count, 5)
        self.assertExact()
        self.assertFalse(self._count(f"error:validation:{self.flow.id}"))

    def test_a_new_cause_moves_the_count(self):
        """Re-keying (a stored cause recomputed) moves the exception between causes."""
        messages = self._raise(2, "K", contact={"category_code": "OLDCODE"})
        mapping = messages.exception_ids.mapping_id
        self.env.flush_all()
        mapping.sudo().external_code = "NEWCODE"
        self.assertEqual(
            set(messages.exception_ids.mapped("cause_key")), {"mapping:partner_category:NEWCODE"}
        )
        self.assertExact()
        self.assertEqual(self._count("mapping:partner_category:NEWCODE"), 2)
        self.assertFalse(self._count("mapping:partner_category:OLDCODE"))

    def test_rebuild_and_compaction_keep_the_counts(self):
        self._raise(3, "C", simulate="business")
        self.env.flush_all()
        before = self.Summary._hc_counts()
        # rows of a connection that closed (a pid no backend has) are folded into shard 0
        self.env.cr.execute(
            "UPDATE hc_integration_exception_cause_summary SET shard = 2147483000 "
            "WHERE shard = pg_backend_pid()"
        )
        self.assertTrue(self.Summary._hc_compact())
        self.env.cr.execute(
            "SELECT count(*) FROM hc_integration_exception_cause_summary "
            "WHERE shard NOT IN (0, pg_backend_pid())"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(self.Summary._hc_counts(), before)
        # the rows of this live connection are left alone
        self._raise(1, "D", simulate="business")
        self.env.flush_all()
        self.Summary._hc_compact()
        self.env.cr.execute(
            "SELECT sum(exception_count) FROM hc_integration_exception_cause_summary "
            "WHERE shard = pg_backend_pid()"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        self.Summary._hc_rebuild()
        self.assertExact()
        self.assertEqual(self._count(f"error:validation:{self.flow.id}"), 4)

    def test_groups_follow_record_rules_over_the_summary(self):
        """Counts per flow and company: each user sees the groups of the flows of their
        groups and companies, with the full count of each."""
        owners = self.env["res.groups"].create({"name": "Summary owners"})
        other_flow = self.flow.copy({"code": "contacts_b", "name": "Contacts B"})
        other_flow.owning_group_id = owners
        self._raise(2, "O", simulate="business")
        for index in range(3):
            self.enqueue(self.payload(f"P{index}", "Someone", simulate="business"), flow=other_flow)
        self.process()
        company_b = self.env["res.company"].create({"name": "Summary hospital B"})
        backend_b = self.backend.copy({"code": "summary_b", "company_id": company_b.id})
        flow_b = self.flow.copy({"code": "contacts_c", "backend_id": backend_b.id})
        self.enqueue(self.payload("Q0", "Someone", simulate="business"), flow=flow_b)
        self.process()
        self.assertExact()
        user_group = "healthcare_integration_base.group_integration_user"
        outsider = new_test_user(self.env, "summary_outsider", groups=user_group)
        owner = new_test_user(self.env, "summary_owner", groups=user_group)
        owner.groups_id = [(4, owners.id)]
        flows = [self.flow.id, other_flow.id, flow_b.id]

        def seen(user):
            groups = self.Group.with_user(user).search([("flow_id", "in", flows)])
            return {g.flow_id.id: g.exception_count for g in groups}

        self.assertEqual(seen(outsider), {self.flow.id: 2})
        self.assertEqual(seen(owner), {self.flow.id: 2, other_flow.id: 3})
        owner.write({"company_ids": [(4, company_b.id)]})
        owner_b = owner.with_context(allowed_company_ids=[owner.company_id.id, company_b.id])
        groups = self.Group.with_user(owner_b).search([("flow_id", "in", flows)])
        self.assertEqual(
            {g.flow_id.id: g.exception_count for g in groups},
            {self.flow.id: 2, other_flow.id: 3, flow_b.id: 1},
        )
