from . import test_x12_835
from . import test_x12_835_strictness
from . import test_remittance_posting
from . import test_billing_payments_writeoffs
from . import test_intake
from . import test_intake_data_protection
from . import test_security
from . import test_webhook
