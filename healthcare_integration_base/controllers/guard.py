"""Problem answers for ``/healthcare/`` when Odoo itself would answer with an HTML page.

Odoo builds some answers before (or instead of) calling a controller: when PostgreSQL is
down it fails to open a cursor and answers ``500`` (or, when it cannot even choose a
database, serves the request without one and answers ``404``); a wrong method, an
unknown path under the prefix or a refused API key get werkzeug's HTML pages. The
sending systems of the suite expect ``application/problem+json`` everywhere and, when
the database is unavailable, ``503`` with ``Retry-After`` so that they retry later
instead of giving up on the event.

There is no hook for this in Odoo 18 (``ir.http`` needs a registry and a cursor, which is
exactly what is missing), so this module wraps two methods of :class:`odoo.http.Request`
when it is imported:

* ``_serve_db``: exceptions escaping it for a ``/healthcare/`` path become problems —
  database errors (``OperationalError``, ``InterfaceError``, pool exhausted, registry
  unusable; also serialization failures left after Odoo's retries) become ``503``;
  werkzeug HTTP errors keep their status and headers; anything else is a ``500``
  problem without traceback (the traceback is logged).
* ``_serve_nodb``: a ``/healthcare/`` path served without a database means none could be
  opened (the database is down or not selected by ``--database``/``--db-filter``):
  ``503``.

* a webhook sender whose address is in its cool-down (it kept being refused) is answered
  ``429`` before ``_serve_db`` opens anything: no cursor, no write.

Another addon guards its own prefix with :func:`guard_prefix` and its own error format
(``healthcare_hr_sync``: SCIM errors on ``/scim/``, so that an identity platform retries
an outage instead of reading a ``404`` as "no such user").

Every other path is untouched. The wrappers are installed once per process; the guard is
active as soon as the addon's Python code is imported, i.e. once a registry with the
addon has been loaded — or from the start when the server is run with
``--load=base,web,healthcare_integration_base``.
"""

import logging

import psycopg2
from psycopg2.pool import PoolError
from werkzeug.exceptions import HTTPException

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError

from ..tools import problem as problems
from ..tools.source_cooldown import COOLDOWN

_logger = logging.getLogger(__name__)

PREFIX = "/healthcare/"
WEBHOOK_PREFIX = "/healthcare/webhook/"
#: Seconds a sender should wait before retrying when the database is unavailable.
RETRY_AFTER_UNAVAILABLE = 30
DATABASE_ERRORS = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    PoolError,
    http.RegistryError,
)
_MARK = "_hc_integration_guard"


def problem_response(status, detail, *, headers=None, reason=None, **extra):
    """A complete ``application/problem+json`` response (usable without a database)."""
    body = problems.dumps(problems.problem(status, detail, reason=reason, **extra))
    response = http.Response(body, status=status, content_type=problems.PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: ``{path prefix: answer}``: the guarded prefixes and how each answers; ``answer(status,
#: detail, *, headers=None, reason=None, **extra)`` returns a complete response.
_ANSWERS = {}


def guard_prefix(prefix, answer):
    """Guard the paths under ``prefix`` too, answering in ``answer``'s format."""
    _ANSWERS[prefix] = answer


guard_prefix(PREFIX, problem_response)


def unavailable_response(answer=problem_response):
    return answer(
        503,
        "The database is unavailable; retry later.",
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
    )


def _from_http_exception(exc, answer):
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    detail = exc.description if isinstance(exc.description, str) else None
    return answer(exc.code, detail or exc.name, headers=headers)


def _answer_for(request):
    """How the guard answers on the path of ``request``, or None where it does not."""
    try:
        path = request.httprequest.path
        return next(
            (answer for prefix, answer in _ANSWERS.items() if path.startswith(prefix)), None
        )
    except Exception:  # noqa: BLE001 - never let the guard itself fail a request
        return None


def _cooled_down(request):
    """The 429 answer for a webhook sender in its cool-down (no database touched), or
    None (see ``tools/source_cooldown.py``)."""
    try:
        if not request.httprequest.path.startswith(WEBHOOK_PREFIX):
            return None
        retry_after = COOLDOWN.retry_after(request.httprequest.remote_addr)
    except Exception:  # noqa: BLE001 - never let the guard itself fail a request
        return None
    if not retry_after:
        return None
    return problem_response(
        429,
        "Too many refused deliveries from this address; retry later.",
        headers={"Retry-After": str(retry_after)},
        reason="source_cooldown",
    )


def _guarded_serve_db(original):
    def _serve_db(self):
        answer = _answer_for(self)
        if answer is None:
            return original(self)
        cooled_down = _cooled_down(self)
        if cooled_down is not None:
            return cooled_down
        try:
            return original(self)
        except HTTPException as exc:
            if exc.code is None:  # a complete response raised through abort()
                raise
            return _from_http_exception(exc, answer)
        except DATABASE_ERRORS as exc:
            _logger.warning(
                "%s: database unavailable (%s), answered 503",
                self.httprequest.path,
                type(exc.__cause__ or exc).__name__,
            )
            return unavailable_response(answer)
        except (AccessDenied, AccessError):
            return answer(403, "Access denied.", title="Forbidden", reason="forbidden")
        except UserError:
            return answer(400, "The request cannot be processed.")
        except Exception:
            _logger.exception("%s: unexpected error, answered 500", self.httprequest.path)
            return answer(500, "An unexpected error occurred; it was logged.")

    _serve_db.__wrapped__ = original
    setattr(_serve_db, _MARK, True)
    return _serve_db


def _guarded_serve_nodb(original):
    def _serve_nodb(self):
        answer = _answer_for(self)
        if answer is None:
            return original(self)
        _logger.warning("%s: no database could be opened, answered 503", self.httprequest.path)
        return unavailable_response(answer)

    _serve_nodb.__wrapped__ = original
    setattr(_serve_nodb, _MARK, True)
    return _serve_nodb


def install():
    """Wrap ``Request._serve_db`` and ``Request._serve_nodb`` once per process."""
    for name, factory in (("_serve_db", _guarded_serve_db), ("_serve_nodb", _guarded_serve_nodb)):
        current = getattr(http.Request, name)
        if not getattr(current, _MARK, False):
            setattr(http.Request, name, factory(current))


install()
