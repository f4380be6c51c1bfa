from . import scim
from . import scim_guard
