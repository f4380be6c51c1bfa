from . import hc_integration_exception_ignore
from . import hc_integration_exception_group_assign
