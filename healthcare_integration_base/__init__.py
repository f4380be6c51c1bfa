from . import models
from . import wizards
from . import controllers
from .tools import log_redaction

# logged tracebacks never print PostgreSQL DETAIL lines (row values): see the module
log_redaction.install()
