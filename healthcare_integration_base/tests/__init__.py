from . import test_webhook_signature
from . import test_webhook_receive
from . import test_http_client
from . import test_pull
from . import test_outbound
from . import test_webhook_race
from . import test_status_api
from . import test_health_metrics
