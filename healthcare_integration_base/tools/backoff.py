"""Exponential backoff with full jitter.

See the AWS Architecture Blog, "Exponential Backoff And Jitter".
"""

import random


def backoff_ceiling(attempt, base, cap):
    """Upper bound of the delay before retry number ``attempt`` (1-based), in seconds."""
    attempt = max(1, int(attempt))
    # 2 ** 63 overflows nothing in Python, but keep the exponent small anyway.
    return min(float(cap), float(base) * (2 ** min(attempt - 1, 62)))


def full_jitter_delay(attempt, base, cap, rng=random):
    """A random delay in ``[0, backoff_ceiling(attempt, base, cap)]`` seconds."""
    return rng.uniform(0, backoff_ceiling(attempt, base, cap))
