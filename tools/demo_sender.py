"""Play the demo's external systems against a running demo (``make demo-traffic``).

The HRIS part lives in ``demo_sender_hr.py``, the billing system and clearinghouse part in
``demo_sender_rcm.py``, the declarative templates' systems (supplier portal, warehouse,
facilities, CRM, clinical) in ``demo_sender_templates.py``; each exposes
``run(base_url, secret=None)``.
"""

import argparse
import importlib
import os
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PARTS = ("demo_sender_hr", "demo_sender_rcm", "demo_sender_templates")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--url", default=f"http://localhost:{os.environ.get('HC_HTTP_PORT', '8069')}"
    )
    parser.add_argument("--secret", default=None, help="whsec_… (default: HC_DEMO_WEBHOOK_SECRET)")
    parser.add_argument("--only", choices=("hr", "rcm", "templates"), help="play one part only")
    parser.add_argument("--db", default=None, help="demo database, for the templates' set-up")
    args = parser.parse_args(argv)
    try:
        requests.get(f"{args.url}/web/health", timeout=5).raise_for_status()
    except requests.RequestException as error:
        print(f"The demo does not answer at {args.url} ({error}). Start it with `make demo`.")
        return 2
    for part in PARTS:
        if args.only and not part.endswith(args.only):
            continue
        module = importlib.import_module(part)
        print(f"== {part} ==")
        extra = {"db": args.db} if part == "demo_sender_templates" else {}
        module.run(args.url, secret=args.secret, **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
