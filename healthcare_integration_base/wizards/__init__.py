from . import hc_integration_exception_ignore
from . import hc_integration_flow_preview
from . import hc_integration_flow_definition
from . import hc_integration_flow_template
from . import hc_integration_exception_group_assign
