"""Test-only addon for ``tests/benchmarks/bench_webhook_ingest.py``: the baseline the
webhook receiver is compared with. It is never on the production addons path; the
benchmark adds ``tests/benchmarks/addons`` and installs it in its own database only."""

from . import controllers


def create_floor_table(env):
    env.cr.execute(
        """
        CREATE TABLE IF NOT EXISTS hc_bench_floor (
            id bigserial PRIMARY KEY,
            received_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
            body bytea NOT NULL
        )
        """
    )
