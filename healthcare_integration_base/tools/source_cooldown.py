"""Per source address cool-down of refused webhook deliveries (pure Python).

A sender that keeps failing authentication (or posting to addresses that do not exist) is
answered ``429`` for a while *before anything touches the database*: the check runs in
the HTTP guard, ahead of Odoo's cursor. The memory is the process's: each Odoo worker
(``--workers=N``) and each server keeps its own, so a source may be refused up to
``limit`` times per worker before its cool-down starts there. That is the price of
writing nothing for noise; the aggregated audit entries and metrics still count every
refusal that reached a worker's database code.

Thread-safe (threaded server, HTTP test server); bounded in memory: at most
``max_sources`` addresses are remembered, the oldest forgotten first.
"""

import math
import threading
import time
from collections import OrderedDict

#: Refusals within ``WINDOW_SECONDS`` after which a source address is cooled down.
REFUSALS_BEFORE_COOLDOWN = 20
WINDOW_SECONDS = 60
COOLDOWN_SECONDS = 60
MAX_SOURCES = 10000


class SourceCooldown:
    """Counts refusals per source address in fixed windows and answers how long a source
    must still wait (0: let it through)."""

    def __init__(
        self,
        limit=REFUSALS_BEFORE_COOLDOWN,
        window=WINDOW_SECONDS,
        cooldown=COOLDOWN_SECONDS,
        max_sources=MAX_SOURCES,
        clock=time.monotonic,
    ):
        self.limit = limit
        self.window = window
        self.cooldown = cooldown
        self.max_sources = max_sources
        self.clock = clock
        self._lock = threading.Lock()
        # address -> [window start, refusals in the window, cooled down until, blocked]
        self._sources = OrderedDict()

    def retry_after(self, address):
        """Seconds ``address`` must still wait (0 when it may be served). A blocked
        request is counted, so :meth:`take_blocked` can report it later."""
        if not address:
            return 0
        now = self.clock()
        with self._lock:
            state = self._sources.get(address)
            if not state or state[2] <= now:
                return 0
            state[3] += 1
            return max(1, math.ceil(state[2] - now))

    def refused(self, address):
        """Record one refusal of ``address``; True when it starts a cool-down."""
        if not address:
            return False
        now = self.clock()
        with self._lock:
            state = self._sources.pop(address, None)
            if state is None or now - state[0] >= self.window:
                state = [now, 0, state[2] if state else 0.0, state[3] if state else 0]
            state[1] += 1
            started = state[1] >= self.limit and state[2] <= now
            if started:
                state[2] = now + self.cooldown
                state[0], state[1] = now, 0
            self._sources[address] = state  # most recent last
            while len(self._sources) > self.max_sources:
                self._sources.popitem(last=False)
            return started

    def take_blocked(self, address):
        """Requests of ``address`` answered 429 since the last call (then reset)."""
        with self._lock:
            state = self._sources.get(address)
            if not state:
                return 0
            blocked, state[3] = state[3], 0
            return blocked

    def reset(self):
        with self._lock:
            self._sources.clear()


#: The process's instance, shared by the HTTP guard and the webhook receiver.
COOLDOWN = SourceCooldown()
