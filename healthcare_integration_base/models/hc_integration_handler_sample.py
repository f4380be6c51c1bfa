import time

import psycopg2

from odoo import api, models

from ..exceptions import BusinessError, RetryableError, StaleEventError
from ..tools.payload import parse_iso_datetime

CONTACT_TYPE = "contact"


class HcIntegrationHandlerSample(models.AbstractModel):
    """Reference handler: upserts a contact (``res.partner``) by binding.

    It is the smallest complete example for handler authors, and it is what the engine's
    own tests, the browser tour and the benchmarks run. Payload::

        {"event_type": "contact.upsert", "schema_version": "1.0", "occurred_at": "…",
         "contact": {"external_id": "C1", "name": "…", "email": "…",
                     "category_code": "VIP", "parent_external_id": "C0"},
         "simulate": "retry" | "business" | "conflict" | "noop" | "slow"}

    ``category_code`` goes through a ``partner_category`` mapping and
    ``parent_external_id`` waits for the parent's binding. ``simulate`` exists for tests
    and benchmarks only.
    """

    _name = "hc.integration.handler.sample"
    _inherit = "hc.integration.handler"
    _description = "Sample: contact upsert"
    _hc_allowlist = (
        "contact.external_id",
        "contact.name",
        "contact.email",
        "contact.category_code",
        "contact.parent_external_id",
        "simulate",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        contact = payload.get("contact") or {}
        return contact.get("external_id") and f"contact:{contact['external_id']}"

    @api.model
    def _hc_effective_date(self, flow, payload):
        return parse_iso_datetime(payload.get("effective_at"))

    @api.model
    def _hc_default_allowlist(self, flow):
        return list(self._hc_allowlist) + ["effective_at"]

    def _hc_process(self, message):
        payload = message.payload or {}
        simulate = payload.get("simulate")
        if simulate == "noop":
            return None
        if simulate == "slow":
            # an I/O-bound handler (a 50 ms call elsewhere): its pace does not depend on
            # the CPU, for the round-time system test and the lane benchmarks
            time.sleep(0.05)
            return None
        if simulate == "retry":
            raise RetryableError("The sample backend is temporarily unavailable.")
        if simulate == "business":
            raise BusinessError("The sample contact cannot be applied as sent.")
        if simulate == "conflict":
            # what PostgreSQL raises when another worker committed a change to a row that
            # this transaction changes too
            raise psycopg2.errors.SerializationFailure("could not serialize access")
        contact = payload.get("contact") or {}
        if not contact.get("external_id") or not contact.get("name"):
            raise BusinessError("A contact needs an external id and a name.")
        backend = message.backend_id
        bindings = self._hc_binding()
        values = {"name": contact["name"], "email": contact.get("email") or False}
        category = self._hc_map(backend, "partner_category", contact.get("category_code"))
        if category:
            values["category_id"] = [(4, category.id)]
        if contact.get("parent_external_id"):
            parent = bindings._require(
                backend, CONTACT_TYPE, contact["parent_external_id"], message
            )
            values["parent_id"] = parent.id
        binding = bindings._find_binding(backend, CONTACT_TYPE, contact["external_id"])
        if binding and binding._is_stale(message.occurred_at):
            raise StaleEventError("An event more recent than this one was already applied.")
        partner = binding.record if binding else self.env["res.partner"]
        if partner:
            partner.write(values)
        else:
            partner = self.env["res.partner"].create(values)
        bindings._bind(backend, CONTACT_TYPE, contact["external_id"], partner, message.occurred_at)
        return partner
