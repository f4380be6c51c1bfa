import contextlib
import logging
import random
import threading
import time

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models

_logger = logging.getLogger(__name__)

#: Head-counts Odoo stores on the job (``hr.job._compute_employees``).
COUNT_FIELDS = ("no_of_employee", "expected_employees")
#: Jobs whose head-counts wait for the end of the transaction (``cr.postcommit.data``).
PENDING_KEY = "healthcare_hr_sync.job_counts"


def _testing():
    """Inside Odoo's test runner (one transaction, never committed: no post-commit)."""
    return getattr(threading.current_thread(), "testing", False)


#: First key of the advisory locks that queue the head-count recomputations of one job.
COUNTS_LOCK = 0x68636A62  # "hcjb"


def _recompute_counts(registry, job_ids, attempts=5):
    """After the commit of an event: recompute the jobs' head-counts in a short
    transaction of its own.

    READ COMMITTED and a transaction lock per job: two lanes recomputing one job's counts
    run one after the other, and the second counts with a snapshot taken after the first
    committed — correct counts, and no "could not serialize" failure (which REPEATABLE READ
    raises here whenever another lane updated the job since the snapshot). Retried on a
    deadlock or a conflict all the same."""
    for attempt in range(attempts):
        try:
            with registry.cursor() as cr:
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                for job_id in sorted(job_ids):
                    cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (COUNTS_LOCK, job_id))
                env = api.Environment(cr, SUPERUSER_ID, {})
                jobs = env["hr.job"].browse(sorted(job_ids)).exists()
                for name in COUNT_FIELDS:
                    env.add_to_compute(jobs._fields[name], jobs)
                jobs.flush_recordset(list(COUNT_FIELDS))
            return
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected):
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
    _logger.warning("Head-counts of jobs %s not recomputed after %s conflicts", job_ids, attempts)


class HrJob(models.Model):
    _inherit = "hr.job"

    hc_required_credential_type_ids = fields.Many2many(
        "hc.hr.credential.type",
        "hc_hr_job_credential_type_rel",
        "job_id",
        "credential_type_id",
        string="Required credentials",
        help="Employees in this job must hold a valid credential of each type; when one "
        "lapses, their access is restricted per the HR flow's credential policy.",
    )

    @contextlib.contextmanager
    def _hc_counts_after_commit(self):
        """Hire, move or archive employees of these jobs in the block without updating the
        jobs' stored head-counts; they are recomputed right after the commit instead.

        Why: every hire updates its job's row (``no_of_employee``, ``expected_employees``).
        Under REPEATABLE READ two lanes hiring into one job at the same time make one of
        them fail with a serialization error and redo the whole hire — again and again in
        a burst of hires, so lanes stop scaling. The counts are informational: computed in
        a short transaction of their own after the commit (retried on conflict; a failure
        leaves them stale until the job's next change, logged), they no longer hold the
        event back.

        How, with the ORM's own API: ``env.protecting`` is how the ORM (and ``account``,
        ``sale``) says "do not recompute these fields on these records" while a block
        runs, so the employees' changes never mark the counts; after the commit,
        ``env.add_to_compute`` (also used by ``account`` and ``hr_holidays``) marks them
        and a flush computes them. Not a non-stored override of the two fields: ``hr``
        and its apps search, group and sort jobs by them, and it would change ``hr``'s
        schema. In tests nothing is committed, so the counts are computed as usual.
        """
        jobs = self.sudo()
        if not jobs or _testing():
            yield
            return
        with self.env.protecting([jobs._fields[name] for name in COUNT_FIELDS], jobs):
            yield
        pending = self.env.cr.postcommit.data.setdefault(PENDING_KEY, set())
        if not pending:
            registry = self.env.registry
            self.env.cr.postcommit.add(lambda: _recompute_counts(registry, set(pending)))
        pending.update(jobs.ids)
