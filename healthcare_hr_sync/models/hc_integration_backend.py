from odoo import api, models
from odoo.exceptions import UserError

HR_GROUP_XMLID = "healthcare_hr_sync.group_hr_resolver"
PAYROLL_GROUP_XMLID = "healthcare_hr_sync.group_payroll_resolver"


#: Credentials as FHIR R4 Practitioner resources (an HRIS's or a credentialing system's).
FHIR_FLOW_SPEC = {
    "code": "credential_fhir",
    "name": "Credentials (FHIR Practitioner)",
    "handler_model": "hc.hr.handler.credential.fhir",
    "event_type": "fhir.practitioner",
    "schema_versions": "R4",
    "sync_mode": "realtime",
    "priority": 5,
    "sla_minutes": 15,
    "pull_endpoint": "/Practitioner",
    "pull_page_size": 50,
    "sequence": 45,
}
#: The standard flows of an HRIS: inbound events and the roster reconciliation.
HRIS_FLOW_SPECS = [
    {
        "code": "employee_upsert",
        "name": "Employee upsert",
        "handler_model": "hc.hr.handler.employee.upsert",
        "event_type": "employee.upsert",
        "sync_mode": "realtime",
        "priority": 5,
        "sla_minutes": 15,
        "sequence": 10,
    },
    {
        "code": "employee_transfer",
        "name": "Employee transfer",
        "handler_model": "hc.hr.handler.employee.transfer",
        "event_type": "employee.transfer",
        "sync_mode": "realtime",
        "priority": 10,
        "sla_minutes": 60,
        "sequence": 20,
    },
    {
        "code": "employee_terminate",
        "name": "Employee termination",
        "handler_model": "hc.hr.handler.employee.terminate",
        "event_type": "employee.terminate",
        "sync_mode": "realtime",
        "priority": 1,
        "sla_minutes": 5,
        "sequence": 30,
    },
    {
        "code": "credential_update",
        "name": "Credential update",
        "handler_model": "hc.hr.handler.credential.update",
        "event_type": "credential.update",
        "sync_mode": "realtime",
        "priority": 5,
        "sla_minutes": 15,
        "sequence": 40,
    },
    FHIR_FLOW_SPEC,
    {
        "code": "attendance_summary",
        "name": "Attendance summary",
        "handler_model": "hc.hr.handler.attendance.summary",
        "event_type": "attendance.summary",
        "sync_mode": "batch",
        "priority": 20,
        "sla_minutes": 24 * 60,
        "max_body_bytes": 10 * 1024 * 1024,
        "sequence": 50,
    },
    {
        "code": "roster_reconciliation",
        "name": "Roster reconciliation",
        "handler_model": "hc.hr.handler.roster",
        "event_type": "hr.roster",
        "sync_mode": "batch",
        "priority": 30,
        "sla_minutes": 24 * 60,
        "max_body_bytes": 20 * 1024 * 1024,
        "pull_endpoint": "/roster",
        "pull_page_size": 200,
        "sequence": 70,
    },
]
#: The standard flow of a credentialing system.
CREDENTIALING_FLOW_SPECS = [FHIR_FLOW_SPEC]
#: The standard flow of a payroll system: labour allocation, outbound.
PAYROLL_FLOW_SPECS = [
    {
        "code": "labour_allocation",
        "name": "Labour allocation to payroll",
        "direction": "outbound",
        "sync_mode": "batch",
        "handler_model": "hc.hr.handler.labour.allocation",
        "event_type": "labour.allocation",
        "outbound_path": "/labour-allocations",
        "sla_minutes": 24 * 60,
        "sequence": 60,
    }
]


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationBackend(models.Model):
    _inherit = "hc.integration.backend"

    @api.model
    def _hc_hr_flow_specs(self, backend_type):
        """The standard HR flows of an HRIS (inbound), a payroll system (outbound) or a
        credentialing system (FHIR practitioners)."""
        specs = {"payroll": PAYROLL_FLOW_SPECS, "credentialing": CREDENTIALING_FLOW_SPECS}
        return [dict(spec) for spec in specs.get(backend_type, HRIS_FLOW_SPECS)]

    @api.model
    def _hc_hr_payroll_flow_specs(self):
        """The payroll journal flow of a payroll system (webhook, or a pull once enabled),
        owned by the Payroll Journal Resolver group."""
        return [
            {
                "code": "payroll_journal",
                "name": "Payroll journal to accounting",
                "handler_model": "hc.hr.handler.payroll.journal",
                "event_type": "payroll.journal",
                "sync_mode": "batch",
                "priority": 20,
                "sla_minutes": 24 * 60,
                "max_body_bytes": 10 * 1024 * 1024,
                "pull_endpoint": "/payroll-journals",
                "pull_page_size": 20,
                "sequence": 65,
            }
        ]

    def _hc_hr_setup_flows(self):
        """Create the standard HR flows missing on these backends (HRIS: inbound events and
        reconciliation; payroll: labour allocation out, payroll journals in; credentialing:
        FHIR practitioners), owned by the HR Integration Resolver group (payroll journals:
        the Payroll Journal Resolver group). Existing flows are left as they are. Returns
        the flows created."""
        group = self.env.ref(HR_GROUP_XMLID)
        created = self.env["hc.integration.flow"]
        for backend in self:
            if backend.backend_type not in ("hris", "payroll", "credentialing"):
                raise UserError(
                    self.env._(
                        "HR flows go on an HRIS, payroll or credentialing backend; "
                        "%(backend)s is none of them.",
                        backend=backend.name,
                    )
                )
            created |= backend._hc_ensure_flows(self._hc_hr_flow_specs(backend.backend_type), group)
            if backend.backend_type == "payroll":
                created |= backend._hc_ensure_flows(
                    self._hc_hr_payroll_flow_specs(), self.env.ref(PAYROLL_GROUP_XMLID)
                )
        return created

    def action_hc_hr_setup_flows(self):
        """Button on the backend form (Integration Managers)."""
        self.check_access("write")
        created = self._hc_hr_setup_flows()
        return self._hc_flows_created_notification(
            created,
            self.env._("%s HR flow(s) created.", len(created)),
            self.env._("The standard HR flows already exist on this backend."),
        )

    def _hc_hr_demo_setup(self):
        """Demo data: the standard HR flows on the demo backends, users provisioned with
        single sign-on (no e-mails from a demo), the buyer role on purchase rights where
        Purchase is installed, and no roster pull (the demo HRIS serves none)."""
        self._hc_hr_setup_flows()
        flows = self.env["hc.integration.flow"].sudo().search([("backend_id", "in", self.ids)])
        flows.filtered(lambda f: f.code == "employee_upsert").write(
            {"hr_provision_users": True, "hr_user_invitation": "sso"}
        )
        flows.filtered(lambda f: f.code == "roster_reconciliation").write({"pull_endpoint": False})
        purchase_group = self.env.ref("purchase.group_purchase_manager", raise_if_not_found=False)
        buyer = self.env.ref("healthcare_hr_sync.demo_mapping_role_buyer", raise_if_not_found=False)
        if purchase_group and buyer:
            # approver rights are beyond the default "user level" allow-list: the demo's
            # Settings administrator adds them to the groups roles may grant
            Mapping = self.env["hc.integration.mapping"]
            Mapping._hc_set_grantable_groups(Mapping._hc_grantable_groups() | purchase_group)
            buyer.group_ids = [(4, purchase_group.id)]
