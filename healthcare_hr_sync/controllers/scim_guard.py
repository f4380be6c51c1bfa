"""SCIM error documents where Odoo itself would answer ``/scim/`` with an HTML page.

The engine's HTTP guard (``healthcare_integration_base/controllers/guard.py``) answers
when PostgreSQL is down, when no database can be opened, for werkzeug's HTTP errors (a
method the route does not take) and for an error escaping the route. On ``/scim/`` it
answers here in SCIM's format (RFC 7644 §3.12): an identity platform reads a ``503``
with ``Retry-After`` as "retry later", where Odoo's own answer without a database — an
HTML ``404`` — could read as "no such user" and lead it to create or deprovision one.
"""

import json

from odoo import http

from odoo.addons.healthcare_integration_base.controllers import guard

from ..tools.scim_filter import ScimError
from .scim import SCIM_CONTENT_TYPE

PREFIX = "/scim/"


def scim_error_response(status, detail, *, headers=None, reason=None, **extra):
    """A complete SCIM error response (usable without a database); ``reason`` and the
    other problem members have no place in a SCIM error document."""
    body = json.dumps(ScimError(status, detail).document(), ensure_ascii=False)
    response = http.Response(body, status=status, content_type=SCIM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


guard.guard_prefix(PREFIX, scim_error_response)
