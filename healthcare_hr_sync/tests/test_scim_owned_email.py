"""An HRIS ``employee.upsert`` leaves the e-mail and login of an account an identity
platform provisions through SCIM as the platform set them, and says so in the audit."""

from odoo.tests import tagged

from .common import HrSyncCase
from .scim_common import ENTERPRISE, USER_SCHEMA

SCIM_EMAIL = "nora.idp@identity.test"


@tagged("post_install", "-at_install")
class TestScimOwnedEmail(HrSyncCase):
    def setUp(self):
        super().setUp()
        values = {"name": "Identity platform", "code": "idp_owned", "backend_type": "identity"}
        self.identity = self.env["hc.integration.backend"].create(values)

    def hire(self, external_id, provision=False):
        self.upsert_flow.write({"hr_provision_users": provision, "hr_user_invitation": "sso"})
        self.send_and_process("employee_upsert", self.upsert_event(external_id))
        return self.employee(external_id)

    def link_scim_account(self, employee):
        """The platform provisions the account and names the HRIS employee (employeeNumber)."""
        body = {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": SCIM_EMAIL,
            "name": {"givenName": "Nora", "familyName": "Idp"},
            "emails": [{"value": SCIM_EMAIL, "type": "work", "primary": True}],
            "active": True,
            ENTERPRISE: {"employeeNumber": employee.hc_external_id},
        }
        status, _resource, _headers = (
            self.env["hc.hr.scim"]
            .with_context(no_reset_password=True)
            ._hc_scim_create(self.identity, body, "http://odoo.test")
        )
        self.assertEqual(status, 201)
        self.assertEqual(employee.user_id.login, SCIM_EMAIL, "linked to the SCIM account")
        return employee.user_id

    def upsert_later(self, external_id, **fields_):
        return self.send_and_process(
            "employee_upsert",
            self.upsert_event(external_id, occurred_at=self.later(seconds=5), **fields_),
        )

    def owned_audits(self, employee):
        return self.audits("hr.employee.identity_owned", employee)

    def test_hris_email_leaves_the_scim_account_alone(self):
        employee = self.hire("E900")
        user = self.link_scim_account(employee)
        message = self.upsert_later(
            "E900", work_email="e900.renamed@hospital.test", job_title="Charge Nurse"
        )
        self.assertEqual(message.state, "done")
        self.assertFalse(
            self.env["hc.integration.exception"].search([("message_id", "=", message.id)])
        )
        self.assertEqual((user.login, user.email), (SCIM_EMAIL, SCIM_EMAIL))
        self.assertEqual(employee.work_email, SCIM_EMAIL)
        self.assertEqual(employee.job_title, "Charge Nurse", "the rest of the event applies")
        audits = self.owned_audits(employee)
        self.assertEqual(len(audits), 1)
        self.assertEqual(audits.message_id, message)
        for address in ("e900.renamed@hospital.test", SCIM_EMAIL, "e900@hospital.test"):
            self.assertNotIn(address, audits.summary)

    def test_an_account_the_hris_provisioned_follows_the_hris(self):
        employee = self.hire("E901", provision=True)
        user = employee.user_id
        self.assertEqual(user.login, "e901@hospital.test")
        self.upsert_later("E901", work_email="e901.new@hospital.test")
        self.assertEqual(employee.work_email, "e901.new@hospital.test")
        self.assertEqual(user.email, "e901.new@hospital.test")
        self.assertFalse(self.owned_audits(employee))

    def test_same_address_in_other_case_is_no_change_and_no_audit(self):
        employee = self.hire("E902")
        user = self.link_scim_account(employee)
        self.upsert_later("E902", work_email=SCIM_EMAIL.upper(), job_title="Nurse")
        self.assertEqual(user.email, SCIM_EMAIL)
        self.assertFalse(self.owned_audits(employee))
