"""Local days as UTC moments (no Odoo imports): when a hire starts or a termination
takes effect in the time zone of the employee or the company."""

from datetime import datetime, time, timedelta

import pytz


def _zone(tz_name):
    try:
        return pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        return pytz.utc


def start_of_day_utc(day, tz_name):
    """The naive UTC datetime at which ``day`` begins in ``tz_name``."""
    local = _zone(tz_name).localize(datetime.combine(day, time.min))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


def end_of_day_utc(day, tz_name):
    """The naive UTC datetime at which ``day`` ends in ``tz_name`` (the next local
    midnight): a termination dated ``day`` leaves the whole last working day."""
    return start_of_day_utc(day + timedelta(days=1), tz_name)


def local_today(now_utc, tz_name):
    """The date it is in ``tz_name`` at the naive UTC ``now_utc``."""
    return pytz.utc.localize(now_utc).astimezone(_zone(tz_name)).date()
