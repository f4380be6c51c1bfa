"""TR3 strictness of the 835 parser (issue 10 item 9) and value-free issue texts (issue 9
item 8): element lengths, exact sums, notification payments, the claim rule with service
lines, a terminator at the start of the next line, and no echo of the file's values.

Pure-Python cases (Odoo's ``BaseCase``), no database; the faults are derived from
``remit_basic.835`` (segment positions in ``test_x12_835``).
"""

import json
from decimal import Decimal

from odoo.tests import BaseCase

from ..tools import x12_835
from ..tools.x12_835_balance import balance_issues
from .test_x12_835 import fixture, only, replace_once

D = Decimal
#: Values planted in the wrong elements: a patient name, a member id, a date of birth.
PLANTED = ("JANEDOE", "W555443322", "19710304")


def all_texts(result):
    """Every issue text of a parse result: messages, ``str()`` and JSON forms."""
    issues = list(result.errors) + [i for t in result.transactions for i in t.errors]
    return [str(i) for i in issues] + [json.dumps(i.to_dict()) for i in issues]


class TestElementLengths(BaseCase):
    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")

    def test_amount_of_19_digits_is_an_error_18_is_not(self):
        ok = replace_once(self.basic, "AMT*AU*150.00", "AMT*AU*-9999999999999999.99")
        self.assertTrue(x12_835.parse(ok).transactions[0].valid, "18 digits, sign not counted")
        text = replace_once(self.basic, "AMT*AU*150.00", "AMT*AU*99999999999999999.99")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (28, "AMT", "invalid_amount")
        )
        self.assertEqual(issue.message, "AMT02 is longer than the 18 digits an amount allows")

    def test_quantity_of_16_digits_is_an_error(self):
        text = replace_once(self.basic, "200.00*130.00**1~", "200.00*130.00**1234567890123456~")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.position, issue.code), (29, "invalid_number"))
        self.assertIn("SVC05", issue.message)

    def test_two_28_digit_amounts_are_rejected_not_balanced(self):
        big = "9999999999999999999999999999"
        text = replace_once(self.basic, "BPR*I*172.50*", "BPR*I*10000000000000000000000000000*")
        text = replace_once(text, "CLP*PCN002*2*80.00*50.00", f"CLP*PCN002*2*{big}*{big}")
        remittance = x12_835.parse(text).transactions[0]
        self.assertFalse(remittance.valid)
        codes = {(i.segment_id, i.message) for i in remittance.errors}
        self.assertIn(("CLP", "CLP03 is longer than the 18 digits an amount allows"), codes)
        self.assertIn(("CLP", "CLP04 is longer than the 18 digits an amount allows"), codes)

    def test_json_amounts_have_the_same_limit(self):
        data = x12_835.parse(self.basic).transactions[0].to_dict()
        data["claims"][1]["paid"] = "1234567890123456789.00"
        issues = x12_835.validate_json(data)
        self.assertIn("invalid_amount", {i.code for i in issues})
        self.assertFalse(any("1234567890" in i.message for i in issues))


class TestExactSums(BaseCase):
    """Balancing never rounds: the default 28-digit context would make this one balance."""

    def test_sum_that_the_default_context_rounds_is_not_balanced(self):
        claims = [
            x12_835.Claim(
                "A", "1", D("9999999999999999999999999999"), D("9999999999999999999999999999")
            ),
            x12_835.Claim("B", "1", D("0.99"), D("0.99")),
        ]
        remittance = x12_835.Remittance(
            payment=x12_835.Payment("I", D("10000000000000000000000000000"), "C"), claims=claims
        )
        # what plain Decimal arithmetic says: "balanced" (this is the rounding guarded against)
        self.assertEqual(claims[0].paid + claims[1].paid, remittance.payment.amount)
        issue = only(balance_issues(remittance))
        self.assertEqual(issue.code, "balance.payment")
        self.assertEqual(issue.difference, D("0.01"))
        self.assertEqual(remittance.totals()["difference"], D("0.01"))


class TestTr3Rules(BaseCase):
    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")

    def test_notification_with_a_payment_amount_is_an_error(self):
        text = replace_once(self.basic, "BPR*I*172.50*", "BPR*H*172.50*")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.position, issue.segment_id), (4, "BPR"))
        self.assertEqual(issue.code, "rule.notification_amount")
        self.assertIn("BPR02 must be 0 when BPR01 is H", issue.message)

    def test_notification_without_payment_is_valid(self):
        text = replace_once(self.basic, "BPR*I*172.50*", "BPR*H*0*")
        text = replace_once(text, "CLP*PCN002*2*80.00*50.00", "CLP*PCN002*2*80.00*0")
        text = replace_once(text, "CAS*OA*23*30.00", "CAS*OA*23*80.00")
        text = replace_once(
            text,
            "PLB*1234567893*20261231*WO:ABC123*10.00*L6:PCN002*-2.50~",
            "PLB*1234567893*20261231*WO:ABC123*130.00~",
        )
        remittance = x12_835.parse(text).transactions[0]
        self.assertEqual(remittance.errors, [])

    def test_claim_paid_must_equal_service_lines_paid_minus_claim_cas(self):
        # CLP03 - (claim CAS 50 + service CAS 20) = 130 = CLP04 and SVC02 150 - 20 = SVC03 130:
        # the older rules hold, but CLP04 130 != sum of SVC03 130 - claim-level CAS 50.
        text = replace_once(
            self.basic, "SVC*HC:99213:25*200.00*130.00", "SVC*HC:99213:25*150.00*130.00"
        )
        text = replace_once(text, "CAS*CO*45*50.00~\nCAS*PR*2*20.00~", "CAS*PR*2*20.00~")
        text = replace_once(text, "MOA***N130~", "MOA***N130~\nCAS*CO*45*50.00~")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.position, issue.segment_id), (18, "CLP"))
        self.assertEqual(issue.code, "balance.claim_services")
        self.assertEqual((issue.expected, issue.actual), (D(80), D(130)))
        self.assertIn("CLP04 = sum of SVC03 - claim-level CAS", issue.message)

    def test_claims_without_service_lines_are_not_checked_against_them(self):
        self.assertTrue(x12_835.parse(self.basic).transactions[0].valid)  # PCN002 has no SVC


class TestTerminatorAtLineStart(BaseCase):
    def test_tilde_at_the_start_of_each_line_gets_a_clear_message(self):
        segments = fixture("remit_basic.835").strip().removesuffix("~").split("~\n")
        text = "\n~".join(segments)  # ISA ... :\n~GS ... \n~ST ...
        with self.assertRaises(x12_835.X12ParseError) as caught:
            x12_835.parse(text)
        message = str(caught.exception)
        self.assertNotIn("truncated", message)
        self.assertIn("segment 2", message)
        self.assertIn("the terminator must end each segment", message)
        self.assertNotIn("PAYERAPP", message)  # the segment itself is not echoed


class TestValueFreeTexts(BaseCase):
    """Values planted where codes, amounts, dates or ids belong never come back in a text."""

    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")

    def assert_no_planted(self, texts):
        self.assertTrue(texts, "the fault should be reported")
        for text in texts:
            for value in PLANTED + ("DOE", "W123456789", "20260210"):
                self.assertNotIn(value, text)

    def test_planted_values_in_wrong_elements(self):
        for old, new in (
            ("CLP*PCN002*2*80.00*50.00", "CLP*PCN002*W555443322*80.00*JANEDOE"),
            ("CAS*OA*23*30.00", "CAS*JANEDOE*W555443322*30.00*19710304"),
            ("BPR*I*172.50*C*ACH", "BPR*JANEDOE*172.50*W555443322*19710304"),
            ("5550002222*20260301", "5550002222*19711340"),
            ("SVC*HC:99213:25", "SVC*JANEDOE"),
            ("DTM*050*20260220", "DTM*050*JANEDOE"),
            ("N1*PE*CITY CLINIC", "N1*JANEDOE*CITY CLINIC"),
            ("NM1*82*1*SMITH", "NM1*W555443322*1*SMITH"),
            ("MOA***N130", "JANEDOE*W555443322"),
            ("SE*39*0001", "SE*19710304*W555443322"),
            ("GE*1*101", "GE*JANEDOE*W555443322"),
            ("IEA*1*000000101", "IEA*19710304*JANEDOE"),
            ("ST*835*0001*005010X221A1", "ST*JANEDOE*0001*W555443322"),
        ):
            with self.subTest(new):
                self.assert_no_planted(all_texts(x12_835.parse(replace_once(self.basic, old, new))))

    def test_unreadable_files_do_not_echo_their_content(self):
        for data in (
            "JANEDOE,W555443322,19710304\n",
            self.basic.replace("IEA*1*000000101~\n", "JANEDOE*W555443322~\n"),
        ):
            with self.subTest(data[:10]), self.assertRaises(x12_835.X12ParseError) as caught:
                x12_835.parse(data)
            self.assert_no_planted([str(caught.exception), caught.exception.message])

    def test_json_texts(self):
        data = x12_835.parse(self.basic).transactions[0].to_dict()
        data["claims"][0]["status"] = "JANEDOE"
        data["claims"][0]["paid"] = "W555443322"
        data["claims"][0]["received_date"] = "19710304"
        data["header"]["payment"]["currency"] = "JANEDOE"
        data["claims"][1]["charged"] = {"name": "JANEDOE"}
        self.assert_no_planted([str(i) for i in x12_835.validate_json(data)])
