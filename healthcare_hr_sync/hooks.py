"""What uninstalling the HR sync must drop besides what Odoo drops by itself: the index
that ``hr.employee.init()`` adds to a table of Odoo's ``hr`` addon, which stays."""

from odoo.tools import SQL

#: Indexes on tables of other addons.
INDEXES = ("hc_hr_employee_work_email_lower_idx",)  # hr.employee: work e-mail look-up


def uninstall_hook(env):
    for name in INDEXES:
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
