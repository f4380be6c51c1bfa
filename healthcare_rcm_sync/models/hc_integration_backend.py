from odoo import Command, api, models
from odoo.exceptions import UserError

RESOLVER_GROUP = "healthcare_rcm_sync.group_rcm_resolver"
#: The standard revenue-cycle flows per backend type (DESIGN §5, Appendix B codes).
RCM_FLOW_TEMPLATES = {
    "billing": [
        {
            "code": "billing_summary",
            "schema_versions": "1.0,1.1",
            "name": "Billing summaries",
            "event_type": "billing.summary",
            "handler_model": "hc.rcm.handler.billing.summary",
            "sync_mode": "batch",
            "sla_minutes": 240,
        },
        {
            "code": "payment_posted",
            "name": "Cash postings",
            "event_type": "payment.posted",
            "handler_model": "hc.rcm.handler.payment.posted",
            "sync_mode": "realtime",
            "sla_minutes": 15,
        },
        {
            "code": "collections_placed",
            "name": "Balances placed with collection agencies",
            "event_type": "collections.placed",
            "handler_model": "hc.rcm.handler.collections",
            "sync_mode": "batch",
            "sla_minutes": 240,
        },
        {
            "code": "collections_recovered",
            "name": "Recoveries from collection agencies",
            "event_type": "collections.recovered",
            "handler_model": "hc.rcm.handler.collections",
            "sync_mode": "batch",
            "sla_minutes": 240,
        },
        {
            "code": "writeoff",
            "name": "Write-offs",
            "event_type": "writeoff",
            "handler_model": "hc.rcm.handler.writeoff",
            "sync_mode": "batch",
            "sla_minutes": 240,
        },
    ],
    "clearinghouse": [
        {
            "code": "remittance_835",
            "name": "Payer remittances (X12 835)",
            "event_type": "remittance.835",
            "handler_model": "hc.rcm.handler.remittance",
            "payload_format": "x12",
            "sync_mode": "batch",
            "max_body_bytes": 64 * 1024 * 1024,
            "sla_minutes": 240,
        },
        {
            "code": "remittance_json",
            "name": "Payer remittances (JSON)",
            "event_type": "remittance.835",
            "handler_model": "hc.rcm.handler.remittance",
            "payload_format": "json",
            "sync_mode": "batch",
            "max_body_bytes": 64 * 1024 * 1024,
            "sla_minutes": 240,
        },
    ],
}


class HcIntegrationBackend(models.Model):
    _inherit = "hc.integration.backend"

    def _hc_rcm_setup_flows(self):
        """Create the standard revenue-cycle flows this backend's type calls for (billing
        system: billing summaries, cash postings, write-offs; clearinghouse: 835 remittances
        and their JSON equivalent), owned by the Revenue Cycle resolver group. Existing
        flow codes are left as they are. Returns the flows created."""
        Flow = self.env["hc.integration.flow"]
        group = self.env.ref(RESOLVER_GROUP)
        created = Flow.browse()
        for backend in self:
            templates = RCM_FLOW_TEMPLATES.get(backend.backend_type)
            if not templates:
                raise UserError(
                    self.env._(
                        "Standard revenue-cycle flows exist for billing systems and "
                        "clearinghouses only; %(backend)s is of another type.",
                        backend=backend.name,
                    )
                )
            inbound = [dict(template, direction="inbound") for template in templates]
            created |= backend._hc_ensure_flows(inbound, group)
        return created

    def action_hc_rcm_setup_flows(self):
        """Button: create the standard revenue-cycle flows of this backend."""
        self.check_access("write")
        flows = self._hc_rcm_setup_flows()
        return self._hc_flows_created_notification(
            flows,
            self.env._("%s revenue-cycle flow(s) created.", len(flows)),
            self.env._("The standard revenue-cycle flows already exist."),
        )

    @api.model
    def _hc_rcm_demo_setup(self):
        """Demo data (Appendix B): accounting for the main company, the standard flows on
        the demo billing system and clearinghouse, and the mappings the demo sender relies
        on (payers, service lines, facilities)."""
        self.env["res.company"]._hc_rcm_demo_setup()
        billing = self.env.ref("healthcare_integration_base.demo_backend_billing")
        clearinghouse = self.env.ref("healthcare_integration_base.demo_backend_clearinghouse")
        (billing | clearinghouse)._hc_rcm_setup_flows()
        for flow in billing.flow_ids.filtered(lambda flow: flow.code == "billing_summary"):
            if "1.1" not in flow._get_accepted_versions():
                flow.schema_versions = ",".join([*flow._get_accepted_versions(), "1.1"])
        company = billing.company_id
        company.hc_rcm_inbound_flow_id = clearinghouse.flow_ids.filtered(
            lambda flow: flow.code == "remittance_835"
        )
        payers = {
            "PAYER01": self.env.ref("healthcare_rcm_sync.demo_payer_01"),
            "PAYER02": self.env.ref("healthcare_rcm_sync.demo_payer_02"),
        }
        facilities = {
            "MAIN": self.env.ref("healthcare_rcm_sync.demo_facility_main"),
            "NORTH": self.env.ref("healthcare_rcm_sync.demo_facility_north"),
        }
        wanted = [
            (backend, "payer", code, record)
            for backend in (billing, clearinghouse)
            for code, record in payers.items()
        ]
        wanted += [(billing, "facility", code, record) for code, record in facilities.items()]
        wanted += [
            (billing, "service_line", code, record)
            for code, record in self._hc_rcm_demo_revenue_accounts(company).items()
        ]
        self._hc_rcm_demo_mappings(company, wanted)
        return True

    @api.model
    def _hc_rcm_demo_revenue_accounts(self, company):
        """``{service line code: revenue account}`` of the demo, created when missing."""
        Account = self.env["account.account"].with_company(company)
        accounts = {}
        for code, (number, name) in {
            "LAB": ("400110", "Laboratory revenue"),
            "RAD": ("400120", "Radiology revenue"),
            "PHARMACY": ("400130", "Pharmacy revenue"),
            "ED": ("400140", "Emergency department revenue"),
        }.items():
            accounts[code] = Account.search(
                [("name", "=", name), ("company_ids", "in", company.id)], limit=1
            ) or Account.create(
                {
                    "name": name,
                    "code": company._hc_rcm_free_account_code(number),
                    "account_type": "income",
                    "company_ids": [Command.link(company.id)],
                }
            )
        return accounts

    @api.model
    def _hc_rcm_demo_mappings(self, company, wanted):
        """Create the ``(backend, mapping type, code, record)`` mappings not there yet."""
        Mapping = self.env["hc.integration.mapping"]
        for backend, mapping_type, code, record in wanted:
            if Mapping._lookup(backend, mapping_type, code):
                continue
            Mapping.create(
                {
                    "backend_id": backend.id,
                    "company_id": company.id,
                    "mapping_type": mapping_type,
                    "external_code": code,
                    "label": record.display_name,
                    "target_ref": f"{record._name},{record.id}",
                }
            )
