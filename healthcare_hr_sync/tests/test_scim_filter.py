"""tools/scim_filter.py and tools/scim_patch.py: the filter grammar of RFC 7644
§3.4.2.2 and PATCH on a resource as a dict, without Odoo."""

from odoo.tests import BaseCase

from ..tools.scim_filter import ENTERPRISE_USER, ScimError, matches, parse_filter, parse_path
from ..tools.scim_patch import apply_patch, project

RESOURCE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
    "id": "abc",
    "externalId": "Ext-1",
    "userName": "alice@example.org",
    "active": True,
    "name": {"givenName": "Alice", "familyName": "Smith"},
    "emails": [
        {"value": "alice@example.org", "type": "work", "primary": True},
        {"value": "alice@home.net", "type": "home"},
    ],
    ENTERPRISE_USER: {"employeeNumber": "42", "department": "ICU"},
    "meta": {"created": "2026-01-02T10:00:00Z"},
}


class TestScimFilter(BaseCase):
    def check(self, expression, expected):
        self.assertEqual(matches(parse_filter(expression), RESOURCE), expected, expression)

    def test_operators(self):
        self.check('userName eq "ALICE@example.org"', True)
        self.check('userName ne "alice@example.org"', False)
        self.check('name.familyName co "mit"', True)
        self.check('name.familyName sw "Sm"', True)
        self.check('userName ew ".org"', True)
        self.check("externalId pr", True)
        self.check("displayName pr", False)
        self.check('meta.created gt "2026-01-01T00:00:00Z"', True)
        self.check('meta.created ge "2026-01-02T10:00:00Z"', True)
        self.check('meta.created lt "2026-01-02T10:00:00Z"', False)
        self.check('meta.created le "2026-01-02T10:00:00Z"', True)
        self.check('externalId eq "ext-1"', False)  # identifiers are case-exact
        self.check("active eq true", True)

    def test_logic_precedence_and_value_paths(self):
        self.check('userName eq "x" or userName eq "y" and active eq false', False)
        self.check('(userName eq "x" or externalId pr) and active eq true', True)
        self.check('not (emails[type eq "work"]) or userName eq "x"', False)
        self.check('emails[type eq "home" and value ew "home.net"]', True)
        self.check('emails.value eq "alice@home.net"', True)
        self.check(f'{ENTERPRISE_USER}:employeeNumber eq "42"', True)

    def test_invalid_filters(self):
        for expression in ('userName zz "a"', "userName eq", '(userName eq "a"', "", "]"):
            with self.assertRaises(ScimError) as caught:
                parse_filter(expression)
            self.assertEqual(caught.exception.scim_type, "invalidFilter", expression)

    def test_paths(self):
        self.assertEqual(parse_path("name.givenName"), (None, "name", None, "givenName"))
        schema, attr, tree, sub = parse_path('emails[type eq "work"].value')
        self.assertEqual((schema, attr, sub), (None, "emails", "value"))
        self.assertEqual(tree, ("cmp", "type", "eq", "work"))
        self.assertEqual(parse_path(f"{ENTERPRISE_USER}:manager")[:2], (ENTERPRISE_USER, "manager"))


class TestScimPatch(BaseCase):
    def test_operations(self):
        patched = apply_patch(
            RESOURCE,
            {
                "Operations": [
                    {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@x.org"},
                    {"op": "remove", "path": 'emails[type eq "home"]'},
                    {"op": "add", "path": "name.givenName", "value": "Al"},
                    {"op": "Add", "path": f"{ENTERPRISE_USER}:manager", "value": "boss-id"},
                    {"op": "replace", "value": {"displayName": "Al S", "active": "False"}},
                ]
            },
        )
        self.assertEqual(patched["emails"], [{"value": "a@x.org", "type": "work", "primary": True}])
        self.assertEqual(patched["name"], {"givenName": "Al", "familyName": "Smith"})
        self.assertEqual(patched[ENTERPRISE_USER]["manager"], {"value": "boss-id"})
        self.assertEqual((patched["displayName"], patched["active"]), ("Al S", "False"))
        self.assertEqual(RESOURCE["name"]["givenName"], "Alice", "the input is not changed")

    def test_refusals(self):
        for body, scim_type in (
            ({"Operations": []}, "invalidSyntax"),
            ({"Operations": [{"op": "move", "path": "userName"}]}, "invalidSyntax"),
            ({"Operations": [{"op": "remove"}]}, "noTarget"),
            ({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}, "mutability"),
            ({"Operations": [{"op": "remove", "path": 'emails[type eq "x"]'}]}, "noTarget"),
        ):
            with self.assertRaises(ScimError) as caught:
                apply_patch(RESOURCE, body)
            self.assertEqual(caught.exception.scim_type, scim_type, body)

    def test_projection(self):
        only = project(RESOURCE, ["userName,name.familyName", f"{ENTERPRISE_USER}:department"])
        self.assertEqual(
            only,
            {
                "schemas": RESOURCE["schemas"],
                "id": "abc",
                "userName": "alice@example.org",
                "name": {"familyName": "Smith"},
                ENTERPRISE_USER: {"department": "ICU"},
            },
        )
        without = project(RESOURCE, excluded=["emails", "id", "name.givenName"])
        self.assertNotIn("emails", without)
        self.assertEqual(without["id"], "abc")
        self.assertEqual(without["name"], {"familyName": "Smith"})
