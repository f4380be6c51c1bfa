"""How long one call of a queue cron may work: what is left of the scheduler's round.

Odoo runs crons in *rounds*: a cron thread (threaded server) or a cron worker (prefork,
``--workers``) takes every ready job and runs them back to back, each job again up to 10
times while it reports remaining work. The time limits apply to the whole round:

- threaded: ``limit_time_real_cron`` (``limit_time_real`` when unset, 0 or -1), counted
  from ``threading.current_thread().start_time``, which ``odoo/service/server.py`` sets
  before ``ir_cron._process_jobs``; a thread over the limit makes Odoo reload the server;
- prefork: ``limit_time_real_cron`` (``limit_time_real`` when -1, no limit when 0), counted
  by the master from the worker's last watchdog ping, which comes *before* the worker's
  idle sleep (up to ``SLEEP_INTERVAL`` + 10 s), and ``limit_time_cpu`` (``RLIMIT_CPU`` set
  before each round): over either, the worker is killed.

A call therefore works for a share of what is left of the round, keeping a reserve for
the rest of the round (the other ready jobs, the last message that overruns the deadline,
the scheduler's own bookkeeping). Nothing here imports Odoo: the caller passes the
configuration and the clocks, so the arithmetic is testable on its own.
"""

import resource

#: ``odoo.service.server.SLEEP_INTERVAL`` plus the chorus jitter (``pid % 10``) and a
#: margin: the longest idle sleep of a prefork cron worker between its ping and a round.
PREFORK_MAX_SLEEP = 60 + 10
#: Part of a round's limit never handed out to calls, and its minimum in seconds: it
#: covers the scheduler's own work between calls (about half a second a job on a loaded
#: machine), the other jobs of the round and the last message past a deadline.
RESERVE_RATIO = 0.4
MIN_RESERVE = 2.0
#: A call gets at most this part of what is left beyond the reserve: the scheduler calls
#: a job again up to 10 times, and other jobs may follow in the same round.
CALL_SHARE = 0.5
#: Below this, a call does not start work: it asks for the next round instead.
MIN_CALL = 0.3


def real_time_limit(config, prefork, cron_thread=True):
    """Seconds of wall-clock time a cron round may take (None: no limit); for a request
    thread of a threaded server (``cron_thread`` False), the time a request may take."""
    cron = config.get("limit_time_real_cron") if cron_thread else 0
    real = config.get("limit_time_real") or 0
    if prefork:
        # PreforkServer: cron_timeout = limit_time_real_cron or None, -1 meaning limit_time_real
        limit = real if cron == -1 else cron
    else:
        # ThreadedServer.process_limit: the cron limit only when set and positive
        limit = cron if cron and cron > 0 else real
    return limit if limit and limit > 0 else None


def cpu_time_left():
    """CPU seconds this process may still use before ``RLIMIT_CPU`` (None: unlimited).

    Prefork workers set the soft limit to "CPU used so far + limit_time_cpu" before each
    round (``Worker.check_limits``), so this is exactly what is left of the round.
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft == resource.RLIM_INFINITY:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return soft - (usage.ru_utime + usage.ru_stime)


def round_time_left(limit, round_start, now):
    """Wall-clock seconds left in a round of ``limit`` seconds started at ``round_start``."""
    if not limit or round_start is None:
        return None
    return limit - (now - round_start)


def call_budget(configured, wall_left=None, wall_limit=None, cpu_left=None, cpu_limit=None):
    """Seconds the next call may work: at most ``configured``, and a share of what is left
    of the round beyond a reserve. 0 means "no time left in this round"."""
    budget = float(configured)
    for left, limit in ((wall_left, wall_limit), (cpu_left, cpu_limit)):
        if left is None or not limit:
            continue
        reserve = max(MIN_RESERVE, RESERVE_RATIO * limit)
        budget = min(budget, (left - reserve) * CALL_SHARE)
    return budget if budget >= MIN_CALL else 0.0
