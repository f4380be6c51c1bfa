"""Play the declarative templates' systems against the running demo.

Over XML-RPC (as the demo's administrator) it imports, on the ``demo_operations``
backend, each inbound template whose apps are installed — and prints the ones it skips —
then creates the little master data their events refer to (a supplier, products, the
ICU's stock location and analytic account, an autoclave, a purchase order). Then it sends
signed events to ``/healthcare/webhook/demo_operations/<template>``: a supplier catalog
item, the order's acknowledgement (confirmed) and a second one that changes a quantity
(lines are matched by product, never duplicated), a goods receipt of insulin with lots and
expiry dates (validated), a maintenance request, a CRM referral, and a procedure completed whose
department code ``ICU`` is mapped to the ICU's stock location (a mapping type the template
declares): supplies consumed, charge captured as an analytic line.

Event ids depend on the day only: running the script twice the same day gives ``200``
duplicates, not new events.

    python3 tools/demo_sender_templates.py --url http://localhost:8069 [--db healthcare_demo]
"""

import argparse
import os
import sys
import xmlrpc.client
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_client import WebhookClient, post_events

BACKEND = "demo_operations"
#: The inbound templates, in the order their systems send.
TEMPLATES = (
    "supplier_catalog",
    "po_acknowledgement",
    "goods_receipt",
    "maintenance_request",
    "crm_referral",
    "procedure_completed",
)
SUPPLIER_REF = "SUP-MEDSUPPLY"
PO_ORIGIN = "DEMO-ACK"
COST_CENTRE = "CC-4410"


class Rpc:
    """``execute_kw`` as one user of one database."""

    def __init__(self, base_url, db, login, password):
        self.db, self.password = db, password
        common = xmlrpc.client.ServerProxy(f"{base_url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            raise RuntimeError(f"cannot log in to {db} as {login}")
        self.proxy = xmlrpc.client.ServerProxy(f"{base_url}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.proxy.execute_kw(self.db, self.uid, self.password, model, method, args, kwargs)

    def ensure(self, model, domain, values):
        """The id of the record matching ``domain``, created with ``values`` if none."""
        found = self(model, "search", domain, limit=1)
        return found[0] if found else self(model, "create", values)


def import_templates(rpc, out=print):
    """``{template code: flow id}`` of the templates imported; the others are printed."""
    backend = rpc("hc.integration.backend", "search", [("code", "=", BACKEND)], limit=1)
    if not backend:
        raise RuntimeError(f"the demo has no backend {BACKEND} (demo data not loaded?)")
    flows = {}
    for code in TEMPLATES:
        wizard = rpc(
            "hc.integration.flow.template", "create", {"backend_id": backend[0], "template": code}
        )
        try:
            action = rpc("hc.integration.flow.template", "action_import", [wizard])
        except xmlrpc.client.Fault as fault:
            reason = fault.faultString.strip().splitlines()[-1]
            out(f"skip {code:<20} {reason}")
            continue
        flows[code] = action["res_id"]
        out(f"ok   {code:<20} imported (flow {action['res_id']})")
    return flows


def _installed(rpc, module):
    return bool(
        rpc(
            "ir.module.module", "search_count", [("name", "=", module), ("state", "=", "installed")]
        )
    )


def master_data(rpc, flows):
    """What the events refer to; ``{"po_name": …}`` when an order is acknowledged."""
    result = {}
    if {"supplier_catalog", "po_acknowledgement", "goods_receipt"} & set(flows):
        supplier = rpc.ensure(
            "res.partner", [("ref", "=", SUPPLIER_REF)],
            {"name": "MedSupply Distribution", "ref": SUPPLIER_REF, "is_company": True},
        )  # fmt: skip
        products = _products(rpc)
        result.update(supplier=supplier, products=products)
    if "po_acknowledgement" in flows:
        order = rpc.ensure("purchase.order", [("origin", "=", PO_ORIGIN)], {
            "partner_id": result["supplier"], "origin": PO_ORIGIN,
            "order_line": [(0, 0, {"product_id": result["products"]["GLV-M"], "product_qty": 200}),
                           (0, 0, {"product_id": result["products"]["SYR-5"], "product_qty": 500})],
        })  # fmt: skip
        result["po_name"] = rpc("purchase.order", "read", [order], ["name"])[0]["name"]
    if "goods_receipt" in flows:
        in_type = _main_warehouse(rpc)["in_type_id"][0]
        _map(rpc, "receipt_operation_type", "IN", f"stock.picking.type,{in_type}")
    if "maintenance_request" in flows:
        rpc.ensure("maintenance.equipment", [("serial_no", "=", "AUTOCLAVE-7")],
                   {"name": "Autoclave 7 (sterile)", "serial_no": "AUTOCLAVE-7"})  # fmt: skip
    if "procedure_completed" in flows:
        _department(rpc)
    return result


def _products(rpc):
    expiry = _installed(rpc, "product_expiry")
    specs = {
        "INS-10": {"name": "Insulin 10 ml vial (2-8 °C)", "is_storable": True, "tracking": "lot"},
        "GLV-M": {"name": "Nitrile gloves, medium (box)", "is_storable": True},
        "SYR-5": {"name": "Syringe 5 ml", "is_storable": True},
        "GZ-10": {"name": "Sterile gauze 10x10", "is_storable": True},
    }
    if expiry:
        specs["INS-10"].update(use_expiration_date=True, expiration_time=365)
    return {
        code: rpc.ensure("product.product", [("default_code", "=", code)],
                         dict(values, default_code=code))
        for code, values in specs.items()
    }  # fmt: skip


def _department(rpc):
    """The ICU's stock location (under the main warehouse's stock), its analytic account,
    and the mappings of department code ICU to that location and to the warehouse's
    delivery type."""
    stock = _main_warehouse(rpc)["lot_stock_id"][0]
    icu = rpc.ensure("stock.location", [("name", "=", "ICU supplies")],
                     {"name": "ICU supplies", "location_id": stock})  # fmt: skip
    # the HR demo's ICU cost centre; created (with a plan) when the HR demo is not loaded
    if not rpc("account.analytic.account", "search", [("code", "=", COST_CENTRE)], limit=1):
        plan = rpc.ensure("account.analytic.plan", [("name", "=", "Departments")],
                          {"name": "Departments"})  # fmt: skip
        rpc("account.analytic.account", "create",
            {"name": "ICU nursing", "code": COST_CENTRE, "plan_id": plan})  # fmt: skip
    _map(rpc, "department_stock_location", "ICU", f"stock.location,{icu}")
    out_type = _main_warehouse(rpc)["out_type_id"][0]
    _map(rpc, "department_consumption_type", "ICU", f"stock.picking.type,{out_type}")


def _main_warehouse(rpc):
    fields = ["lot_stock_id", "in_type_id", "out_type_id"]
    return rpc("stock.warehouse", "search_read", [], fields, limit=1, order="id")[0]


def _map(rpc, mapping_type, code, target):
    """Map ``code`` of a type the templates declare to ``target`` ("model,id")."""
    domain = [("mapping_type", "=", mapping_type), ("external_code", "=", code)]
    found = rpc("hc.integration.mapping", "search_read", domain, ["state"])
    if not found:
        values = {"mapping_type": mapping_type, "external_code": code, "target_ref": target}
        rpc("hc.integration.mapping", "create", values)
    elif found[0]["state"] == "pending":
        rpc("hc.integration.mapping", "write", [found[0]["id"]], {"target_ref": target})


def _envelope(flow, day, minute, **body):
    stamp = datetime(day.year, day.month, day.day, 7, minute, tzinfo=timezone.utc)
    event_type = {
        "supplier_catalog": "catalog.item",
        "po_acknowledgement": "purchase_order.acknowledged",
        "goods_receipt": "goods.receipt",
        "maintenance_request": "maintenance.request",
        "crm_referral": "referral.received",
        "procedure_completed": "procedure.completed",
    }[flow]
    occurred_at = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(body, event_type=event_type, schema_version="1.0", occurred_at=occurred_at)


def events(today=None, po_name="P00001"):
    """``[(label, flow code, event id, body)]`` in the order the systems send them."""
    today = today or datetime.now(timezone.utc).date()
    stamp = today.strftime("%Y%m%d")
    in_a_year = f"{today.year + 1}-{today.month:02d}-01T00:00:00Z"
    ack_lines = [{"product_code": "GLV-M", "quantity_confirmed": 200},
                 {"product_code": "SYR-5", "quantity_confirmed": 450}]  # fmt: skip
    return [
        ("catalog item: gloves at 4.20, min 10, 5 days", "supplier_catalog", f"cat-{stamp}-1",
         _envelope("supplier_catalog", today, 0, item={
             "id": "MS-GLV-M", "supplier_ref": SUPPLIER_REF, "product_code": "GLV-M",
             "vendor_product_code": " MS-88120 ", "price": "4.20", "min_qty": 10,
             "lead_time_days": 5})),
        ("order acknowledged: 450 of 500 syringes", "po_acknowledgement", f"ack-{stamp}-1",
         _envelope("po_acknowledgement", today, 5, order={
             "number": po_name, "supplier_reference": "MS-SO-5521",
             "planned_at": today.isoformat() + "T14:00:00Z", "lines": ack_lines})),
        ("order acknowledged again: 400 syringes", "po_acknowledgement", f"ack-{stamp}-2",
         _envelope("po_acknowledgement", today, 10, order={
             "number": po_name, "supplier_reference": "MS-SO-5521",
             "lines": [ack_lines[0], dict(ack_lines[1], quantity_confirmed=400)]})),
        ("goods receipt: 2 lots of insulin with expiry", "goods_receipt", f"gr-{stamp}-1",
         _envelope("goods_receipt", today, 15, receipt={
             "id": f"GR-{stamp}-1", "operation_type": "IN", "supplier_ref": SUPPLIER_REF,
             "po_number": po_name, "lines": [
                 {"product_code": "INS-10", "lot": f"INS{stamp}A", "quantity": 40,
                  "expires_on": in_a_year},
                 {"product_code": "INS-10", "lot": f"INS{stamp}B", "quantity": 20,
                  "expires_on": in_a_year},
                 {"product_code": "GZ-10", "quantity": 100}]})),
        ("maintenance request: autoclave leaking", "maintenance_request", f"fac-{stamp}-1",
         _envelope("maintenance_request", today, 20, request={
             "id": f"FAC-{stamp}-1", "subject": " Autoclave 7 leaking steam ",
             "details": "Door seal worn", "kind": "Corrective", "requested_on": today.isoformat(),
             "equipment_serial": "AUTOCLAVE-7"})),
        ("referral from North GP", "crm_referral", f"ref-{stamp}-1",
         _envelope("crm_referral", today, 25, referral={
             "id": f"REF-{stamp}-1", "title": "Cardiology referral", "organisation": "North GP",
             "contact_name": "Dr Lee", "contact_email": "Referrals@North-GP.example"})),
        ("procedure completed in the ICU: supplies and charge", "procedure_completed",
         f"proc-{stamp}-1",
         _envelope("procedure_completed", today, 30, procedure={
             "id": f"PROC-{stamp}-1", "code": "Central line insertion",
             "department_code": "ICU", "cost_center": COST_CENTRE,
             "performed_at": today.isoformat() + "T07:20:00Z", "charge_amount": "850.00",
             "supplies": [{"product_code": "GZ-10", "quantity": 4},
                          {"product_code": "GLV-M", "quantity": 2}]})),
    ]  # fmt: skip


def run(base_url, secret=None, today=None, out=print, db=None, login=None, password=None):
    """Import the templates, then send their traffic; returns ``[(label, HTTP status)]``."""
    db = db or os.environ.get("HC_DEMO_DB", "healthcare_demo")
    try:
        rpc = Rpc(base_url, db, login or "admin", password or "admin")
        flows = import_templates(rpc, out)
        data = master_data(rpc, flows)
    except (xmlrpc.client.Error, OSError, RuntimeError) as error:
        out(f"---  templates: cannot prepare them over XML-RPC ({error})")
        return [("templates", 599)]
    traffic = [
        (BACKEND, *event)
        for event in events(today, data.get("po_name", "P00001"))
        if event[1] in flows
    ]
    return post_events(WebhookClient(base_url, secret=secret), traffic, out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069", help="Odoo base URL")
    parser.add_argument(
        "--db", default=None, help="database (default: HC_DEMO_DB or healthcare_demo)"
    )
    parser.add_argument("--secret", default=None, help="whsec_… (default: HC_DEMO_WEBHOOK_SECRET)")
    parser.add_argument("--date", default=None, help="play as of this day (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    today = date.fromisoformat(args.date) if args.date else None
    results = run(args.url, secret=args.secret, today=today, db=args.db)
    return 1 if [label for label, status in results if status >= 400] else 0


if __name__ == "__main__":
    sys.exit(main())
