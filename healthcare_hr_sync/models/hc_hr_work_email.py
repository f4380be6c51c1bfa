from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import ConflictError


def normalise_email(email):
    """The form two work e-mails are compared in: trimmed, lower case."""
    return (email or "").strip().lower()


class HcHrWorkEmail(models.Model):
    """One row per normalised work e-mail of a synchronised employee, unique per company.

    Why a table: the duplicate-identity check of ``employee.upsert`` searches
    ``hr_employee``, but two lanes hiring two HRIS ids with one e-mail at the same instant
    both search before either commits, and both would create an employee. The unique index
    here is the database-level guarantee: the second insert waits for the first
    transaction and then fails (a serialization failure under REPEATABLE READ, which the
    engine runs again at once); on that run the search sees the first employee and the
    message ends as one conflict exception. Not a unique index on ``hr_employee`` itself:
    employees created by hand may legitimately share e-mails, and ``hr`` owns that table.
    """

    _name = "hc.hr.work.email"
    _description = "Work e-mail of a synchronised employee"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    email = fields.Char(required=True)
    employee_id = fields.Many2one("hr.employee", required=True, ondelete="cascade", index=True)

    _sql_constraints = [
        ("company_email_unique", "unique(company_id, email)", "Work e-mail already claimed."),
    ]

    @api.model
    def _hc_claim(self, employee, email):
        """Reserve ``email`` for ``employee`` in its company (releasing its previous one);
        raise :class:`ConflictError` when another employee holds it."""
        email = normalise_email(email)
        company_id = employee.company_id.id
        cr = self.env.cr
        cr.execute(
            "DELETE FROM hc_hr_work_email WHERE employee_id = %s AND email != %s",
            (employee.id, email),
        )
        if not email:
            return
        # ON CONFLICT waits for a concurrent, uncommitted claim of the same e-mail: the
        # loser then fails with a serialization error and is run again by the engine
        cr.execute(
            "INSERT INTO hc_hr_work_email (company_id, email, employee_id) VALUES (%s, %s, %s) "
            "ON CONFLICT (company_id, email) DO NOTHING RETURNING id",
            (company_id, email, employee.id),
        )
        if cr.fetchone():
            return
        cr.execute(
            "SELECT employee_id FROM hc_hr_work_email WHERE company_id = %s AND email = %s",
            (company_id, email),
        )
        row = cr.fetchone()
        if row and row[0] != employee.id:
            other = self.env["hr.employee"].sudo().with_context(active_test=False).browse(row[0])
            raise ConflictError(
                self.env._(
                    "Another employee already uses this work e-mail: nothing was merged.\n"
                    "The other employee: %(name)s (HRIS ID %(external_id)s). Fix the duplicate "
                    "identity in the HRIS, then retry.",
                    name=other.name,
                    external_id=other.hc_external_id or "—",
                ),
                record=other,
            )
