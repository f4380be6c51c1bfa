"""Issue 14 "done means": the templates' demo traffic (``tools/demo_sender_templates.py``,
part of ``make demo-traffic``) imports the templates over XML-RPC, creates its master
data, and every event it sends over real signed HTTP is accepted and processed."""

import importlib.util
import sys
from pathlib import Path

from odoo.tests import new_test_user, tagged

from .http_common import SPEC_SECRET, WebhookHttpCase

TOOLS = Path(__file__).resolve().parents[2] / "tools"
#: what the demo's administrator may do that the set-up needs (no Settings rights)
GROUPS = (
    "healthcare_integration_base.group_integration_manager,stock.group_stock_manager,"
    "purchase.group_purchase_manager,maintenance.group_equipment_manager,"
    "sales_team.group_sale_manager,analytic.group_analytic_accounting,"
    "stock.group_stock_multi_locations"
)


def load_sender():
    sys.path.insert(0, str(TOOLS))
    try:
        spec = importlib.util.spec_from_file_location(
            "hc_demo_sender_templates", TOOLS / "demo_sender_templates.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(TOOLS))


@tagged("post_install", "-at_install")
class TestDemoTrafficTemplates(WebhookHttpCase):
    backend_code = "demo_operations"

    def test_templates_demo_traffic(self):
        sender = load_sender()
        user = new_test_user(self.env, "hc_demo_ops", groups=GROUPS)
        printed = []
        results = sender.run(
            self.base_url(), secret=SPEC_SECRET, db=self.env.cr.dbname,
            login=user.login, password=user.login, out=printed.append,
        )  # fmt: skip
        self.assertEqual(
            [status for _label, status in results], [202] * len(sender.events()), printed
        )
        self.assertFalse([line for line in printed if line.startswith("skip")], printed)
        processor = self.env["hc.integration.processor"]
        while processor._cron_process_queue(lane=1):
            pass
        messages = self.env["hc.integration.message"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(messages), len(results))
        self.assertEqual(set(messages.mapped("state")), {"done"}, messages.mapped("last_error"))
        order = self.env["purchase.order"].search([("origin", "=", sender.PO_ORIGIN)])
        self.assertEqual(order.state, "purchase")
        self.assertEqual(
            sorted(order.order_line.mapped(lambda l: (l.product_id.default_code, l.product_qty))),
            [("GLV-M", 200.0), ("SYR-5", 400.0)],
        )
        receipt = self.env["stock.picking"].search([("origin", "=", order.name),
                                                    ("picking_type_code", "=", "incoming"),
                                                    ("state", "=", "done")])  # fmt: skip
        self.assertEqual(len(receipt.move_line_ids.lot_id), 2)
        self.assertTrue(all(receipt.move_line_ids.lot_id.mapped("expiration_date")))
        charge = self.env["account.analytic.line"].search([("name", "=", "Central line insertion")])
        self.assertEqual(charge.amount, 850.0)
        # played again the same day: duplicates, nothing new
        again = sender.run(
            self.base_url(), secret=SPEC_SECRET, db=self.env.cr.dbname,
            login=user.login, password=user.login, out=printed.append,
        )  # fmt: skip
        self.assertEqual({status for _label, status in again}, {200})
