"""A failing query's "bad query" record of ``odoo.sql_db`` keeps the SQL text with its
placeholders and drops the values (names, identifiers that may be PHI)."""

import logging

import psycopg2

from odoo.tests import TransactionCase, tagged

from ..tools import sql_log_redaction

MARKER = "ZZPHI-JANE-DOE-1971"


@tagged("post_install", "-at_install")
class TestSqlLogRedaction(TransactionCase):
    def setUp(self):
        super().setUp()
        self.env.cr.execute(
            "CREATE TEMP TABLE hc_test_redaction (id integer PRIMARY KEY, name varchar)"
        )
        self.env.cr.execute("INSERT INTO hc_test_redaction VALUES (1, 'first')")

    def failing(self, query, params=None, error=psycopg2.Error):
        """The formatted records ``odoo.sql_db`` logs while ``query`` fails."""
        with (
            self.assertLogs("odoo.sql_db", "ERROR") as logs,
            self.assertRaises(error),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(query, params)
        return logs.output

    def assert_no_marker(self, lines):
        self.assertTrue(lines)
        for line in lines:
            self.assertNotIn(MARKER, line)
            self.assertNotIn(MARKER.lower(), line.lower())

    def test_bad_value_is_dropped_sql_text_kept(self):
        lines = self.failing("SELECT name FROM hc_test_redaction WHERE id = %s", (MARKER,))
        self.assert_no_marker(lines)
        self.assertIn("bad query: SELECT name FROM hc_test_redaction WHERE id = %s", lines[0])
        self.assertIn("InvalidTextRepresentation [22P02]", lines[0])
        self.assertIn('invalid input syntax for type integer: "…"', lines[0])

    def test_constraint_violation_names_the_constraint_not_the_row(self):
        query = "INSERT INTO hc_test_redaction (id, name) VALUES (%s, %s)"
        lines = self.failing(query, (1, MARKER))
        self.assert_no_marker(lines)
        self.assertIn(query, lines[0])
        self.assertIn('unique constraint "hc_test_redaction_pkey"', lines[0])

    def test_values_written_inline_are_withheld(self):
        query = f"INSERT INTO hc_test_redaction (name) VALUES ('{MARKER}', 'too many')"
        lines = self.failing(query.encode())
        self.assert_no_marker(lines)
        self.assertIn("bad query: INSERT INTO hc_test_redaction (name) … (values", lines[0])

    def test_other_records_are_untouched(self):
        with self.assertLogs("odoo.sql_db", "WARNING") as logs:
            logging.getLogger("odoo.sql_db").warning("pool: %s", MARKER)
        self.assertIn(MARKER, logs.output[0])

    def test_install_is_idempotent(self):
        sql_log_redaction.install()
        sql_log_redaction.install()
        logger = logging.getLogger(sql_log_redaction.LOGGER_NAME)
        filters = [f for f in logger.filters if isinstance(f, sql_log_redaction.SqlValuesFilter)]
        self.assertEqual(len(filters), 1)
