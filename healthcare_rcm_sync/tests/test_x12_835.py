"""Tests of the pure-Python X12 835 parser (healthcare_rcm_sync/tools/x12_835.py).

Pure-Python cases (Odoo's ``BaseCase``, so that Odoo's runner sees them too): they need no
database. Fixtures are small hand-written 835 files in ``fixtures/``; unusual delimiters,
line-break styles and single-fault variants are derived from them in code so that each test
changes exactly one thing.

Segment positions in ``remit_basic.835`` (1-based, used by the assertions below): 1 ISA, 2 GS,
3 ST, 4 BPR, 5 TRN, 7 N1*PR, 12 N1*PE, 16 LX, 18 CLP PCN001, 29 SVC, 36 CLP PCN002, 37 CAS,
40 PLB, 41 SE, 42 GE, 43 IEA.
"""

import json
import random
import re
import tracemalloc
import types
from decimal import Decimal
from pathlib import Path

from odoo.tests import BaseCase

from ..tools import x12_835
from ..tools.x12_reader import Delimiters, X12Reader

FIXTURES = Path(__file__).resolve().parent / "fixtures"
D = Decimal


def fixture(name):
    """The fixture's bytes decoded as text (fixtures are ASCII)."""
    return (FIXTURES / name).read_bytes().decode("ascii")


def replace_once(text, old, new):
    """Replace ``old`` by ``new``, failing loudly if ``old`` is not there exactly once."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def with_delimiters(text, element, repetition, component, terminator, between=None):
    """Re-delimit a fixture written with ``*``, ``^``, ``:`` and ``~`` + LF.

    ``between`` is what goes between two segments (default: the terminator alone); it may add
    line breaks around the terminator, e.g. ``"\r\n"`` for an LF terminator in a CRLF file.
    """
    segments = text.split("~\n")
    for new, old in ((element, "*"), (repetition, "^"), (component, ":"), (terminator, "~")):
        assert new == old or all(new not in s for s in segments), f"{new!r} occurs in the fixture"
    table = str.maketrans({"*": element, "^": repetition, ":": component})
    return (between or terminator).join(segment.translate(table) for segment in segments)


def only(items):
    """The single item of ``items``."""
    assert len(items) == 1, items
    return items[0]


class TestDelimitersAndLineBreaks(BaseCase):
    """Delimiters come from the ISA; line breaks and a BOM do not matter."""

    def setUp(self):
        super().setUp()
        self.text = fixture("remit_basic.835")
        self.expected = x12_835.parse(self.text.encode("ascii")).transactions[0].to_dict()

    def test_basic_fixture(self):
        result = x12_835.parse((FIXTURES / "remit_basic.835").read_bytes())
        self.assertTrue(result.valid)
        self.assertEqual(result.segment_count, 43)
        self.assertEqual(result.interchange_count, 1)
        remittance = only(result.transactions)
        self.assertEqual(remittance.control_number, "0001")
        self.assertEqual(remittance.position, 3)
        self.assertEqual(remittance.errors, [])
        self.assertEqual(remittance.payment.amount, D("172.50"))
        self.assertEqual([c.claim_id for c in remittance.claims], ["PCN001", "PCN002"])
        self.assertEqual(self.expected["totals"]["difference"], "0.00")

    def test_delimiter_variants(self):
        variants = {
            "pipe, caret, greater-than, LF-terminated": ("|", "^", ">", "\n", "\n"),
            # The character after ISA16 is then CR: it acts as the terminator, LF as a line break.
            "pipe, line-terminated CRLF file": ("|", "^", ">", "\r", "\r\n"),
            "bang, braces, apostrophe, no line breaks": ("!", "{", "}", "'", "'"),
            "control characters and CRLF": ("\x1d", "\x1e", "\x1f", "\x1c", "\x1c\r\n"),
        }
        for label, (element, repetition, component, terminator, between) in variants.items():
            with self.subTest(label):
                text = with_delimiters(
                    self.text, element, repetition, component, terminator, between
                )
                self.assertNotIn("*", text)
                reader = X12Reader(text)
                self.assertEqual(
                    reader.delimiters, Delimiters(element, repetition, component, terminator)
                )
                result = x12_835.parse(text)
                self.assertEqual(result.segment_count, 43)
                self.assertTrue(result.valid, [str(e) for e in result.transactions[0].errors])
                self.assertEqual(result.transactions[0].to_dict(), self.expected)

    def test_default_delimiters_read_from_isa(self):
        self.assertEqual(X12Reader(self.text).delimiters, Delimiters("*", "^", ":", "~"))

    def test_line_break_styles(self):
        for label, separator in {
            "none": "~",
            "LF": "~\n",
            "CRLF": "~\r\n",
            "CR": "~\r",
            "blank lines": "~\n\n",
        }.items():
            with self.subTest(label):
                text = self.text.replace("~\n", separator)
                result = x12_835.parse(text.encode("ascii"))
                self.assertEqual(result.segment_count, 43)
                self.assertEqual(result.transactions[0].to_dict(), self.expected)

    def test_lf_terminator_with_carriage_returns(self):
        # ISA16 is followed by LF, so LF terminates segments; the CRs before it are line breaks.
        isa, rest = with_delimiters(self.text, "|", "^", ">", "\n").split("\n", 1)
        text = isa + "\n" + rest.replace("\n", "\r\n")
        self.assertEqual(X12Reader(text).delimiters.segment, "\n")
        result = x12_835.parse(text)
        self.assertEqual(result.segment_count, 43)
        self.assertEqual(result.transactions[0].to_dict(), self.expected)

    def test_byte_order_mark(self):
        for data in (b"\xef\xbb\xbf" + self.text.encode("ascii"), "\ufeff" + self.text):
            with self.subTest(type(data).__name__):
                result = x12_835.parse(data)
                self.assertTrue(result.valid)
                self.assertEqual(result.transactions[0].to_dict(), self.expected)

    def test_reader_is_lazy(self):
        reader = X12Reader(self.text)
        segments = iter(reader)
        self.assertIsInstance(segments, types.GeneratorType)
        position, elements = next(segments)
        self.assertEqual((position, elements[0], elements[13]), (1, "ISA", "000000101"))
        position, elements = next(segments)
        self.assertEqual((position, elements[:3]), (2, ["GS", "HP", "PAYERAPP"]))
        self.assertEqual(reader.segment_count, 2)  # nothing beyond the second segment was read


class TestEnvelopes(BaseCase):
    """Several interchanges, groups and transactions; control numbers and counts."""

    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")
        self.multi = fixture("remit_multi.835")

    def test_multi_interchange_file(self):
        result = x12_835.parse(self.multi.encode("ascii"))
        self.assertEqual(result.interchange_count, 2)
        self.assertEqual(result.segment_count, 38)
        self.assertEqual(result.errors, [])
        self.assertEqual([t.position for t in result.transactions], [3, 12, 26])
        self.assertEqual([t.control_number for t in result.transactions], ["0001", "0002", "0001"])
        self.assertEqual([t.valid for t in result.transactions], [True, False, True])
        self.assertEqual(
            [
                (t.envelope.interchange_control_number, t.envelope.group_control_number)
                for t in result.transactions
            ],
            [("000000201", "201"), ("000000201", "201"), ("000000202", "301")],
        )
        self.assertFalse(result.valid)
        self.assertEqual(len(result.valid_transactions), 2)

    def test_unbalanced_transaction_next_to_balanced_one(self):
        result = x12_835.parse(self.multi)
        balanced, unbalanced, _ = result.transactions
        self.assertEqual(balanced.errors, [])
        self.assertEqual(balanced.payment.amount, D("95.00"))
        issue = only(unbalanced.errors)
        self.assertEqual((issue.position, issue.segment_id), (13, "BPR"))
        self.assertEqual(issue.code, "balance.payment")
        self.assertEqual((issue.expected, issue.actual, issue.difference), (D(90), D(100), D(10)))
        self.assertIn("difference 10.00", issue.message)
        self.assertEqual(unbalanced.to_dict()["totals"]["difference"], "10.00")

    def test_second_interchange_uses_its_own_delimiters(self):
        remittance = x12_835.parse(self.multi).transactions[2]
        self.assertTrue(remittance.valid, remittance.errors)
        service = only(only(remittance.claims).services)
        self.assertEqual(
            service.procedure.to_dict(),
            {"qualifier": "HC", "code": "97110", "modifiers": ["GP", "59"]},
        )
        self.assertEqual(service.units, D(2))
        self.assertEqual(only(service.adjustments).quantity, D(2))
        plb = only(remittance.provider_adjustments)
        self.assertEqual((plb.reason, plb.reference, plb.amount), ("WO", "XYZ9", D("2.00")))

    def test_se_segment_count_mismatch(self):
        result = x12_835.parse(replace_once(self.basic, "SE*39*0001", "SE*38*0001"))
        issue = only(result.transactions[0].errors)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (41, "SE", "envelope.se_count")
        )
        self.assertNotIn("38", issue.message)  # the file's value is not echoed
        self.assertIn("SE01 segment count does not match the 39 segments", issue.message)
        self.assertEqual(result.errors, [])

    def test_se_control_number_mismatch(self):
        result = x12_835.parse(replace_once(self.basic, "SE*39*0001", "SE*39*0002"))
        issue = only(result.transactions[0].errors)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (41, "SE", "envelope.control_number")
        )
        self.assertEqual(issue.message, "SE02 control number does not match ST02")

    def test_ge_transaction_count_rejects_the_group_only(self):
        result = x12_835.parse(replace_once(self.multi, "GE*2*201", "GE*3*201"))
        issue = only(result.errors)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (22, "GE", "envelope.ge_count")
        )
        first, second, other = result.transactions
        self.assertIn(issue, first.errors)
        self.assertIn(issue, second.errors)
        self.assertFalse(first.valid)
        self.assertTrue(other.valid)

    def test_ge_control_number_mismatch(self):
        result = x12_835.parse(replace_once(self.basic, "GE*1*101", "GE*1*102"))
        issue = only(result.errors)
        self.assertEqual((issue.position, issue.code), (42, "envelope.control_number"))
        self.assertEqual(result.transactions[0].errors, [issue])

    def test_iea_group_count_and_control_number(self):
        text = replace_once(self.basic, "IEA*1*000000101", "IEA*2*000000999")
        result = x12_835.parse(text)
        self.assertEqual(
            [(e.position, e.segment_id, e.code) for e in result.errors],
            [(43, "IEA", "envelope.iea_count"), (43, "IEA", "envelope.control_number")],
        )
        self.assertEqual(len(result.transactions[0].errors), 2)

    def test_missing_se_rejects_only_that_transaction(self):
        text = replace_once(self.multi, "SE*9*0001~\n", "")
        result = x12_835.parse(text)
        first, second, third = result.transactions
        issue = only(first.errors)
        self.assertEqual((issue.position, issue.code), (11, "envelope.missing_se"))
        self.assertEqual(second.to_dict()["totals"]["difference"], "10.00")
        self.assertTrue(third.valid)

    def test_segment_outside_transaction(self):
        text = replace_once(self.basic, "SE*39*0001~\n", "SE*39*0001~\nREF*EV*STRAY~\n")
        result = x12_835.parse(text)
        issue = only(result.errors)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (42, "REF", "envelope.outside")
        )
        self.assertTrue(result.transactions[0].valid)
        self.assertFalse(result.valid)

    def test_duplicate_transaction_control_number_in_group(self):
        text = self.multi.replace("*0002", "*0001")
        result = x12_835.parse(text)
        issue = only([e for e in result.transactions[1].errors if e.code.startswith("envelope")])
        self.assertEqual((issue.position, issue.code), (12, "envelope.duplicate_control_number"))

    def test_other_transaction_set_is_rejected(self):
        text = replace_once(self.basic, "ST*835*0001", "ST*837*0001")
        remittance = x12_835.parse(text).transactions[0]
        self.assertEqual([e.code for e in remittance.errors], ["unsupported_transaction"])
        self.assertEqual(remittance.claims, [])

    def test_non_ascii_digits_in_counts(self):
        text = replace_once(self.basic, "SE*39*0001", "SE*3\u0669*0001")  # Arabic-Indic nine
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.position, issue.code), (41, "envelope.se_count"))

    def test_version_4010_interchange_is_read_but_rejected(self):
        # In 004010, ISA11 is the standards identifier "U", not a repetition separator.
        text = replace_once(self.basic, "*1200*^*00501*", "*1200*U*00401*")
        text = text.replace("005010X221A1", "004010X091A1")
        self.assertIsNone(X12Reader(text).delimiters.repetition)
        result = x12_835.parse(text)
        issue = only(result.transactions[0].errors)
        self.assertEqual((issue.position, issue.code), (3, "unsupported_version"))
        self.assertIn("005010X221A1", issue.message)

    def test_other_implementation_guide_is_rejected(self):
        text = replace_once(self.basic, "ST*835*0001*005010X221A1", "ST*835*0001*004010X091A1")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.position, issue.code), (3, "unsupported_version"))


class TestFatalInput(BaseCase):
    """Unreadable input raises X12ParseError with a position, never a bare exception."""

    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")

    def assert_fatal(self, data, position, *fragments):
        with self.assertRaises(x12_835.X12ParseError) as caught:
            x12_835.parse(data)
        self.assertIs(type(caught.exception), x12_835.X12ParseError)
        self.assertEqual(caught.exception.position, position)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        return caught.exception

    def test_truncated_before_iea(self):
        text = self.basic[: self.basic.index("IEA*")]
        error = self.assert_fatal(text, 42, "truncated", "IEA")
        self.assertEqual(error.segment_id, "GE")

    def test_truncated_inside_a_segment(self):
        text = self.basic[: self.basic.index("CLP*PCN002") + 14]
        self.assert_fatal(text.encode("ascii"), 36, "truncated")

    def test_garbage(self):
        for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "hello, world", b"{'a': 1}"):
            with self.subTest(data=data):
                self.assert_fatal(data, 1, "not an X12 interchange")

    def test_empty(self):
        for data in (b"", "  \r\n", b"\xef\xbb\xbf"):
            with self.subTest(data=data):
                self.assert_fatal(data, None, "empty input")

    def test_short_isa(self):
        self.assert_fatal(self.basic[:80], 1, "truncated", "106")

    def test_isa_not_fixed_width(self):
        text = replace_once(self.basic, "*PAYERSENDER    *", "*PAYERSENDER*")
        self.assert_fatal(text, 1, "fixed-width", "ISA")

    def test_isa_with_duplicate_delimiters(self):
        text = replace_once(self.basic, "*00501*000000101*0*P*:~", "*00501*000000101*0*P*~~")
        self.assert_fatal(text, 1, "distinct")

    def test_missing_iea_between_interchanges(self):
        text = replace_once(fixture("remit_multi.835"), "IEA*1*000000201~\n", "")
        self.assert_fatal(text, 23, "not closed by an IEA")

    def test_wrong_type(self):
        self.assert_fatal(12345, None, "bytes or str")

    def test_random_corruption_never_leaks_another_exception(self):
        # Deterministic: the same 600 corrupted variants on every run.
        rng = random.Random(835)
        texts = (self.basic, fixture("remit_multi.835"))
        alphabet = "*~:^|>\n\r0123456789.-ACZ \u00b2\u0663\x00\u00e9"
        outcomes = {"parsed": 0, "fatal": 0}
        for _ in range(600):
            chars = list(rng.choice(texts))
            for _ in range(rng.randint(1, 5)):
                index = rng.randrange(len(chars))
                operation = rng.randrange(3)
                if operation == 0:
                    chars[index] = rng.choice(alphabet)
                elif operation == 1:
                    del chars[index]
                else:
                    chars.insert(index, rng.choice(alphabet))
            try:
                result = x12_835.parse("".join(chars))
            except x12_835.X12ParseError as error:
                self.assertTrue(error.message)
                outcomes["fatal"] += 1
                continue
            outcomes["parsed"] += 1
            for remittance in result.transactions:
                json.dumps(remittance.to_dict())
                self.assertTrue(all(isinstance(e.position, int) for e in remittance.errors))
        self.assertGreater(outcomes["parsed"], 100)
        self.assertGreater(outcomes["fatal"], 10)


class TestRemittanceContent(BaseCase):
    """Header, claims, service lines, adjustments and PLB are read into the right places."""

    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")
        self.remittance = x12_835.parse(self.basic).transactions[0]

    def test_header(self):
        header = self.remittance.to_dict()["header"]
        self.assertEqual(
            header["payment"],
            {
                "handling_code": "I",
                "amount": "172.50",
                "credit_debit": "C",
                "method": "ACH",
                "date": "2026-03-01",
                "currency": "USD",
            },
        )
        self.assertEqual(header["trace"], {"number": "EFT0001", "originator": "1512345678"})
        self.assertEqual(header["payer"], {"id": "PAYER01", "name": "ACME HEALTH PLAN"})
        self.assertEqual(
            header["payee"],
            {
                "id_qualifier": "XX",
                "id": "1234567893",
                "name": "CITY CLINIC",
                "npi": "1234567893",
                "tax_id": "123456789",
            },
        )
        self.assertEqual(header["production_date"], "2026-02-27")
        self.assertEqual(header["envelope"]["implementation"], "005010X221A1")

    def test_currency_and_payer_id_fallback(self):
        text = replace_once(
            self.basic, "TRN*1*EFT0001*1512345678~\n", "TRN*1*EFT0001*1512345678~\nCUR*PR*CAD~\n"
        )
        text = replace_once(text, "N1*PR*ACME HEALTH PLAN*XV*PAYER01", "N1*PR*ACME HEALTH PLAN")
        text = replace_once(text, "SE*39*0001", "SE*40*0001")
        remittance = x12_835.parse(text).transactions[0]
        self.assertTrue(remittance.valid, remittance.errors)
        self.assertEqual(remittance.payment.currency, "CAD")
        self.assertEqual(remittance.payer.id, "ACME835")  # REF*2U

    def test_claims(self):
        first, second = self.remittance.to_dict()["claims"]
        self.assertEqual(
            {key: first[key] for key in ("claim_id", "status", "charged", "paid")},
            {"claim_id": "PCN001", "status": "1", "charged": "200.00", "paid": "130.00"},
        )
        self.assertEqual(first["patient_responsibility"], "20.00")
        self.assertEqual(first["payer_claim_control_number"], "ICN0001")
        self.assertEqual((first["filing_indicator"], first["facility_code"]), ("12", "11"))
        self.assertEqual(first["rendering_provider"], {"id_qualifier": "XX", "id": "1987654325"})
        self.assertEqual(first["received_date"], "2026-02-20")
        self.assertEqual(first["remarks"], ["N130"])
        self.assertEqual(first["amounts"], {"AU": "150.00"})
        self.assertEqual(second["status"], x12_835.CLAIM_STATUS_SECONDARY)
        self.assertIsNone(second["patient_responsibility"])

    def test_claim_level_and_service_level_cas(self):
        first, second = self.remittance.claims
        self.assertEqual(first.adjustments, [])
        service = only(first.services)
        self.assertEqual(
            [(a.group, a.reason, a.amount) for a in service.adjustments],
            [("CO", "45", D("50.00")), ("PR", "2", D("20.00"))],
        )
        self.assertEqual(
            [(a.group, a.reason, a.amount) for a in second.adjustments],
            [("OA", "23", D("30.00"))],
        )
        self.assertEqual(second.services, [])

    def test_cas_with_several_triples(self):
        text = replace_once(self.basic, "CAS*OA*23*30.00~", "CAS*OA*23*25.00**94*5.00*2~")
        remittance = x12_835.parse(text).transactions[0]
        self.assertTrue(remittance.valid, remittance.errors)
        self.assertEqual(
            [a.to_dict() for a in remittance.claims[1].adjustments],
            [
                {"group": "OA", "reason": "23", "amount": "25.00", "quantity": None},
                {"group": "OA", "reason": "94", "amount": "5.00", "quantity": "2"},
            ],
        )

    def test_service_line(self):
        service = self.remittance.claims[0].services[0].to_dict()
        self.assertEqual(
            service["procedure"], {"qualifier": "HC", "code": "99213", "modifiers": ["25"]}
        )
        self.assertEqual(
            (service["charged"], service["paid"], service["units"]), ("200.00", "130.00", "1")
        )
        self.assertEqual(service["line_control_number"], "LINE001")
        self.assertEqual(service["remarks"], ["M15"])
        self.assertEqual(service["amounts"], {"B6": "150.00"})

    def test_composite_with_four_modifiers_and_description(self):
        text = replace_once(
            self.basic,
            "SVC*HC:99213:25*200.00*130.00**1~",
            "SVC*HC:99213:25:59:LT:RT:OFFICE VISIT*200.00*130.00*0510*3*HC:99214~",
        )
        service = x12_835.parse(text).transactions[0].claims[0].services[0]
        self.assertEqual(service.procedure.modifiers, ("25", "59", "LT", "RT"))
        self.assertEqual((service.revenue_code, service.units), ("0510", D(3)))
        self.assertEqual(service.submitted_procedure.code, "99214")
        self.assertNotIn("OFFICE VISIT", json.dumps(service.to_dict()))

    def test_plb_pairs_positive_and_negative(self):
        plbs = self.remittance.provider_adjustments
        self.assertEqual(
            [(p.provider_id, p.reason, p.reference, p.amount, p.position) for p in plbs],
            [
                ("1234567893", "WO", "ABC123", D("10.00"), 40),
                ("1234567893", "L6", "PCN002", D("-2.50"), 40),
            ],
        )
        totals = self.remittance.totals()
        self.assertEqual((totals["claims_paid"], totals["plb_total"]), (D(180), D("7.50")))
        self.assertEqual(totals["expected_payment"], D("172.50"))
        self.assertEqual(plbs[0].to_dict()["fiscal_date"], "2026-12-31")

    def test_plb_sign_matters(self):
        # A positive interest adjustment would reduce the payment by 5.00 instead of raising it.
        text = replace_once(self.basic, "L6:PCN002*-2.50", "L6:PCN002*2.50")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual((issue.code, issue.position), ("balance.payment", 4))
        self.assertEqual(
            (issue.expected, issue.actual, issue.difference), (D("167.50"), D("172.50"), D(5))
        )

    def test_reversal_and_zero_pay_with_forward_balance(self):
        remittance = x12_835.parse(fixture("remit_reversal_denial.835")).transactions[0]
        self.assertTrue(remittance.valid, remittance.errors)
        self.assertEqual((remittance.payment.handling_code, remittance.payment.amount), ("H", D(0)))
        reversal, corrected = remittance.claims
        self.assertTrue(reversal.is_reversal)
        self.assertEqual(
            (reversal.status, reversal.charged, reversal.paid), ("22", D(-200), D(-150))
        )
        self.assertEqual(reversal.original_reference, "ICN0300")
        self.assertEqual(only(reversal.adjustments).amount, D(-50))
        self.assertEqual((corrected.claim_id, corrected.paid), ("PCN301", D(120)))
        plb = only(remittance.provider_adjustments)
        self.assertEqual((plb.reason, plb.reference, plb.amount), ("FB", "ICN0300", D(-30)))
        self.assertEqual(
            remittance.to_dict()["totals"],
            {
                "claim_count": 2,
                "claims_charged": "0.00",
                "claims_paid": "-30.00",
                "plb_total": "-30.00",
                "expected_payment": "0.00",
                "difference": "0.00",
            },
        )

    def test_zero_pay_without_forward_balance_does_not_balance(self):
        text = fixture("remit_reversal_denial.835")
        text = replace_once(text, "PLB*1234567893*20261231*FB:ICN0300*-30.00~\n", "")
        text = replace_once(text, "SE*14*0001", "SE*13*0001")
        issue = only(x12_835.parse(text).transactions[0].errors)
        self.assertEqual(
            (issue.code, issue.position, issue.segment_id), ("balance.payment", 4, "BPR")
        )
        self.assertEqual((issue.expected, issue.actual, issue.difference), (D(-30), D(0), D(30)))

    def test_denial(self):
        remittance = x12_835.parse(fixture("remit_reversal_denial.835")).transactions[1]
        self.assertTrue(remittance.valid, remittance.errors)
        claim = only(remittance.claims)
        self.assertTrue(claim.is_denied)
        self.assertEqual(claim.to_dict()["paid"], "0.00")
        self.assertEqual(
            [a.to_dict() for a in claim.adjustments],
            [{"group": "CO", "reason": "50", "amount": "350.00", "quantity": None}],
        )

    def test_status_constants(self):
        self.assertEqual(x12_835.CLAIM_STATUS_REVERSAL, "22")
        self.assertEqual(x12_835.CLAIM_STATUS_DENIED, "4")
        self.assertEqual(
            sorted(x12_835.CLAIM_STATUSES, key=int),
            ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"],
        )


class TestValidation(BaseCase):
    """Each fault gives one issue with its position, segment id and a readable message."""

    def setUp(self):
        super().setUp()
        self.basic = fixture("remit_basic.835")

    def issues(self, text):
        remittance = x12_835.parse(text).transactions[0]
        self.assertFalse(remittance.valid)
        return remittance.errors

    def test_non_numeric_amount(self):
        text = replace_once(self.basic, "CLP*PCN002*2*80.00*50.00", "CLP*PCN002*2*80.00*5O.00")
        issue = only(self.issues(text))  # no balancing noise from the unreadable amount
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (36, "CLP", "invalid_amount")
        )
        self.assertEqual(issue.message, "CLP04 is not a decimal number")

    def test_too_many_decimals(self):
        text = replace_once(self.basic, "BPR*I*172.50*", "BPR*I*172.500*")
        issue = only(self.issues(text))
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (4, "BPR", "invalid_amount")
        )
        self.assertIn("3 decimal places", issue.message)

    def test_amount_forms_rejected(self):
        for bad in ("1e2", "+5.00", "1,000.00", "NaN", "1_000", " 5"):
            with self.subTest(bad):
                text = replace_once(self.basic, "AMT*AU*150.00", f"AMT*AU*{bad}")
                issue = only(self.issues(text))
                self.assertEqual((issue.position, issue.code), (28, "invalid_amount"))

    def test_invalid_date(self):
        text = replace_once(self.basic, "5550002222*20260301", "5550002222*20260231")
        issue = only(self.issues(text))
        self.assertEqual((issue.position, issue.code), (4, "invalid_date"))
        self.assertEqual(issue.message, "BPR16 is not a valid calendar date")  # no date echoed

    def test_unbalanced_claim(self):
        text = replace_once(self.basic, "CLP*PCN002*2*80.00*50.00", "CLP*PCN002*2*80.00*55.00")
        text = replace_once(text, "BPR*I*172.50*", "BPR*I*177.50*")
        issue = only(self.issues(text))
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (36, "CLP", "balance.claim")
        )
        self.assertEqual((issue.expected, issue.actual, issue.difference), (D(50), D(55), D(5)))
        self.assertEqual(issue.path, "/claims/1")
        self.assertIn("'PCN002'", issue.message)
        self.assertEqual(issue.to_dict()["expected"], "50.00")

    def test_unbalanced_service_line(self):
        text = replace_once(
            self.basic, "SVC*HC:99213:25*200.00*130.00", "SVC*HC:99213:25*200.00*125.00"
        )
        issue, claim_issue = self.issues(text)
        self.assertEqual(
            (issue.position, issue.segment_id, issue.code), (29, "SVC", "balance.service")
        )
        self.assertEqual((issue.expected, issue.actual, issue.difference), (D(130), D(125), D(-5)))
        self.assertEqual(issue.path, "/claims/0/services/0")
        # the claim's CLP04 no longer equals the sum of its SVC03 either (TR3 claim rule)
        self.assertEqual((claim_issue.code, claim_issue.position), ("balance.claim_services", 18))
        self.assertEqual((claim_issue.expected, claim_issue.actual), (D(125), D(130)))

    def test_adjustment_counted_at_both_levels_unbalances_the_claim(self):
        text = replace_once(self.basic, "MOA***N130~", "MOA***N130~\nCAS*CO*45*50.00~")
        text = replace_once(text, "SE*39*0001", "SE*40*0001")
        issue, services_issue = self.issues(text)
        self.assertEqual((issue.code, issue.position), ("balance.claim", 18))
        self.assertEqual((issue.expected, issue.actual), (D(80), D(130)))
        self.assertEqual(
            (services_issue.code, services_issue.expected), ("balance.claim_services", D(80))
        )

    def test_required_segments(self):
        text = replace_once(self.basic, "TRN*1*EFT0001*1512345678~\n", "")
        text = replace_once(text, "N1*PE*CITY CLINIC*XX*1234567893~\n", "")
        text = replace_once(text, "SE*39*0001", "SE*37*0001")
        issues = self.issues(text)
        self.assertEqual(
            [(e.position, e.segment_id, e.code) for e in issues], [(3, "ST", "missing_segment")] * 2
        )
        self.assertIn("TRN", issues[0].message)
        self.assertIn("N1*PE", issues[1].message)

    def test_codes(self):
        for old, new, position in (
            ("CLP*PCN002*2*", "CLP*PCN002*99*", 36),
            ("CAS*OA*23*30.00", "CAS*XX*23*30.00", 37),
            ("BPR*I*", "BPR*Q*", 4),
        ):
            with self.subTest(new):
                issue = only(self.issues(replace_once(self.basic, old, new)))
                self.assertEqual((issue.position, issue.code), (position, "invalid_code"))

    def test_misplaced_and_unknown_segments(self):
        for old, new, position, segment_id in (
            ("DTM*405*20260227", "CAS*CO*45*1.00", 6, "CAS"),
            ("TS3*", "ZZZ*", 17, "ZZZ"),
            ("N3*100 INSURANCE WAY", "SVC*HC:1*1*1", 8, "SVC"),
        ):
            with self.subTest(new):
                issue = only(self.issues(replace_once(self.basic, old, new)))
                self.assertEqual((issue.position, issue.segment_id), (position, segment_id))
                self.assertEqual(issue.code, "unexpected_segment")

    def test_issue_str(self):
        text = replace_once(self.basic, "CLP*PCN002*2*80.00*50.00", "CLP*PCN002*2*80.00*5O.00")
        issue = only(self.issues(text))
        self.assertTrue(str(issue).startswith("segment 36 (CLP): CLP04"))


class TestMinimumNecessary(BaseCase):
    """Patient and insured names, member ids and other personal data never leave the parser."""

    PERSONAL = (
        "DOE",  # NM1*QC / NM1*IL last name
        "JANE",
        "JOHN",
        "W123456789",  # member ids (NM109)
        "W987654321",
        "ROE",
        "RICHARD",
        "M555000111",
        "MRN445566",  # REF*EA medical record number
        "GRP7788",  # REF*1L group number
        "20260210",  # statement / service dates
        "2026-02-10",
        "5550001111",  # BPR payer and payee account numbers
        "5550002222",
        "011000015",  # BPR bank routing number
        "SPRINGFIELD",  # addresses and contacts
        "INSURANCE WAY",
        "8005551234",
        "SMITH",  # rendering provider's name (the NPI is enough)
    )

    def test_to_dict_and_objects_hold_no_personal_data(self):
        remittance = x12_835.parse(fixture("remit_basic.835")).transactions[0]
        outputs = {
            "to_dict": json.dumps(remittance.to_dict()),
            "canonical": x12_835.to_canonical_json(remittance),
            "repr": repr(remittance),
        }
        for label, output in outputs.items():
            for value in self.PERSONAL:
                with self.subTest(output=label, value=value):
                    self.assertNotIn(value, output)
            # What must stay: claim ids, the payer's claim number, provider NPIs.
            for value in ("PCN001", "PCN002", "ICN0001", "1987654325", "1234567893"):
                self.assertIn(value, output)


class TestJsonForm(BaseCase):
    """The JSON equivalent: round trip, same balancing rules, allow-listed fields."""

    def setUp(self):
        super().setUp()
        self.remittance = x12_835.parse(fixture("remit_basic.835")).transactions[0]
        self.data = self.remittance.to_dict()

    def test_round_trip(self):
        remittance = x12_835.parse_835_json(self.data)
        self.assertEqual(remittance.errors, [])
        self.assertEqual(remittance.to_dict(), self.data)
        canonical = x12_835.to_canonical_json(self.remittance)
        self.assertEqual(
            x12_835.to_canonical_json(x12_835.parse_835_json(json.loads(canonical))), canonical
        )

    def test_documented_example_is_valid_and_canonical(self):
        doc = x12_835.__doc__
        example = doc[doc.index('    {\n      "header"') : doc.index("``totals`` is always")]
        data = json.loads(re.sub(r"#[^\n]*", "", example))  # drop the comments
        remittance = x12_835.parse_835_json(data)
        self.assertEqual(remittance.errors, [])
        self.assertEqual(remittance.to_dict(), data)

    def test_canonical_json_is_compact_and_sorted(self):
        canonical = x12_835.to_canonical_json(self.remittance)
        self.assertTrue(
            canonical.startswith('{"claims":[{"adjustments":[],"amounts":{"AU":"150.00"}')
        )
        self.assertNotIn(", ", canonical)
        self.assertNotIn('": ', canonical)
        self.assertEqual(json.loads(canonical), self.data)

    def test_same_balancing_rules(self):
        self.data["claims"][1]["paid"] = "55.00"
        issues = x12_835.validate_json(self.data)
        self.assertEqual([e.code for e in issues], ["balance.claim", "balance.payment"])
        claim, payment = issues
        self.assertEqual((claim.path, claim.position, claim.segment_id), ("/claims/1", None, None))
        self.assertEqual((claim.expected, claim.actual), (D(50), D(55)))
        self.assertEqual(payment.path, "/header/payment/amount")
        self.assertEqual(
            (payment.expected, payment.actual, payment.difference),
            (D("177.50"), D("172.50"), D(-5)),
        )

    def test_service_line_rule(self):
        self.data["claims"][0]["services"][0]["adjustments"][0]["amount"] = "40.00"
        issues = x12_835.validate_json(self.data)
        self.assertEqual(
            [(e.code, e.path) for e in issues],
            [("balance.service", "/claims/0/services/0"), ("balance.claim", "/claims/0")],
        )
        self.assertEqual(issues[0].difference, D(-10))

    def test_amounts_as_numbers(self):
        self.data["header"]["payment"]["amount"] = 172.5
        self.data["claims"][1]["charged"] = 80
        remittance = x12_835.parse_835_json(self.data)
        self.assertEqual(remittance.errors, [])
        self.assertEqual(remittance.payment.amount, D("172.5"))
        self.assertEqual(remittance.to_dict()["header"]["payment"]["amount"], "172.50")

    def test_invalid_values(self):
        cases = (
            (("header", "payment", "amount"), 172.505, "invalid_amount"),
            (("header", "payment", "amount"), "17x", "invalid_amount"),
            (("header", "payment", "amount"), True, "invalid_type"),
            (("header", "payment", "date"), "20260301", "invalid_date"),
            (("header", "payment", "date"), "2026-02-30", "invalid_date"),
            (("header", "payment", "credit_debit"), "X", "invalid_code"),
            (("claims", 0, "status"), "99", "invalid_code"),
            (("claims", 0, "claim_id"), 12, "invalid_type"),
            (("claims", 0, "adjustments"), "none", "invalid_type"),
        )
        for keys, value, code in cases:
            with self.subTest(keys=keys, value=value):
                data = json.loads(json.dumps(self.data))
                target = data
                for key in keys[:-1]:
                    target = target[key]
                target[keys[-1]] = value
                issue = only(
                    [e for e in x12_835.validate_json(data) if not e.code.startswith("balance")]
                )
                self.assertEqual(issue.code, code)
                self.assertEqual(issue.path, "/" + "/".join(str(k) for k in keys))

    def test_required_fields(self):
        del self.data["header"]["trace"]
        del self.data["claims"][0]["claim_id"]
        issues = x12_835.validate_json(self.data)
        self.assertEqual(
            [(e.path, e.code) for e in issues],
            [("/header/trace", "missing_field"), ("/claims/0/claim_id", "missing_field")],
        )

    def test_not_an_object(self):
        issue = only(x12_835.validate_json(["not", "a", "remittance"]))
        self.assertEqual(issue.code, "invalid_type")

    def test_unknown_fields_are_dropped(self):
        self.data["claims"][0]["patient"] = {"last_name": "DOE", "member_id": "W123456789"}
        self.data["header"]["ssn"] = "078051120"
        remittance = x12_835.parse_835_json(self.data)
        self.assertTrue(remittance.valid)
        output = x12_835.to_canonical_json(remittance)
        for value in ("DOE", "W123456789", "078051120", '"patient"', '"ssn"'):
            self.assertNotIn(value, output)

    def test_minimal_zero_pay_reversal(self):
        data = {
            "header": {
                "payer": {"id": "PAYER02"},
                "payee": {"id": "1234567893"},
                "payment": {
                    "handling_code": "H",
                    "amount": "0",
                    "credit_debit": "C",
                    "date": "2026-03-04",
                },
                "trace": {"number": "NOPAY9"},
            },
            "claims": [
                {
                    "claim_id": "PCN9",
                    "status": "22",
                    "charged": "-100.00",
                    "paid": "-60.00",
                    "adjustments": [{"group": "CO", "reason": "45", "amount": "-40.00"}],
                },
            ],
            "provider_adjustments": [
                {
                    "provider_id": "1234567893",
                    "fiscal_date": "2026-12-31",
                    "reason": "FB",
                    "amount": "-60.00",
                },
            ],
        }
        remittance = x12_835.parse_835_json(data)
        self.assertEqual(remittance.errors, [])
        self.assertEqual(remittance.to_dict()["totals"]["difference"], "0.00")
        data["provider_adjustments"][0]["amount"] = "60.00"
        issue = only(x12_835.validate_json(data))
        self.assertEqual(
            (issue.code, issue.expected, issue.difference), ("balance.payment", D(-120), D(120))
        )


def generate_835(claims):
    """A balanced single-transaction 835 with ``claims`` claims, each with one service line."""
    body = [
        f"BPR*I*{claims * 80}.00*C*ACH************20260301",
        "TRN*1*EFTMEM*1512345678",
        "N1*PR*ACME HEALTH PLAN*XV*PAYER01",
        "N1*PE*CITY CLINIC*XX*1234567893",
        "LX*1",
    ]
    for number in range(claims):
        body += [
            f"CLP*PCN{number:06d}*1*100.00*80.00*0*12*ICN{number:06d}*11*1",
            f"NM1*QC*1*PATIENT{number}*ANN****MI*M{number:09d}",
            "SVC*HC:99213*100.00*80.00",
            "CAS*CO*45*20.00",
        ]
    isa, gs = fixture("remit_basic.835").split("~\n")[:2]  # control numbers 000000101 and 101
    segments = [isa, gs, "ST*835*0001*005010X221A1", *body, f"SE*{len(body) + 2}*0001"]
    return "~\n".join([*segments, "GE*1*101", "IEA*1*000000101"]) + "~\n"


class TestBoundedMemory(BaseCase):
    """A large remittance parses without holding more than its result in memory."""

    CLAIMS = 5000
    LIMIT = 50 * 1024 * 1024

    def test_5000_claims_peak_memory(self):
        data = generate_835(self.CLAIMS).encode("ascii")
        tracemalloc.start()
        try:
            result = x12_835.parse(data)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        remittance = only(result.transactions)
        self.assertTrue(remittance.valid, remittance.errors[:3])
        self.assertEqual(len(remittance.claims), self.CLAIMS)
        self.assertEqual(result.segment_count, 4 * self.CLAIMS + 11)
        self.assertEqual(remittance.totals()["claims_paid"], D(80 * self.CLAIMS))
        self.assertLess(peak, self.LIMIT, f"peak {peak / 1e6:.1f} MB")
