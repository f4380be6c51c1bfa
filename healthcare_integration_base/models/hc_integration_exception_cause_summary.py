import psycopg2

from odoo import api, fields, models

#: Key of the advisory lock one compaction holds (servers sharing a database take turns).
COMPACT_LOCK = 0x6863_6573  # "hces"
#: The conflict target of the summary rows: one row per cause, flow, company and shard.
CONFLICT_TARGET = "(cause_key, coalesce(flow_id, 0), coalesce(company_id, 0), shard)"

#: Statement-level trigger on hc_integration_exception: the net change of open exceptions
#: per cause, flow and company made by one statement (a bulk INSERT of 100,000 exceptions
#: of 50 causes is 50 upserts, an UPDATE that changes no state, cause, flow or company none),
#: added to the row of this database connection (``shard = pg_backend_pid()``).
TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION hc_integration_exception_cause_summary_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed integer := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO hc_integration_exception_cause_summary AS s
               (cause_key, flow_id, company_id, shard, exception_count)
        SELECT coalesce(n.cause_key, ''), n.flow_id, n.company_id, pg_backend_pid(), count(*)
          FROM new_rows n WHERE n.state = 'open'
         GROUP BY 1, 2, 3
        ON CONFLICT {CONFLICT_TARGET}
        DO UPDATE SET exception_count = s.exception_count + EXCLUDED.exception_count;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO hc_integration_exception_cause_summary AS s
               (cause_key, flow_id, company_id, shard, exception_count)
        SELECT coalesce(o.cause_key, ''), o.flow_id, o.company_id, pg_backend_pid(), -count(*)
          FROM old_rows o WHERE o.state = 'open'
         GROUP BY 1, 2, 3
        ON CONFLICT {CONFLICT_TARGET}
        DO UPDATE SET exception_count = s.exception_count + EXCLUDED.exception_count;
    ELSE
        INSERT INTO hc_integration_exception_cause_summary AS s
               (cause_key, flow_id, company_id, shard, exception_count)
        SELECT d.cause_key, d.flow_id, d.company_id, pg_backend_pid(), sum(d.delta)
          FROM (SELECT coalesce(n.cause_key, '') AS cause_key, n.flow_id, n.company_id,
                       1 AS delta
                  FROM new_rows n WHERE n.state = 'open'
                UNION ALL
                SELECT coalesce(o.cause_key, ''), o.flow_id, o.company_id, -1
                  FROM old_rows o WHERE o.state = 'open') d
         GROUP BY 1, 2, 3
        HAVING sum(d.delta) <> 0
        ON CONFLICT {CONFLICT_TARGET}
        DO UPDATE SET exception_count = s.exception_count + EXCLUDED.exception_count;
    END IF;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed > 0 THEN
        DELETE FROM hc_integration_exception_cause_summary
         WHERE shard = pg_backend_pid() AND exception_count = 0;
    END IF;
    RETURN NULL;
END
$$;
"""
UNIQUE_INDEX = f"""
CREATE UNIQUE INDEX IF NOT EXISTS hc_integration_exception_cause_summary_key
    ON hc_integration_exception_cause_summary {CONFLICT_TARGET}
"""
TRIGGERS = """
DROP TRIGGER IF EXISTS hc_integration_exception_cause_summary_ins ON hc_integration_exception;
DROP TRIGGER IF EXISTS hc_integration_exception_cause_summary_upd ON hc_integration_exception;
DROP TRIGGER IF EXISTS hc_integration_exception_cause_summary_del ON hc_integration_exception;
CREATE TRIGGER hc_integration_exception_cause_summary_ins
    AFTER INSERT ON hc_integration_exception REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hc_integration_exception_cause_summary_apply();
CREATE TRIGGER hc_integration_exception_cause_summary_upd
    AFTER UPDATE ON hc_integration_exception
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hc_integration_exception_cause_summary_apply();
CREATE TRIGGER hc_integration_exception_cause_summary_del
    AFTER DELETE ON hc_integration_exception REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hc_integration_exception_cause_summary_apply();
"""
#: Every open exception counted again, into shard 0 (install, upgrade, repair).
REBUILD_SQL = """
LOCK TABLE hc_integration_exception IN SHARE MODE;
DELETE FROM hc_integration_exception_cause_summary;
INSERT INTO hc_integration_exception_cause_summary
       (cause_key, flow_id, company_id, shard, exception_count)
SELECT coalesce(cause_key, ''), flow_id, company_id, 0, count(*)
  FROM hc_integration_exception WHERE state = 'open'
 GROUP BY 1, 2, 3;
"""
#: The rows of connections that are gone, folded into shard 0 (see ``_hc_compact``).
COMPACT_SQL = f"""
WITH gone AS (
    DELETE FROM hc_integration_exception_cause_summary s
     WHERE s.shard <> 0
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = s.shard)
 RETURNING s.cause_key, s.flow_id, s.company_id, s.exception_count
)
INSERT INTO hc_integration_exception_cause_summary AS s
       (cause_key, flow_id, company_id, shard, exception_count)
SELECT cause_key, flow_id, company_id, 0, sum(exception_count)
  FROM gone GROUP BY 1, 2, 3
ON CONFLICT {CONFLICT_TARGET}
DO UPDATE SET exception_count = s.exception_count + EXCLUDED.exception_count;
DELETE FROM hc_integration_exception_cause_summary WHERE shard = 0 AND exception_count = 0;
"""


class HcIntegrationExceptionCauseSummary(models.Model):
    """The number of open exceptions per cause, flow and company, kept by the database in
    the transaction that opens, resolves, ignores, re-keys or deletes exceptions, so the
    exception desk reads one row per cause instead of counting 100,000 exceptions.

    A trigger keeps it, so every write path counts (the ORM, SQL of migrations or
    benchmarks, a flow deleted by cascade). The count of a cause is the sum of its rows:
    one per database connection that changed it (``shard``: the connection's backend pid)
    plus shard 0. Two lanes opening exceptions of one cause at once each add to their own
    row: under Odoo's REPEATABLE READ, one shared counter row would make the second lane
    fail with a serialization error (a lost update is impossible either way). The
    maintenance cron folds the rows of closed connections into shard 0
    (:meth:`_hc_compact`), so the table holds causes × live connections at most.
    """

    _name = "hc.integration.exception.cause.summary"
    _description = "Integration exceptions: open count per cause"
    _log_access = False

    cause_key = fields.Char(required=True, readonly=True)
    flow_id = fields.Many2one("hc.integration.flow", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    shard = fields.Integer(
        required=True,
        readonly=True,
        help="Backend pid of the connection that wrote the row; 0: compacted.",
    )
    exception_count = fields.Integer(required=True, readonly=True)

    def init(self):
        cr = self.env.cr
        cr.execute(UNIQUE_INDEX)
        # the desk finds each group's oldest open exception through this index
        cr.execute(
            """CREATE INDEX IF NOT EXISTS hc_integration_exception_open_oldest_idx
                   ON hc_integration_exception (coalesce(cause_key, ''),
                      coalesce(flow_id, 0), coalesce(company_id, 0), create_date, id)
                WHERE state = 'open'"""
        )
        cr.execute(TRIGGER_FUNCTION)
        cr.execute(TRIGGERS)
        self._hc_rebuild()

    @api.model
    def _hc_rebuild(self):
        """Count every open exception again (the trigger keeps the count from then on)."""
        self.env.flush_all()
        self.env.cr.execute(REBUILD_SQL)
        self.invalidate_model()

    @api.model
    def _hc_compact(self):
        """Fold the rows of database connections that are closed into shard 0; True if
        done. Rows of live connections stay: only their own transactions write them, so
        compacting never conflicts with a lane. Servers sharing the database take turns."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (COMPACT_LOCK,))
                if not cr.fetchone()[0]:
                    return False
                cr.execute(COMPACT_SQL)
        except psycopg2.errors.SerializationFailure:
            return False  # another server compacted meanwhile: next call
        self.invalidate_model()
        return True

    @api.model
    def _hc_counts(self):
        """``{(cause_key, flow_id, company_id): open exceptions}``, from the summary."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT cause_key, flow_id, company_id, sum(exception_count)
                 FROM hc_integration_exception_cause_summary
                GROUP BY 1, 2, 3 HAVING sum(exception_count) <> 0"""
        )
        return {(k, f, c): int(n) for k, f, c, n in self.env.cr.fetchall()}
