from . import hc_sys_probe_journal
from . import hc_sys_probe_handler
