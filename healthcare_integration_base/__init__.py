from . import models
from . import wizards
from . import controllers
from .hooks import uninstall_hook
from .tools import log_redaction, sql_log_redaction

# logged tracebacks never print PostgreSQL DETAIL lines (row values): see the module
log_redaction.install()
# odoo.sql_db's "bad query" records keep the SQL text, not the values: see the module
sql_log_redaction.install()
