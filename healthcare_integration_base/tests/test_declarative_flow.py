"""Issue 14 §1: a declarative flow's map — transforms, required fields, value mappings
(pending rows and re-queue), many2one by binding (waits) or lookup, child lines,
versioned configuration, dry-run preview."""

import json

from odoo.exceptions import ValidationError

from ..tools import declarative_definition as decl
from .common import IntegrationCase

DEFINITION = {
    "code": "vendors",
    "name": "Vendors",
    "event_type": "vendor.upsert",
    "target_model": "res.partner",
    "match": {"external_id": "vendor.id", "object": "vendor"},
    "fields": {
        "name": {"path": "vendor.name", "required": True, "transform": "trim"},
        "email": {"path": "vendor.email", "transform": "lower"},
        "ref": {"path": "vendor.code", "transform": "upper"},
        "is_company": {"path": "vendor.company", "transform": "boolean"},
        "parent_id": {"path": "vendor.parent_id", "binding": "vendor"},
        "country_id": {"path": "vendor.country", "lookup": "code"},
        "user_id": {"path": "vendor.agency", "mapping": "agency"},
        "child_ids": {
            "path": "vendor.contacts",
            "fields": {
                "name": {"path": "name", "required": True},
                "email": {"path": "email"},
                "type": {"value": "contact"},
            },
        },
    },
}


class TestDeclarativeFlow(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        definition = dict(DEFINITION)
        definition["fields"] = dict(DEFINITION["fields"])
        definition["fields"].pop("user_id")  # agency → res.partner, not res.users
        definition["fields"]["industry_id"] = {"path": "vendor.sector", "lookup": "name"}
        cls.definition = definition
        flow_id = cls.env["hc.integration.flow"].hc_import_definition(cls.backend.code, definition)
        cls.decl_flow = cls.env["hc.integration.flow"].browse(flow_id)

    def vendor(self, **vendor):
        payload = self.payload()
        payload.pop("contact")
        payload["event_type"] = "vendor.upsert"
        payload["vendor"] = dict({"id": "V1", "name": "  Acme  "}, **vendor)
        return payload

    def test_transforms_lookup_children_and_update(self):
        self.assertEqual(decl.convert("Yes", "boolean"), True)
        self.assertEqual(decl.convert("0", "boolean"), False)
        self.assertEqual(decl.convert("12.50", "decimal"), 12.5)
        self.assertEqual(decl.convert("2026-03-01", "date").isoformat(), "2026-03-01")
        self.assertEqual(
            decl.convert("2026-03-01T10:00:00+02:00", "datetime").isoformat(),
            "2026-03-01T08:00:00",
        )
        with self.assertRaises(ValueError):
            decl.convert("1.5", "integer")
        payload = self.vendor(
            email="AP@ACME.Example", code="ac-1", company="yes", country="BE",
            contacts=[{"name": "Desk", "email": "desk@acme.example"}, {"name": "AP"}],
        )  # fmt: skip
        message = self.enqueue(payload, flow=self.decl_flow)
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        partner = self.Binding._find_record(self.backend, "vendor", "V1", "res.partner")
        self.assertEqual(
            (partner.name, partner.email, partner.ref, partner.is_company, partner.country_id.code),
            ("Acme", "ap@acme.example", "AC-1", True, "BE"),
        )
        self.assertEqual(sorted(partner.child_ids.mapped("name")), ["AP", "Desk"])
        self.assertEqual(message.declarative_version, 1)
        # the same vendor again: updated through its binding, lines replaced
        update = self.vendor(name="Acme Ltd", contacts=[{"name": "Desk"}])
        self.enqueue(update, flow=self.decl_flow)
        self.process()
        self.assertEqual(partner.name, "Acme Ltd")
        self.assertEqual(partner.child_ids.mapped("name"), ["Desk"])
        self.assertEqual(partner.email, "ap@acme.example", "an absent path keeps the value")

    def test_binding_waits_and_lookup_miss_is_an_exception(self):
        child = self.enqueue(self.vendor(id="V2", parent_id="V9"), flow=self.decl_flow)
        self.process()
        self.assertEqual(child.state, "waiting")
        self.enqueue(self.vendor(id="V9", name="Parent"), flow=self.decl_flow)
        self.process()
        self.assertEqual(child.state, "done", child.last_error)
        parent = self.Binding._find_record(self.backend, "vendor", "V9", "res.partner")
        self.assertEqual(
            self.Binding._find_record(self.backend, "vendor", "V2", "res.partner").parent_id,
            parent,
        )
        unknown = self.enqueue(self.vendor(id="V3", country="XX"), flow=self.decl_flow)
        self.process()
        self.assertEqual(unknown.state, "exception")
        self.assertIn("no Country with code 'XX'", unknown.last_error)

    def test_value_mapping_pending_then_requeued(self):
        definition = self.decl_flow.hc_export_definition()
        definition["fields"]["parent_id"] = {"path": "vendor.agency", "mapping": "agency"}
        self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        self.assertEqual(self.decl_flow.declarative_version, 2)
        self.assertTrue(
            self.Audit.search(
                [("action", "=", "flow.definition"), ("res_id", "=", self.decl_flow.id)]
            ).filtered(lambda a: "version 2" in a.summary)
        )
        message = self.enqueue(self.vendor(agency="AG-7"), flow=self.decl_flow)
        self.process()
        self.assertEqual(message.state, "exception")
        pending = self.Mapping.search(
            [("mapping_type", "=", "agency"), ("external_code", "=", "AG-7")]
        )
        self.assertEqual(pending.state, "pending")
        agency = self.env["res.partner"].create({"name": "Staffing agency"})
        pending.target_ref = agency
        self.assertEqual(message.state, "pending", "mapping the code re-queued the message")
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(message.declarative_version, 2)
        partner = self.Binding._find_record(self.backend, "vendor", "V1", "res.partner")
        self.assertEqual(partner.parent_id, agency)

    def test_required_and_type_errors_at_processing_and_constraint(self):
        message = self.enqueue(self.vendor(company="maybe"), flow=self.decl_flow)
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertIn("vendor.company: not a yes/no value", message.last_error)
        with self.assertRaisesRegex(ValidationError, "has no field 'nope'"):
            self.decl_flow.declarative_definition = json.dumps(
                dict(self.definition, fields={"nope": {"path": "a.b"}})
            )

    def test_allowlist_and_schema_derived_from_the_map(self):
        self.assertIn("vendor.contacts[].email", self.decl_flow._get_allowlist())
        kept, _dropped = self.decl_flow._minimize_payload(
            self.vendor(ssn="1", contacts=[{"name": "x", "dob": "1"}])
        )
        self.assertNotIn("ssn", kept["vendor"])
        self.assertNotIn("dob", kept["vendor"]["contacts"][0])
        errors = self.decl_flow._validate_payload(self.vendor(company=["x"]))
        self.assertEqual([e["path"] for e in errors], ["/vendor/company"])

    def test_preview_writes_nothing(self):
        before = self.env["res.partner"].search_count([])
        result = self.decl_flow._hc_preview(self.vendor(code="p-1", contacts=[{"name": "Desk"}]))
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["record"], "created")
        self.assertEqual(result["values"]["ref"], "P-1")
        self.assertEqual(result["values"]["child_ids"][0]["name"], "Desk")
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertFalse(self.Binding._find_binding(self.backend, "vendor", "V1"))
        bad = self.decl_flow._hc_preview(self.vendor(name=None))
        self.assertTrue(bad["errors"])
