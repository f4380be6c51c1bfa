"""``/scim/v2`` over real HTTP: authentication, error documents, ETags, filters, the
platforms' habits (Entra, Okta), deactivation and the system-of-record rules."""

from odoo.tests import tagged

from .scim_common import ENTERPRISE, PATCH_SCHEMA, TOKEN, ScimCase


def patch_body(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


@tagged("post_install", "-at_install")
class TestScimHttp(ScimCase):
    # --- authentication and errors -----------------------------------------------------
    def test_missing_or_wrong_token_is_a_401_scim_error(self):
        for token in (None, "wrong-token", TOKEN + "x"):
            response = self.scim("GET", "/Users", token=token)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(
                response.headers["Content-Type"].split(";")[0], "application/scim+json"
            )
            self.assertEqual(response.json()["status"], "401")
            self.assertIn("Bearer", response.headers.get("WWW-Authenticate", ""))
        other = self.env["hc.integration.backend"].create(
            {"name": "HRIS", "code": "scim_not_identity", "backend_type": "hris"}
        )
        other.api_key = TOKEN + "-hris"  # a secret of another kind is no SCIM token
        self.assertEqual(self.scim("GET", "/Users", token=TOKEN + "-hris").status_code, 401)

    def test_token_is_write_only_and_encrypted(self):
        self.assertFalse(self.backend.scim_token)
        self.assertTrue(self.backend.scim_token_is_set)
        stored = (
            self.env["hc.integration.secret"]
            .sudo()
            .search([("res_model", "=", self.backend._name), ("res_id", "=", self.backend.id)])
        )
        self.assertTrue(stored)
        self.assertNotIn(TOKEN, str(stored.read()))

    def test_errors_are_scim_documents_never_html(self):
        cases = [
            ("GET", "/Nope", None, 404, None),
            ("GET", "/Users/does-not-exist", None, 404, None),
            ("GET", "/Users?filter=userName%20xx%20%22a%22", None, 400, "invalidFilter"),
            ("GET", "/Users?filter=(userName%20eq%20%22a%22", None, 400, "invalidFilter"),
            ("POST", "/Users", {"schemas": []}, 400, "invalidValue"),
            ("DELETE", "/Schemas", None, 405, None),
            # a method the route does not take: werkzeug's 405, through the HTTP guard
            ("TRACE", "/Users", None, 405, None),
        ]
        for method, path, body, status, scim_type in cases:
            response = self.scim(method, path, body)
            self.assertEqual(response.status_code, status, (method, path, response.text))
            self.assertEqual(
                response.headers["Content-Type"].split(";")[0], "application/scim+json"
            )
            document = response.json()
            self.assertEqual(document["status"], str(status))
            self.assertEqual(document.get("scimType"), scim_type)
        bad_json = self.opener.post(
            f"{self.base_url()}/scim/v2/Users",
            data=b"{not json",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
        )
        self.assertEqual(bad_json.status_code, 400)
        self.assertEqual(bad_json.json()["scimType"], "invalidSyntax")

    def test_create_answers_201_with_location_and_etag_and_duplicate_is_409(self):
        response = self.scim(
            "POST",
            "/Users",
            {"userName": "new.nurse@example.org", "emails": [{"value": "new.nurse@example.org"}]},
        )
        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertTrue(response.headers["Location"].endswith(f"/scim/v2/Users/{body['id']}"))
        self.assertEqual(response.headers["ETag"], body["meta"]["version"])
        user = self.scim_user(body["id"]).user_id
        self.assertEqual(user.login, "new.nurse@example.org")
        self.assertTrue(user.active)
        binding = self.env["hc.integration.binding"]._find_binding(
            self.backend, "scim_user", body["id"]
        )
        self.assertEqual(binding.record, user)
        duplicate = self.scim("POST", "/Users", {"userName": "NEW.Nurse@example.org"})
        self.assertEqual(duplicate.status_code, 409)
        self.assertEqual(duplicate.json()["scimType"], "uniqueness")
        existing_login = self.scim(
            "POST", "/Users", {"userName": self.env.ref("base.user_admin").login}
        )
        self.assertEqual(existing_login.status_code, 409)

    def test_stale_if_match_is_412(self):
        created = self.create_user("etag@example.org")
        path = f"/Users/{created['id']}"
        etag = created["meta"]["version"]
        first = self.scim(
            "PATCH",
            path,
            patch_body({"op": "replace", "path": "displayName", "value": "E. Tag"}),
            headers={"If-Match": etag},
        )
        self.assertEqual(first.status_code, 200, first.text)
        self.assertNotEqual(first.headers["ETag"], etag)
        stale = self.scim(
            "PATCH",
            path,
            patch_body({"op": "replace", "path": "displayName", "value": "Other"}),
            headers={"If-Match": etag},
        )
        self.assertEqual(stale.status_code, 412)
        self.assertEqual(self.scim("GET", path).json()["displayName"], "E. Tag")

    # --- list, filters, pagination, attributes -------------------------------------------
    def test_filters_pagination_and_attributes(self):
        alice = self.create_user(
            "alice@example.org",
            externalId="ext-alice",
            name={"givenName": "Alice", "familyName": "Smith"},
        )
        self.create_user("bob@example.org", name={"givenName": "Bob", "familyName": "Jones"})
        self.create_user(
            "carol@other.org",
            name={"givenName": "Carol", "familyName": "Smithers"},
            emails=[{"value": "carol@home.net", "type": "home"}],
        )
        expectations = {
            'userName eq "Alice@Example.org"': ["alice@example.org"],  # case-insensitive
            'externalId eq "ext-alice"': ["alice@example.org"],
            'emails.value ew "home.net"': ["carol@other.org"],
            'emails[type eq "work" and value co "example.org"]': [
                "alice@example.org",
                "bob@example.org",
            ],
            'name.familyName sw "smith" and not (userName co "carol")': ["alice@example.org"],
            'userName ne "bob@example.org" and (externalId pr or name.familyName eq "Smithers")': [
                "alice@example.org",
                "carol@other.org",
            ],
            "active eq true": ["alice@example.org", "bob@example.org", "carol@other.org"],
            f'meta.created ge "{alice["meta"]["created"]}" and meta.created lt "2999-01-01"': [
                "alice@example.org",
                "bob@example.org",
                "carol@other.org",
            ],
            'meta.lastModified gt "2999-01-01T00:00:00Z"': [],
        }
        for expression, expected in expectations.items():
            response = self.opener.get(
                f"{self.base_url()}/scim/v2/Users",
                params={"filter": expression},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            self.assertEqual(response.status_code, 200, (expression, response.text))
            names = sorted(r["userName"] for r in response.json()["Resources"])
            self.assertEqual(names, expected, expression)
        page = self.scim("GET", "/Users?startIndex=2&count=1&attributes=userName").json()
        self.assertEqual(
            (page["totalResults"], page["startIndex"], page["itemsPerPage"]), (3, 2, 1)
        )
        self.assertEqual(set(page["Resources"][0]), {"schemas", "id", "userName"})
        excluded = self.scim("GET", f"/Users/{alice['id']}?excludedAttributes=emails,name").json()
        self.assertNotIn("emails", excluded)
        self.assertNotIn("name", excluded)
        self.assertEqual(excluded["userName"], "alice@example.org")

    # --- platform habits ------------------------------------------------------------------
    def test_entra_capitalised_ops_string_booleans_and_value_filters(self):
        created = self.create_user("entra@example.org")
        path = f"/Users/{created['id']}"
        response = self.scim(
            "PATCH",
            path,
            patch_body(
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": 'emails[type eq "work"].value', "value": "e2@example.org"},
                {"op": "Replace", "value": {"displayName": "Entra User", "name.givenName": "En"}},
            ),
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertIs(body["active"], False)
        self.assertEqual(
            body["emails"], [{"value": "e2@example.org", "type": "work", "primary": True}]
        )
        self.assertEqual((body["displayName"], body["name"]["givenName"]), ("Entra User", "En"))
        user = self.scim_user(created["id"]).user_id
        self.assertFalse(user.active)
        self.assertEqual(user.email, "e2@example.org")
        removed = self.scim(
            "PATCH", path, patch_body({"op": "Remove", "path": 'emails[type eq "home"]'})
        )
        self.assertEqual(removed.status_code, 400)
        self.assertEqual(removed.json()["scimType"], "noTarget")
        back = self.scim("PATCH", path, patch_body({"op": "Replace", "value": {"active": "True"}}))
        self.assertIs(back.json()["active"], True)
        self.assertTrue(user.active)

    def test_okta_put_without_active_does_not_deactivate_unless_configured(self):
        created = self.create_user("okta@example.org")
        path = f"/Users/{created['id']}"
        body = {"schemas": created["schemas"], "userName": "okta@example.org"}
        response = self.scim("PUT", path, body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIs(response.json()["active"], True)
        self.assertTrue(self.scim_user(created["id"]).user_id.active)
        self.backend.scim_put_without_active = "deactivate"
        self.assertIs(self.scim("PUT", path, body).json()["active"], False)

    # --- deactivation -----------------------------------------------------------------------
    def test_deactivation_ends_sessions_and_revokes_api_keys_reactivation_restores(self):
        created = self.create_user("leaver@example.org")
        record = self.scim_user(created["id"])
        user = record.user_id
        user.password = "Leaver-pass-123"
        self.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "scim key", None)
        session = self.authenticate("leaver@example.org", "Leaver-pass-123")
        self.assertEqual(
            self.url_open(
                "/web/session/get_session_info",
                data="{}",
                headers={"Content-Type": "application/json"},
            ).json()["result"]["uid"],
            user.id,
        )
        response = self.scim(
            "PATCH",
            f"/Users/{created['id']}",
            patch_body({"op": "replace", "path": "active", "value": False}),
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(user.active)
        self.assertFalse(self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)]))
        self.assertFalse(user._compute_session_token(session.sid) == session.session_token)
        audit = (
            self.env["hc.integration.audit"]
            .sudo()
            .search([("backend_id", "=", self.backend.id), ("action", "=", "scim.user.active")])
        )
        self.assertTrue(audit)
        self.assertFalse(any("leaver" in entry.summary for entry in audit))  # no PHI
        self.scim(
            "PATCH",
            f"/Users/{created['id']}",
            patch_body({"op": "replace", "path": "active", "value": True}),
        )
        self.assertTrue(user.active)

    def test_delete_archives_the_account_per_setting(self):
        created = self.create_user("gone@example.org")
        user = self.scim_user(created["id"]).user_id
        self.backend.scim_delete_action = "refuse"
        self.assertEqual(self.scim("DELETE", f"/Users/{created['id']}").status_code, 405)
        self.assertTrue(user.active)
        self.backend.scim_delete_action = "deactivate"
        self.assertEqual(self.scim("DELETE", f"/Users/{created['id']}").status_code, 204)
        self.assertFalse(user.active)
        self.assertEqual(self.scim("GET", f"/Users/{created['id']}").status_code, 404)

    # --- enterprise extension and system of record -------------------------------------------
    def test_enterprise_attributes_go_through_the_employee_upsert_flow(self):
        manager = self.create_user("boss@example.org")
        report = self.create_user(
            "report@example.org",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"employeeNumber": "E-77", "manager": {"value": manager["id"]}}},
        )
        self.assertEqual(report[ENTERPRISE]["manager"]["value"], manager["id"])
        messages = (
            self.env["hc.integration.message"]
            .sudo()
            .search([("backend_id", "=", self.backend.id), ("flow_id.code", "=", "scim_employee")])
        )
        self.assertEqual(len(messages), 2)
        orphan = self.create_user(
            "orphan@example.org",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"manager": {"value": "not-provisioned-yet"}}},
        )
        self.process_queue()
        boss = self.scim_user(manager["id"])
        employee = self.scim_user(report["id"]).employee_id
        self.assertTrue(employee)
        self.assertEqual(employee.user_id, self.scim_user(report["id"]).user_id)
        self.assertEqual(employee.parent_id, boss.employee_id)
        self.assertEqual(boss.employee_id.user_id, boss.user_id)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        waiting = (
            self.env["hc.integration.message"]
            .sudo()
            .search([("backend_id", "=", self.backend.id), ("external_id", "like", orphan["id"])])
        )
        self.assertEqual(waiting.state, "waiting")  # a manager not known yet waits, as today
        self.assertFalse(self.scim_user(orphan["id"]).employee_id)

    def process_queue(self):
        processor = self.env["hc.integration.processor"].with_context(no_reset_password=True)
        for _round in range(20):
            if not processor._cron_process_queue(lane=1, direction="inbound"):
                return

    def test_hris_owned_attributes_are_refused_or_ignored(self):
        hris = self.env["hc.integration.backend"].create(
            {"name": "HRIS", "code": "scim_hris", "backend_type": "hris"}
        )
        department = self.env["hr.department"].create({"name": "Pharmacy"})
        employee = self.env["hr.employee"].create(
            {
                "name": "Synced Person",
                "department_id": department.id,
                "hc_backend_id": hris.id,
                "hc_external_id": "H-1",
            }
        )
        self.env["hc.integration.binding"]._bind(hris, "employee", "H-1", employee)
        created = self.create_user(
            "synced@example.org",
            schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            **{ENTERPRISE: {"employeeNumber": "H-1"}},
        )
        record = self.scim_user(created["id"])
        self.assertEqual(record.employee_id, employee)
        self.assertEqual(employee.user_id, record.user_id)
        self.assertEqual(created[ENTERPRISE]["department"], "Pharmacy")
        binding = self.env["hc.integration.binding"]._find_binding(
            self.backend, "employee", created["id"]
        )
        self.assertEqual(binding.record, employee)
        change = patch_body({"op": "replace", "path": f"{ENTERPRISE}:department", "value": "ICU"})
        refused = self.scim("PATCH", f"/Users/{created['id']}", change)
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["scimType"], "mutability")
        self.backend.scim_foreign_attributes = "ignore"
        ignored = self.scim("PATCH", f"/Users/{created['id']}", change)
        self.assertEqual(ignored.status_code, 200)
        self.assertEqual(ignored.json()[ENTERPRISE]["department"], "Pharmacy")
        self.assertEqual(employee.department_id, department)
