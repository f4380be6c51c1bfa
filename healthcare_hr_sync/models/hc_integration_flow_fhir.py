from odoo import fields, models

FHIR_HANDLER = "hc.hr.handler.credential.fhir"
#: The ``Identifier.system`` whose value is the HRIS employee id, unless a flow says
#: otherwise (credentialing systems let their administrators name it).
DEFAULT_EMPLOYEE_SYSTEM = "urn:hc:hris:employee-id"


# The FHIR side of hc.integration.flow, in a file of its own (one concern per file).
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """FHIR settings of the credential flows that receive ``Practitioner`` resources."""

    _inherit = "hc.integration.flow"

    hr_fhir_employee_system = fields.Char(
        string="Employee identifier system",
        default=DEFAULT_EMPLOYEE_SYSTEM,
        tracking=True,
        help="FHIR flows: the Identifier.system of the Practitioner identifier that holds "
        "the HRIS employee id. Other identifiers than this one and the NPI are dropped "
        "before storage.",
    )

    def _minimize_payload(self, payload):
        """The allow-list keeps paths; a Practitioner's identifiers of other systems (an
        SSN, a passport…) share their paths with the NPI, so they go in a second step."""
        kept, dropped = super()._minimize_payload(payload)
        if self.handler_model == FHIR_HANDLER and isinstance(kept, dict):
            kept, more = self.env[FHIR_HANDLER]._hc_keep_identifiers(self, kept)
            dropped = list(dropped) + more
        return kept, dropped
