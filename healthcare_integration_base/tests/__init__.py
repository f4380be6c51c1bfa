from . import test_webhook_signature
from . import test_webhook_receive
