"""The same rejected payer is one cause on the exception desk (issue 11 §1): remittances,
payments and billing batches failing on a payer that is unknown, pending or mapped as
ignored group by ``payer:<backend>:<payer code>``; mapping the payer once re-queues all."""

import xmlrpc.client

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import mute_logger

from .test_receivables_tieout import TieOutCase, build_835


class PayerCauseCase(TieOutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Group = cls.env["hc.integration.exception.group"]
        cls.gamma = cls.env["res.partner"].create({"name": "Gamma Mutual", "is_company": True})

    def receive_remittances(self, payer, count, prefix="EFT7"):
        """``count`` real 835 files of ``payer``, each with its own trace and claims."""
        for index in range(count):
            claims = (("PCN-%s%02d" % (prefix, index), "100.00", "80.00", [("CO", "45", "20.00")]),)
            self.receive_835(build_835(f"{prefix}{index:03d}", claims, payer=payer))
        self.process()

    def key(self, flow, code):
        return f"payer:{flow.backend_id.id}:{code}"

    def groups(self, flow):
        return self.Group.search([("flow_id", "=", flow.id)])

    def payer_mapping(self, backend, code):
        return self.env["hc.integration.mapping"].search(
            [
                ("backend_id", "=", backend.id),
                ("mapping_type", "=", "payer"),
                ("external_code", "=", code),
            ]
        )


@tagged("post_install", "-at_install")
class TestRejectedPayerCause(PayerCauseCase):
    def test_twenty_remittances_of_an_unknown_payer_are_one_group(self):
        self.receive_remittances("PAYER77", 20)
        group = self.groups(self.flow_835)
        self.assertEqual(group.mapped("cause_key"), [self.key(self.flow_835, "PAYER77")])
        self.assertEqual(group.exception_count, 20)
        self.assertEqual(group.category, "mapping")
        # map once: the group's mapping is the payer's, and saving it re-queues all 20
        action = group.action_map_value()
        mapping = self.env["hc.integration.mapping"].browse(action["res_id"])
        self.assertEqual((mapping.mapping_type, mapping.external_code), ("payer", "PAYER77"))
        mapping.write({"target_ref": f"res.partner,{self.gamma.id}"})
        self.assertFalse(self.groups(self.flow_835), "every exception of the group resolved")
        self.process()
        remittances = self.Remittance.search([("payer_id", "=", self.gamma.id)])
        self.assertEqual(len(remittances), 20)
        self.assertEqual(set(remittances.message_id.mapped("state")), {"done"})

    def test_unknown_then_rejected_payer_stays_one_cause(self):
        self.receive_remittances("PAYER77", 3)
        key = self.key(self.flow_835, "PAYER77")
        self.assertEqual(self.groups(self.flow_835).mapped("cause_key"), [key])
        # the resolver rejects the payer: its remittances fail again, on the same cause
        mapping = self.payer_mapping(self.flow_835.backend_id, "PAYER77")
        mapping.action_ignore()
        self.process()
        group = self.groups(self.flow_835)
        self.assertEqual(group.mapped("cause_key"), [key])
        self.assertEqual((group.exception_count, group.category), (3, "validation"))
        exceptions = group._get_exceptions()
        self.assertEqual(set(exceptions.mapped("res_model")), {"hc.integration.mapping"})
        self.assertEqual(set(exceptions.mapped("res_id")), {mapping.id})
        self.assertIn("marked as ignored", exceptions[0].description)
        # mapping the rejected payer once re-queues all of them too
        mapping.write({"target_ref": f"res.partner,{self.gamma.id}"})
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})
        self.assertFalse(self.groups(self.flow_835))
        self.process()
        self.assertEqual(len(self.Remittance.search([("payer_id", "=", self.gamma.id)])), 3)

    def test_rejected_payer_of_payments_and_billing_batches(self):
        mapping = self.payer_mapping(self.billing, "PAYER02")
        mapping.action_ignore()
        key = self.key(self.flows["payment_posted"], "PAYER02")
        for index in range(2):
            body = {
                "payment_id": f"PAY-R{index}",
                "payer_code": "PAYER02",
                "amount": "10.00",
                "currency": self.company.currency_id.name,
                "received_on": "2026-03-05",
                "method": "ach",
                "trace_number": f"EFTR{index}",
            }
            message, _status = self.event("payment_posted", body)
            self.assertEqual(message.state, "exception")
        self.assertEqual(self.groups(self.flows["payment_posted"]).mapped("cause_key"), [key])
        self.assertEqual(self.groups(self.flows["payment_posted"]).exception_count, 2)
        body = {
            "batch_id": "B-R",
            "facility_code": "MAIN",
            "service_date": "2026-03-01",
            "currency": self.company.currency_id.name,
            "lines": [
                {
                    "service_line_code": "LAB",
                    "gross_charges": "100.00",
                    "contractual_adjustments": "0",
                    "payer_code": "PAYER02",
                }
            ],
            "control_total": "100.00",
        }
        message, _status = self.event("billing_summary", body, schema_version="1.1")
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.exception_ids.cause_key, key, "same backend, same payer")
        mapping.write({"target_ref": f"res.partner,{self.payer2.id}"})
        self.process()
        self.assertEqual(message.state, "done")
        self.assertFalse(self.groups(self.flows["payment_posted"]))

    def test_other_causes_keep_their_keys(self):
        self.receive_remittances("PAYER77", 2)
        # a remittance that does not balance, from a mapped payer
        file_message, _status = self.post_835("remit_unbalanced.835")
        unbalanced = self.children(file_message).exception_ids
        self.assertTrue(unbalanced)
        self.assertEqual(
            set(unbalanced.mapped("cause_key")), {f"error:validation:{self.flow_835.id}"}
        )
        # a billing batch with a service line nobody mapped
        body = {
            "batch_id": "B-X",
            "facility_code": "MAIN",
            "service_date": "2026-03-01",
            "currency": self.company.currency_id.name,
            "lines": [
                {
                    "service_line_code": "XRAY",
                    "gross_charges": "100.00",
                    "contractual_adjustments": "0",
                    "payer_code": "PAYER01",
                }
            ],
            "control_total": "100.00",
        }
        message, _status = self.event("billing_summary", body, schema_version="1.1")
        self.assertEqual(message.exception_ids.cause_key, "mapping:service_line:XRAY")
        keys = self.groups(self.flow_835).mapped("cause_key")
        self.assertEqual(
            sorted(keys),
            sorted([self.key(self.flow_835, "PAYER77"), f"error:validation:{self.flow_835.id}"]),
        )


@tagged("post_install", "-at_install")
class TestRejectedPayerOverRpc(PayerCauseCase, HttpCase):
    """Over XML-RPC as each user: a revenue-cycle resolver of the company sees the payer's
    group and maps the payer once; an ordinary user and a resolver of another company can
    do neither, and nothing is re-queued by their attempts."""

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule", "odoo.http")
    def test_map_the_payer_over_rpc(self):
        self.receive_remittances("PAYER77", 3)
        mapping = self.payer_mapping(self.flow_835.backend_id, "PAYER77")
        other_company = self.env["res.company"].create({"name": "Other clinic"})
        users = {
            "payer_plain": new_test_user(self.env, login="payer_plain", groups="base.group_user"),
            "payer_rcm": new_test_user(
                self.env,
                login="payer_rcm",
                groups="healthcare_rcm_sync.group_rcm_resolver",
                company_id=self.company.id,
                company_ids=[self.company.id],
            ),
            "payer_other": new_test_user(
                self.env,
                login="payer_other",
                groups="healthcare_rcm_sync.group_rcm_resolver",
                company_id=other_company.id,
                company_ids=[other_company.id],
            ),
        }

        def rpc(login, model, method, *args, **kwargs):
            return self.xmlrpc_object.execute_kw(
                get_db_name(), users[login].id, login, model, method, list(args), kwargs
            )

        target = {"target_ref": f"res.partner,{self.gamma.id}"}
        for login in ("payer_plain", "payer_other"):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                rpc(login, "hc.integration.mapping", "write", mapping.ids, target)
            self.assertRegex(caught.exception.faultString, "not allowed|doesn't have 'read' access")
        self.assertEqual(mapping.state, "pending")
        self.assertEqual(self.groups(self.flow_835).exception_count, 3, "nothing re-queued")
        rows = rpc(
            "payer_rcm",
            "hc.integration.exception.group",
            "search_read",
            [("cause_key", "=", self.key(self.flow_835, "PAYER77"))],
            ["exception_count", "mapping_id"],
        )
        self.assertEqual(
            [(row["exception_count"], row["mapping_id"][0]) for row in rows], [(3, mapping.id)]
        )
        rpc("payer_rcm", "hc.integration.mapping", "write", mapping.ids, target)
        self.assertFalse(self.groups(self.flow_835))
        self.process()
        self.assertEqual(len(self.Remittance.search([("payer_id", "=", self.gamma.id)])), 3)
