"""Issue 14 §1: mapping types a declarative flow declares (code, name, target model) are
created when the definition is stored and behave as the types defined in code — pending
rows, re-queue once mapped; only Integration Managers declare them, also over RPC."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import IntegrationCase
from .rpc_common import RpcCase

SECTORS = {
    "code": "suppliers",
    "name": "Suppliers",
    "event_type": "supplier.upsert",
    "target_model": "res.partner",
    "mapping_types": {"supplier_sector": {"name": "Supplier sector",
                                          "target_model": "res.partner.industry"}},
    "match": {"external_id": "supplier.id", "object": "supplier"},
    "fields": {
        "name": {"path": "supplier.name", "required": True},
        "industry_id": {"path": "supplier.sector", "mapping": "supplier_sector"},
    },
}  # fmt: skip


def definition(**changes):
    result = dict(SECTORS, **changes)
    result["mapping_types"] = {k: dict(v) for k, v in result["mapping_types"].items()}
    return result


class TestDeclaredMappingTypes(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Types = cls.env["hc.integration.mapping.type"]

    def import_(self, definition_):
        flow_id = self.env["hc.integration.flow"].hc_import_definition(
            self.backend.code, definition_
        )
        return self.env["hc.integration.flow"].browse(flow_id)

    def test_declared_type_pending_then_requeued(self):
        flow = self.import_(definition())
        declared = self.env["hc.integration.mapping.type"].search(
            [("code", "=", "supplier_sector")]
        )
        self.assertEqual((declared.name, declared.target_model, declared.flow_id),
                         ("Supplier sector", "res.partner.industry", flow))  # fmt: skip
        selection = dict(self.Mapping._fields["mapping_type"]._description_selection(self.env))
        self.assertEqual(selection["supplier_sector"], "Supplier sector")
        self.assertIn("payer", selection, "the types defined in code are still there")
        payload = {"event_type": "supplier.upsert", "schema_version": "1.0",
                   "occurred_at": "2026-01-05T10:00:00Z",
                   "supplier": {"id": "S-1", "name": "Cold Chain", "sector": "PHARMA"}}  # fmt: skip
        message = self.enqueue(payload, flow=flow)
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertIn("Supplier sector 'PHARMA'", message.exception_ids.description)
        pending = self.Mapping.search(
            [("mapping_type", "=", "supplier_sector"), ("external_code", "=", "PHARMA")]
        )
        self.assertEqual(pending.state, "pending")
        sector = self.env["res.partner.industry"].create({"name": "Pharmaceuticals"})
        pending.target_ref = sector
        self.assertEqual(message.state, "pending", "mapping the code re-queued the message")
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        partner = self.Binding._find_record(self.backend, "supplier", "S-1", "res.partner")
        self.assertEqual(partner.industry_id, sector)

    def test_reimport_keeps_one_type_and_renames_it(self):
        self.import_(definition())
        changed = definition()
        changed["mapping_types"]["supplier_sector"]["name"] = "Sector"
        self.import_(changed)
        declared = self.env["hc.integration.mapping.type"].search(
            [("code", "=", "supplier_sector")]
        )
        self.assertEqual(declared.mapped("name"), ["Sector"])

    def test_refused_declarations_store_nothing(self):
        types = self.env["hc.integration.mapping.type"]
        cases = {
            "'payer' is a built-in mapping type": {"payer": {"name": "P",
                                                             "target_model": "res.partner"}},
            "'res.users' cannot be a target": {"staff": {"name": "S", "target_model": "res.users"}},
            "'Bad-Code' is not a code": {"Bad-Code": {"name": "B", "target_model": "res.partner"}},
            "needs a 'name' and a 'target_model'": {"tier": {"name": "Tier"}},
        }  # fmt: skip
        for problem, declared in cases.items():
            with self.subTest(problem), self.assertRaisesRegex(UserError, problem):
                self.import_(definition(mapping_types=declared))
        self.assertFalse(types.search([]))
        self.import_(definition())
        moved = definition(code="suppliers_2")
        moved["mapping_types"]["supplier_sector"]["target_model"] = "res.country"
        with self.assertRaisesRegex(UserError, "already declared with target res.partner.industry"):
            self.import_(moved)

    def test_unknown_type_refused_on_mappings(self):
        with self.assertRaisesRegex(ValidationError, "Unknown mapping type 'nowhere'"):
            self.Mapping.create({"mapping_type": "nowhere", "external_code": "X"})


@tagged("post_install", "-at_install")
class TestDeclaredMappingTypesOverRpc(RpcCase):
    def test_only_managers_declare_types(self):
        self.assertRpcRefused(
            self.resolver, "hc.integration.flow", "hc_import_definition",
            self.backend.code, definition(), match="Managers",
        )  # fmt: skip
        self.assertRpcRefused(
            self.resolver, "hc.integration.mapping.type", "create",
            {"code": "x_type", "name": "X", "target_model": "res.partner"}, error="AccessError",
        )  # fmt: skip
        self.rpc(self.manager, "hc.integration.flow", "hc_import_definition",
                 self.backend.code, definition())  # fmt: skip
        declared = self.rpc(
            self.resolver, "hc.integration.mapping.type", "search_read",
            [("code", "=", "supplier_sector")], fields=["target_model"],
        )  # fmt: skip
        self.assertEqual([row["target_model"] for row in declared], ["res.partner.industry"])
        self.assertRpcRefused(
            self.manager, "hc.integration.mapping.type", "unlink", [declared[0]["id"]],
            error="AccessError",
        )  # fmt: skip
