from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..exceptions import MappingError
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestMappings(IntegrationCase):
    def test_resolve_mapped_ignored_pending_and_unknown(self):
        self.Mapping.create(
            {
                "mapping_type": "partner_category",
                "external_code": "GOLD",
                "target_ref": f"res.partner.category,{self.category.id}",
            }
        )
        self.Mapping.create(
            {"mapping_type": "partner_category", "external_code": "NOISE", "state": "ignored"}
        )
        resolve = self.Mapping._resolve
        self.assertEqual(resolve(self.backend, "partner_category", "GOLD"), self.category)
        self.assertFalse(resolve(self.backend, "partner_category", "NOISE"))
        self.assertIsNone(resolve(self.backend, "partner_category", ""))
        with self.assertRaises(MappingError) as caught:
            resolve(self.backend, "partner_category", "UNKNOWN")
        self.assertEqual(caught.exception.missing, [("partner_category", "UNKNOWN")])
        self.assertFalse(resolve(self.backend, "partner_category", "UNKNOWN", required=False))

    def test_backend_specific_mapping_wins_over_the_shared_one(self):
        other = self.env["res.partner.category"].create({"name": "Backend specific"})
        self.Mapping.create(
            {
                "mapping_type": "partner_category",
                "external_code": "X",
                "target_ref": f"res.partner.category,{self.category.id}",
            }
        )
        self.Mapping.create(
            {
                "mapping_type": "partner_category",
                "external_code": "X",
                "backend_id": self.backend.id,
                "target_ref": f"res.partner.category,{other.id}",
            }
        )
        self.assertEqual(self.Mapping._resolve(self.backend, "partner_category", "X"), other)

    def test_unknown_code_creates_a_pending_row_and_an_exception_then_mapping_requeues(self):
        first = self.enqueue(self.payload("M1", "First", contact={"category_code": "PLATINUM"}))
        second = self.enqueue(self.payload("M2", "Second", contact={"category_code": "PLATINUM"}))
        self.process()
        self.assertEqual((first.state, second.state), ("exception", "exception"))
        pending = self.Mapping.search([("external_code", "=", "PLATINUM")])
        self.assertEqual(len(pending), 1, "one pending row for one code")
        self.assertEqual(pending.state, "pending")
        self.assertEqual(pending.waiting_message_count, 2)
        exception = first.exception_ids
        self.assertEqual(exception.category, "mapping")
        self.assertEqual(exception.mapping_id, pending)
        self.assertIn("PLATINUM", exception.description)
        self.assertIn("Map value", exception.description)
        action = exception.action_map_value()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("hc.integration.mapping", pending.id)
        )
        pending.target_ref = f"res.partner.category,{self.category.id}"
        self.assertEqual(pending.state, "mapped")
        self.assertEqual((first.state, second.state), ("pending", "pending"), "re-queued at once")
        self.assertEqual(exception.state, "resolved")
        self.process()
        self.assertEqual((first.state, second.state), ("done", "done"))
        self.assertIn(self.category, self.partner_of("M1").category_id)

    def test_ignoring_a_pending_code_requeues_and_applies_without_it(self):
        message = self.enqueue(self.payload("M3", "Third", contact={"category_code": "WHATEVER"}))
        self.process()
        self.Mapping.search([("external_code", "=", "WHATEVER")]).action_ignore()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertFalse(self.partner_of("M3").category_id)

    def test_pending_rows_come_first(self):
        self.Mapping.create(
            {
                "mapping_type": "partner_category",
                "external_code": "AAA",
                "target_ref": f"res.partner.category,{self.category.id}",
            }
        )
        self.Mapping.create(
            {"mapping_type": "partner_category", "external_code": "ZZZ", "state": "pending"}
        )
        rows = self.Mapping.search([("external_code", "in", ("AAA", "ZZZ"))])
        self.assertEqual(rows.mapped("external_code"), ["ZZZ", "AAA"])

    def test_csv_import_by_target_name(self):
        result = self.Mapping.load(
            ["mapping_type", "external_code", "label", "target_name"],
            [["partner_category", "CSV1", "Imported", "VIP tag"]],
        )
        self.assertFalse(result["messages"], result["messages"])
        row = self.Mapping.browse(result["ids"])
        self.assertEqual((row.state, row.target_ref), ("mapped", self.category))

    def test_csv_import_reports_an_unknown_target_clearly(self):
        result = self.Mapping.load(
            ["mapping_type", "external_code", "target_name"],
            [["partner_category", "CSV2", "No such tag"]],
        )
        self.assertTrue(result["messages"])
        self.assertIn("No such tag", result["messages"][0]["message"])

    def test_mapped_row_needs_a_target_of_the_right_model(self):
        with self.assertRaises(ValidationError):
            self.Mapping.create(
                {
                    "mapping_type": "partner_category",
                    "external_code": "BAD",
                    "target_ref": f"res.partner,{self.env.user.partner_id.id}",
                }
            )
        row = self.Mapping.create({"mapping_type": "partner_category", "external_code": "EMPTY"})
        self.assertEqual(row.state, "pending", "a row without target starts pending")
        with self.assertRaises(ValidationError):
            row.state = "mapped"

    def test_role_maps_to_groups(self):
        group = self.env.ref("healthcare_integration_base.group_integration_user")
        row = self.Mapping.create(
            {"mapping_type": "role", "external_code": "buyer", "group_ids": [(6, 0, group.ids)]}
        )
        self.assertEqual(row.state, "mapped")
        self.assertEqual(self.Mapping._resolve(self.backend, "role", "buyer"), group)


@tagged("post_install", "-at_install")
class TestExceptions(IntegrationCase):
    def test_exception_has_group_assignee_activity_and_posts_once(self):
        responsible = new_test_user(
            self.env, "hc_exc_owner", groups="healthcare_integration_base.group_integration_user"
        )
        group = self.env["res.groups"].create({"name": "Contact resolvers"})
        self.flow.write({"responsible_user_id": responsible.id, "owning_group_id": group.id})
        message = self.enqueue(self.payload("E1", "Exceptional", simulate="business"))
        self.process()
        exception = message.exception_ids
        self.assertEqual(exception.group_id, group)
        self.assertEqual(exception.user_id, responsible)
        self.assertEqual(exception.activity_ids.user_id, responsible)
        posts = len(exception.message_ids)
        # failing again while open: same exception, counted, no new post or activity
        exception.action_retry()
        self.process()
        self.assertEqual(message.exception_ids, exception)
        self.assertEqual(exception.occurrence_count, 2)
        self.assertEqual(len(exception.message_ids), posts)
        self.assertEqual(len(exception.activity_ids), 1)

    def test_success_resolves_the_open_exception_and_its_activity(self):
        responsible = new_test_user(
            self.env, "hc_exc_owner2", groups="healthcare_integration_base.group_integration_user"
        )
        self.flow.responsible_user_id = responsible
        message = self.enqueue(self.payload("E2", "Fixed later", simulate="business"))
        self.process()
        exception = message.exception_ids
        message._engine().write({"payload": self.payload("E2", "Fixed later")})
        exception.action_retry()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(exception.activity_ids, "activity marked done")

    def test_ignore_needs_a_note(self):
        message = self.enqueue(self.payload("E3", "Ignored", simulate="business"))
        self.process()
        with self.assertRaises(UserError):
            message.exception_ids._ignore("  ")
        self.assertEqual(message.exception_ids.state, "open")
        action = message.exception_ids.action_ignore()
        self.assertEqual(action["res_model"], "hc.integration.exception.ignore")

    def test_bulk_retry_and_open_record(self):
        messages = self.enqueue(self.payload("E4", "One", simulate="business")) | self.enqueue(
            self.payload("E5", "Two", simulate="business")
        )
        self.process()
        messages.exception_ids.action_retry()
        self.assertEqual(set(messages.mapped("state")), {"pending"})
        done = self.enqueue(self.payload("E6", "Linked"))
        self.process()
        exception = self.env["hc.integration.exception"]._hc_open_for(
            done, "conflict", "Check this contact."
        )
        action = exception.action_open_record()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("res.partner", self.partner_of("E6").id)
        )
