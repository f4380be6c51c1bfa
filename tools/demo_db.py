"""Exit 0 when the demo database has the suite installed, 1 otherwise (used by `make demo`)."""

import os
import sys

import psycopg2
from check_postgres import _connect_kwargs

#: The suite, and what `make demo` installs with it (HC_DEMO_ADDONS: the templates' apps).
ADDONS = tuple(
    os.environ.get(
        "HC_DEMO_ADDONS", "healthcare_integration_base,healthcare_hr_sync,healthcare_rcm_sync"
    ).split(",")
)


def main(dbname, argv):
    kwargs = _connect_kwargs(argv)
    kwargs["dbname"] = dbname
    try:
        conn = psycopg2.connect(connect_timeout=5, **kwargs)
    except psycopg2.OperationalError:
        return 1
    with conn, conn.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM ir_module_module WHERE name IN %s AND state = 'installed'",
            (ADDONS,),
        )
        installed = cr.fetchone()[0]
    conn.close()
    if installed == len(ADDONS):
        print(f"Reusing database '{dbname}' (the suite is installed).")
        return 0
    print(
        f"Database {dbname!r} exists without the whole suite: installing it there.", file=sys.stderr
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
