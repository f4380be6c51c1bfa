"""Error texts and logs never echo values that may be PHI (issue 9 item 8): a file with
names, member ids and dates planted in the wrong elements is rejected with texts that name
segment, element and rule only; a database error's logged traceback has no DETAIL line."""

import logging
from unittest.mock import patch

import psycopg2

from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.tools.log_redaction import strip_pg_detail

from .common import RcmCase, fixture

PLANTED = ("JANEDOE", "W555443322", "19710304", "ZEBULON")


class CaptureLogs(logging.Handler):
    """Everything the server logs meanwhile (any logger), formatted with tracebacks."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def __enter__(self):
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger().removeHandler(self)


def planted_835():
    """remit_basic.835 with PHI-like values where codes, dates and ids belong."""
    text = fixture("remit_basic.835").decode()
    for old, new in (
        ("CLP*PCN002*2*80.00*50.00", "CLP*PCN002*W555443322*80.00*50.00"),
        ("CAS*OA*23*30.00", "CAS*JANEDOE*23*30.00"),
        ("DTM*050*20260220", "DTM*050*JANEDOE19710304"),
        ("5550002222*20260301", "5550002222*ZEBULON"),
        ("SVC*HC:99213:25", "SVC*JANEDOE"),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text.encode()


@tagged("post_install", "-at_install")
class TestErrorTextsHoldNoPhi(RcmCase):
    def assert_clean(self, texts):
        for text in texts:
            for value in PLANTED:
                self.assertNotIn(value, text or "")

    def test_rejected_remittance_texts_and_logs(self):
        with CaptureLogs() as logs:
            message, _status = self.receive_835(planted_835())
            self.process()
        children = self.children(message)
        self.assertEqual(children.mapped("state"), ["exception"])
        exceptions = self.env["hc.integration.exception"].search(
            [("message_id", "in", (message | children).ids)]
        )
        self.assertTrue(exceptions)
        description = exceptions[0].description
        for expected in ("CLP02 is not a claim status code", "DTM02 is not a", "BPR16", "SVC01"):
            self.assertIn(expected, description)
        audits = self.env["hc.integration.audit"].search(
            [("message_id", "in", (message | children).ids)]
        )
        self.assert_clean(
            exceptions.mapped("description")
            + exceptions.mapped("technical_detail")
            + exceptions.mapped("name")
            + (message | children).mapped("last_error")
            + audits.mapped("summary")
            + logs.lines
        )

    def test_unreadable_file_reason(self):
        handler = self.Handler.sudo()
        for data in (b"JANEDOE,W555443322,19710304", planted_835().replace(b"IEA*1*", b"JANEDOE*")):
            with self.subTest(data[:8]), self.assertRaises(Exception) as caught:
                handler._hc_rcm_ingest(self.flow_835, data)
            self.assert_clean([str(caught.exception)])


@tagged("post_install", "-at_install")
class TestLoggedTracebacksWithoutDetail(RcmCase):
    def test_database_error_in_a_handler_is_logged_without_row_values(self):
        self.env.cr.execute("CREATE TEMP TABLE hc_rcm_t_unique (value text UNIQUE)")

        def failing_process(handler, message):
            # a handler bug: a constraint violation whose DETAIL line prints the row
            for _attempt in range(2):
                handler.env.cr.execute("INSERT INTO hc_rcm_t_unique VALUES (%s)", [PLANTED[0]])

        Handler = self.registry["hc.rcm.handler.remittance"]
        with (
            patch.object(Handler, "_hc_process", failing_process),
            self.assertLogs("odoo.addons.healthcare_integration_base", logging.ERROR) as logs,
        ):
            message, _status = self.receive_835(fixture("remit_basic.835"))
            self.process()
        self.assertEqual(message.state, "retry")
        output = "\n".join(logs.output)
        self.assertIn("UniqueViolation", output)
        self.assertIn("duplicate key value violates unique constraint", output)
        self.assertNotIn("DETAIL", output)
        self.assertNotIn("JANEDOE", output)
        self.assertNotIn("JANEDOE", message.last_error or "")

    def test_error_objects_passed_as_arguments(self):
        error = psycopg2.errors.UniqueViolation(
            "duplicate key value\nDETAIL:  Key (value)=(JANEDOE) already exists.\n"
        )
        with self.assertLogs("odoo.addons.healthcare_rcm_sync", logging.WARNING) as logs:
            logging.getLogger("odoo.addons.healthcare_rcm_sync.t").warning("failed: %s", error)
        expected = "WARNING:odoo.addons.healthcare_rcm_sync.t:failed: duplicate key value\n"
        self.assertEqual(logs.output, [expected])
        self.assertEqual(strip_pg_detail("a\nDETAIL: b\nc"), "a\nc")
