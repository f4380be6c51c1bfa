"""Contracts with their local ``$ref``s inlined (tools/json_schema.py, issue 13): the
same verdicts and error texts as the schema as written, on every shipped contract."""

import copy
import glob
import json
import os

import jsonschema

from odoo.tests import TransactionCase

from ..tools.json_schema import inline_local_refs

ADDONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACTS = sorted(glob.glob(os.path.join(ADDONS, "healthcare_*", "schemas", "*", "*.json")))


def validators(schema):
    cls = jsonschema.validators.validator_for(schema)
    written = cls(schema, format_checker=cls.FORMAT_CHECKER)
    inlined = cls(inline_local_refs(schema), format_checker=cls.FORMAT_CHECKER)
    return written, inlined


def verdict(validator, payload):
    return sorted((list(e.absolute_path), e.message) for e in validator.iter_errors(payload))


def refs_outside_defs(schema):
    return json.dumps({k: v for k, v in schema.items() if k != "$defs"}).count('"$ref"')


def wrong_types(schema):
    """A payload giving each property of the schema (and of its referenced parts, one
    level down) a value of the wrong type: exercises the inlined parts."""
    wrong = {}
    for name in schema.get("properties", {}):
        wrong[name] = {"unexpected": [1, {"deeper": None}]}
    for name, part in schema.get("$defs", {}).items():
        for prop in part.get("properties", {}) if isinstance(part, dict) else {}:
            wrong.setdefault(name, {})
            if isinstance(wrong[name], dict):
                wrong[name][prop] = 12345
    return wrong


class TestContractRefs(TransactionCase):
    def test_shipped_contracts_are_found(self):
        names = {os.path.basename(os.path.dirname(path)) for path in CONTRACTS}
        self.assertTrue({"contact.upsert", "employee.upsert", "remittance.835"} <= names)

    def test_every_contract_judges_alike_with_its_refs_inlined(self):
        for path in CONTRACTS:
            with open(path, encoding="utf-8") as handle:
                schema = json.load(handle)
            written, inlined = validators(schema)
            for payload in ({}, wrong_types(schema), {"event_type": 3, "schema_version": None}):
                with self.subTest(contract=path, payload=payload):
                    self.assertEqual(verdict(written, payload), verdict(inlined, payload))
            # what makes validation cheaper: nothing left to resolve outside $defs
            self.assertEqual(refs_outside_defs(inline_local_refs(schema)), 0, path)

    def test_nested_errors_keep_their_paths_and_messages(self):
        with open(
            os.path.join(ADDONS, "healthcare_integration_base/schemas/contact.upsert/1.0.json"),
            encoding="utf-8",
        ) as handle:
            schema = json.load(handle)
        written, inlined = validators(schema)
        payload = {
            "event_type": "contact.upsert",
            "schema_version": "1.0",
            "occurred_at": "2031-01-01T00:00:00Z",
            "contact": {"external_id": "", "name": 7},
        }
        found = verdict(inlined, payload)
        self.assertEqual(found, verdict(written, payload))
        self.assertEqual(
            [path for path, _message in found], [["contact", "external_id"], ["contact", "name"]]
        )

    def test_only_plain_local_refs_to_anonymous_parts_are_inlined(self):
        schema = {
            "$defs": {
                "node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}},
                "named": {"$id": "https://example.test/named", "type": "string"},
                "text": {"type": "string"},
            },
            "properties": {
                "tree": {"$ref": "#/$defs/node"},
                "named": {"$ref": "#/$defs/named"},
                "described": {"$ref": "#/$defs/text", "maxLength": 3},
                "remote": {"$ref": "https://example.test/other.json"},
                "missing": {"$ref": "#/$defs/nowhere"},
                "plain": {"$ref": "#/$defs/text"},
            },
        }
        original = copy.deepcopy(schema)
        props = inline_local_refs(schema)["properties"]
        self.assertEqual(schema, original, "the schema given is left untouched")
        self.assertEqual(props["plain"], {"type": "string"})
        # recursion: expanded once, then the reference stays (it resolves on the root)
        self.assertEqual(props["tree"]["properties"]["child"], {"$ref": "#/$defs/node"})
        for kept in ("named", "described", "remote", "missing"):
            self.assertEqual(props[kept], original["properties"][kept], kept)
