from . import hc_integration_exception_ignore
