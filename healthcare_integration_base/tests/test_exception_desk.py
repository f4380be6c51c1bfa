from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestExceptionGroups(IntegrationCase):
    """Exceptions of one cause show as one group, resolved by one action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Group = cls.env["hc.integration.exception.group"]

    def _raise(self, count, **payload):
        messages = self.Message.browse()
        for index in range(count):
            messages |= self.enqueue(self.payload(f"G{index}-{id(payload)}", "Someone", **payload))
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"exception"})
        return messages

    def _group(self, cause_key):
        return self.Group.search([("cause_key", "=", cause_key)])

    def test_one_group_per_cause_with_count_and_oldest(self):
        self._raise(5, contact={"category_code": "NEWDEPT"})
        self._raise(2, contact={"category_code": "OTHER"})
        self._raise(3, simulate="business")
        platinum = self._group("mapping:partner_category:NEWDEPT")
        self.assertEqual(len(platinum), 1)
        self.assertEqual(platinum.exception_count, 5)
        self.assertEqual(platinum.category, "mapping")
        self.assertEqual(platinum.mapping_id.external_code, "NEWDEPT")
        self.assertEqual(self._group("mapping:partner_category:OTHER").exception_count, 2)
        business = self._group(f"error:validation:{self.flow.id}")
        self.assertEqual(business.exception_count, 3)
        exceptions = self.env["hc.integration.exception"].search(platinum._get_exceptions_domain())
        self.assertEqual(platinum.oldest_at, min(exceptions.mapped("create_date")))
        self.assertEqual(platinum.aging_bucket, "1_hour")
        self.assertEqual(
            self.Group._hc_group_counts([("flow_id", "=", self.flow.id)]),
            {
                "mapping:partner_category:NEWDEPT": 5,
                "mapping:partner_category:OTHER": 2,
                f"error:validation:{self.flow.id}": 3,
            },
        )

    def test_map_once_requeues_every_waiting_message(self):
        messages = self._raise(4, contact={"category_code": "NEWDEPT"})
        other = self._raise(1, contact={"category_code": "OTHER"})
        group = self._group("mapping:partner_category:NEWDEPT")
        action = group.action_map_value()
        self.assertEqual(action["res_id"], group.mapping_id.id)
        group.mapping_id.target_ref = f"res.partner.category,{self.category.id}"
        self.assertEqual(set(messages.mapped("state")), {"pending"})
        self.assertEqual(set(messages.exception_ids.mapped("state")), {"resolved"})
        self.assertFalse(self._group("mapping:partner_category:NEWDEPT"), "group gone")
        self.assertEqual(other.state, "exception", "another cause is untouched")
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"done"})

    def test_retry_all_and_ignore_all_with_one_note(self):
        failing = self._raise(3, simulate="business")
        group = self._group(f"error:validation:{self.flow.id}")
        group.action_retry_all()
        self.assertEqual(set(failing.mapped("state")), {"pending"})
        self.process()
        group = self._group(f"error:validation:{self.flow.id}")
        self.assertEqual(group.exception_count, 3, "still failing: one group again")
        action = group.action_ignore_all()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"note": "Sample contacts are test data."})
        )
        wizard.action_confirm()
        exceptions = failing.exception_ids.filtered(lambda e: e.state != "resolved")
        self.assertEqual(set(exceptions.mapped("state")), {"ignored"})
        self.assertEqual(
            set(exceptions.mapped("resolution_note")), {"Sample contacts are test data."}
        )
        self.assertEqual(set(failing.mapped("state")), {"cancelled"})
        self.assertFalse(self._group(f"error:validation:{self.flow.id}"))

    def test_technical_errors_of_a_failing_pull_group_by_source(self):
        self.flow.write({"pull_enabled": True, "pull_failure_count": 4})
        self.flow.max_attempts = 1
        self._raise(2, simulate="retry")
        group = self._group(f"source:{self.flow.id}")
        self.assertEqual(group.exception_count, 2)
        self.assertIn("cause is the source", group.advice)
        self.assertIn("after a pull succeeds", group.advice)
        self.flow.write({"pull_failure_count": 0, "circuit_state": "open"})
        self.assertIn("paused", group.advice)

    def test_groups_follow_the_exception_record_rules(self):
        owner = self.env["res.groups"].create({"name": "Contacts resolvers"})
        self.flow.owning_group_id = owner
        self._raise(2, contact={"category_code": "NEWDEPT"})
        outsider = new_test_user(
            self.env,
            login="desk_outsider",
            groups="healthcare_integration_base.group_integration_user",
        )
        resolver = new_test_user(
            self.env,
            login="desk_resolver",
            groups="healthcare_integration_base.group_integration_user",
        )
        resolver.groups_id = [(4, owner.id)]
        self.assertFalse(self.Group.with_user(outsider).search([]))
        mine = self.Group.with_user(resolver).search([])
        self.assertEqual(mine.exception_count, 2)
        self.assertEqual(len(mine._get_exceptions()), 2)


@tagged("post_install", "-at_install")
class TestMappingSuggestions(IntegrationCase):
    """Suggestions rank likely targets; nothing is mapped until a person accepts one."""

    def _pending(self, code, label=None):
        message = self.enqueue(
            self.payload(f"S-{code}", "Someone", contact={"category_code": code})
        )
        self.process()
        mapping = message.exception_ids.mapping_id
        if label:
            mapping.label = label
        return message, mapping

    def test_ranked_by_similarity_of_code_and_label_and_never_applied(self):
        Tag = self.env["res.partner.category"]
        icu = Tag.create({"name": "Intensive Care Unit"})
        Tag.create({"name": "Pharmacy"})
        message, mapping = self._pending("INTENSIVE-CARE", label="Intensive care unit")
        message.exception_ids.action_map_value()
        self.assertTrue(mapping.suggestion_ids)
        top = mapping.suggestion_ids[0]
        self.assertEqual(top.target_ref, icu)
        self.assertGreaterEqual(top.score, 80)
        self.assertEqual(mapping.state, "pending", "a suggestion is never applied by itself")
        self.assertEqual(message.state, "exception")

    def test_other_backends_mapping_of_the_same_code_ranks_first(self):
        Tag = self.env["res.partner.category"]
        chosen = Tag.create({"name": "Zeta ward"})
        Tag.create({"name": "W7"})
        other_backend = self.env["hc.integration.backend"].create(
            {"name": "Other HRIS", "code": "other_hris", "backend_type": "hris"}
        )
        self.Mapping.create(
            {
                "backend_id": other_backend.id,
                "mapping_type": "partner_category",
                "external_code": "W7",
                "target_ref": f"res.partner.category,{chosen.id}",
            }
        )
        _message, mapping = self._pending("W7")
        mapping._hc_refresh_suggestions()
        self.assertEqual(mapping.suggestion_ids[0].target_ref, chosen)
        self.assertIn("Other HRIS", mapping.suggestion_ids[0].reason)

    def test_accept_maps_requeues_and_audits_the_person(self):
        Tag = self.env["res.partner.category"]
        target = Tag.create({"name": "Cardiology"})
        resolver = new_test_user(
            self.env,
            login="desk_accept",
            groups="healthcare_integration_base.group_integration_user",
        )
        message, mapping = self._pending("CARDIO", label="Cardiology")
        mapping._hc_refresh_suggestions()
        suggestion = mapping.suggestion_ids.filtered(lambda s: s.target_ref == target)
        suggestion.with_user(resolver).action_accept()
        self.assertEqual((mapping.state, mapping.target_ref), ("mapped", target))
        self.assertEqual(message.state, "pending", "re-queued")
        audit = self.Audit.search([("action", "=", "mapping.suggestion_accepted")])
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit.user_id, resolver)
        self.assertEqual(audit.actor_type, "user")


@tagged("post_install", "-at_install")
class TestWhatToDoFirst(IntegrationCase):
    """Urgency follows the flow's SLA and the age; a group has one activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Group = cls.env["hc.integration.exception.group"]
        cls.resolver = new_test_user(
            cls.env, login="desk_first", groups="healthcare_integration_base.group_integration_user"
        )

    def _raise(self, count, flow=None, **payload):
        messages = self.Message.browse()
        for index in range(count):
            messages |= self.enqueue(
                self.payload(f"F{index}-{id(payload)}", "Someone", **payload), flow=flow
            )
        self.process()
        return messages

    def _age(self, messages, hours):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE hc_integration_exception SET create_date = now() at time zone 'utc' "
            "- make_interval(hours => %s) WHERE message_id = ANY(%s)",
            [hours, messages.ids],
        )
        self.env.invalidate_all()

    def test_onboarding_two_hours_before_payroll_one_day(self):
        payroll = self.flow.copy(
            {"code": "payroll", "name": "Payroll summary", "sla_minutes": 2880}
        )
        self.flow.sla_minutes = 60
        onboarding = self._raise(1, simulate="business")
        summary = self._raise(1, flow=payroll, simulate="business")
        self._age(onboarding, 2)
        self._age(summary, 24)
        groups = self.Group.search([("flow_id", "in", [self.flow.id, payroll.id])])
        self.assertEqual(groups.mapped("flow_id"), self.flow | payroll, "SLA first, then age")
        self.assertEqual(groups[0].flow_id, self.flow)
        self.assertEqual(groups.mapped("aging_bucket"), ["2_day", "3_week"])

    def test_one_activity_per_group_and_assignment(self):
        self.flow.responsible_user_id = self.env.user
        messages = self._raise(6, contact={"category_code": "FLOOD"})
        exceptions = messages.exception_ids
        self.assertEqual(len(exceptions.activity_ids), 1, "one activity, not six")
        group = self.Group.search([("cause_key", "=", "mapping:partner_category:FLOOD")])
        action = group.action_assign()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"user_id": self.resolver.id})
        )
        wizard.action_confirm()
        self.assertEqual(set(exceptions.mapped("user_id")), {self.resolver})
        self.assertEqual(len(exceptions.activity_ids), 1)
        self.assertEqual(exceptions.activity_ids.user_id, self.resolver)
        group.invalidate_recordset()  # a view: the cache cannot know it changed
        self.assertEqual(group.user_id, self.resolver)
        # closing the holder alone hands the activity to one still open
        holder = exceptions.filtered("activity_ids")
        holder._close("resolved", "done by hand")
        self.assertEqual(len((exceptions - holder).activity_ids), 1)


@tagged("post_install", "-at_install")
class TestPacedReplay(IntegrationCase):
    """Many messages go back to the queue a slice per minute, each once."""

    def _failing(self, count):
        messages = self.Message.browse()
        for index in range(count):
            messages |= self.enqueue(self.payload(f"R{index}", "Someone", simulate="business"))
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"exception"})
        # the outage is over: the same messages now apply
        for message in messages:
            message.sudo()._engine().payload = dict(message.sudo().payload, simulate="noop")
        return messages

    def test_released_at_pace_each_with_its_outcome_nothing_twice(self):
        messages = self._failing(25)
        Batch = self.env["hc.integration.replay.batch"]
        batch = Batch._hc_create_for(messages | messages[:3], pace=10)
        self.assertEqual(batch.total_count, 25, "each message once")
        with freeze_time("2020-01-01 10:00:00"):
            Batch._cron_release()
            Batch._cron_release()  # the same minute: nothing more released
        self.assertEqual(batch.released_count, 10)
        self.assertEqual(len(messages.filtered(lambda m: m.state == "pending")), 10)
        self.assertEqual(len(messages.filtered(lambda m: m.state == "exception")), 15)
        self.process()
        batch.invalidate_recordset()
        self.assertEqual((batch.done_count, batch.progress), (10, 40.0))
        # a person cancels one message before its turn: it is skipped, not revived
        waiting = messages.filtered(lambda m: m.state == "exception")
        waiting[:1].exception_ids._ignore("handled by hand")
        with freeze_time("2020-01-01 10:01:00"):
            Batch._cron_release()
        with freeze_time("2020-01-01 10:02:00"):
            Batch._cron_release()
        self.process()
        batch.invalidate_recordset()
        self.assertEqual(batch.state, "done")
        self.assertEqual((batch.released_count, batch.skipped_count), (24, 1))
        self.assertEqual(batch.done_count, 24)
        self.assertEqual(waiting[:1].state, "cancelled")
        with freeze_time("2020-01-01 10:05:00"):
            Batch._cron_release()
        self.assertEqual(
            len(
                self.Audit.search(
                    [("message_id", "in", messages.ids), ("action", "=", "message.done")]
                )
            ),
            24,
            "applied once each",
        )
