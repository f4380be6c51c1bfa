"""Error classes that handlers raise to tell the engine what to do with a message.

Handlers never commit and never catch these: the queue processor does, in one place
(``hc.integration.processor``), and turns each class into a state:

* :class:`RetryableError` — a technical failure (network, timeout, 5xx, lock conflict):
  the message goes to ``retry`` with exponential backoff and full jitter, and to
  ``exception`` once the flow's maximum attempts are used up.
* :class:`BusinessError` — the data cannot be applied as it is (validation, conflict):
  straight to ``exception`` with a description a person can act on; never auto-retried.
* :class:`MappingError` — an external code has no mapping yet: a ``pending`` mapping row
  is created, the message waits in ``exception`` and is re-queued when the code is mapped.
* :class:`DependencyError` — something the message needs has not arrived yet (e.g. the
  manager's record): the message goes to ``waiting`` and is released when the dependency
  appears, or becomes an exception after the flow's dependency timeout.
"""

import logging
from contextlib import contextmanager

import psycopg2

_logger = logging.getLogger(__name__)


class IntegrationError(Exception):
    """Base class of the errors handlers raise. ``message`` is shown to people: keep it in
    business words and free of payload values that are personal data."""

    category = "technical"

    def __init__(self, message, *, detail=None):
        super().__init__(message)
        self.message = message
        self.detail = detail


class RetryableError(IntegrationError):
    """A technical failure worth retrying. ``delay`` (seconds) overrides the backoff, e.g.
    with the value of a ``Retry-After`` header."""

    category = "technical"

    def __init__(self, message, *, delay=None, detail=None):
        super().__init__(message, detail=detail)
        self.delay = delay


class BusinessError(IntegrationError):
    """The message cannot be applied; a person must act. ``category`` is one of
    ``validation``, ``conflict``, ``mapping``, ``dependency``, ``technical``.
    ``record`` (optional) is the Odoo record the person should open."""

    category = "validation"

    def __init__(self, message, *, category=None, detail=None, record=None):
        super().__init__(message, detail=detail)
        if category:
            self.category = category
        self.record = record


class ConflictError(BusinessError):
    """The message contradicts data already in Odoo (e.g. a duplicate identity)."""

    category = "conflict"


class MappingError(BusinessError):
    """One or more external codes have no mapping. ``missing`` is a list of
    ``(mapping_type, external_code)`` pairs; ``backend`` the backend record they belong to."""

    category = "mapping"

    def __init__(self, backend, missing, message=None):
        missing = list(missing)
        codes = ", ".join(f"{mapping_type} '{code}'" for mapping_type, code in missing)
        super().__init__(message or f"No mapping yet for {codes}.")
        self.backend = backend
        self.missing = missing


class DependencyError(IntegrationError):
    """The message needs something that has not arrived yet. ``key`` names it (see
    ``hc.integration.binding._dependency_key``); the engine releases the message when
    ``hc.integration.message._release_waiting(key)`` is called."""

    category = "dependency"

    def __init__(self, key, message, *, detail=None):
        super().__init__(message, detail=detail)
        self.key = key


class StaleEventError(IntegrationError):
    """The event is older than what was already applied to the record: the message ends
    ``done`` without changes, and the audit log says it was ignored as stale."""

    category = "stale"


class IngestHookError(ValueError):
    """A handler's ingest-time code (allow-list, ordering key, effective date, extra
    checks) raised on a payload — typically a ``KeyError`` on a missing key. Raised by the
    engine, never by handlers: the delivery is refused (422 at the webhook), nothing is
    stored. ``hook`` names the step; the text holds the error's class only, never values."""

    def __init__(self, hook, error):
        super().__init__(
            f"the flow's handler failed on this event ({hook}: {type(error).__name__})"
        )
        self.hook = hook
        self.error_class = type(error).__name__


@contextmanager
def ingest_hook(hook):
    """Run handler code of the ingest path: whatever it raises (but database errors, which
    Odoo must see to retry the request) becomes an :class:`IngestHookError`."""
    try:
        yield
    except (psycopg2.Error, IngestHookError):
        raise
    except Exception as error:  # noqa: BLE001 - fail closed on any handler bug
        _logger.warning("Ingest: the handler's %s code raised %s", hook, type(error).__name__)
        raise IngestHookError(hook, error) from None
