"""Check that PostgreSQL answers, optionally dropping a database (used by the Makefile).

Usage: check_postgres.py [--drop DBNAME] [--db_host=H] [--db_port=P] [--db_user=U]
Exit 0 when the server answers, 1 otherwise. Connection flags are Odoo's own.
"""

import sys

import psycopg2
from psycopg2 import sql


def _connect_kwargs(argv):
    kwargs = {"dbname": "postgres"}
    for arg in argv:
        for flag, key in (
            ("--db_host=", "host"),
            ("--db_port=", "port"),
            ("--db_user=", "user"),
            ("--db_password=", "password"),
        ):
            if arg.startswith(flag):
                kwargs[key] = arg[len(flag) :]
    return kwargs


def main(argv):
    drop = None
    if argv[:1] == ["--drop"]:
        drop, argv = argv[1], argv[2:]
    try:
        conn = psycopg2.connect(connect_timeout=5, **_connect_kwargs(argv))
    except psycopg2.OperationalError as error:
        print(f"PostgreSQL: {str(error).strip()}", file=sys.stderr)
        return 1
    conn.autocommit = True
    if drop:
        with conn.cursor() as cr:
            cr.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(drop))
            )
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
