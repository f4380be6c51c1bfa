#!/usr/bin/env python3
"""Screenshots of the exception desk for the README, taken from a running demo with
headless Chromium through the DevTools protocol (``make screenshots``).

Against ``--url`` (database ``--db``, login admin/admin by default) it:

1. logs in over JSON-RPC and, when the desk has no group of several exceptions, plays the
   demo traffic (``tools/demo_sender.py``) plus a burst with one cause each — hires in a
   department code the HRIS just introduced, 835 files of a payer nobody mapped — and a
   bank deposit of the demo's first remittance (so the 835 → bank chain has a figure);
2. saves ``docs/screenshots/desk_groups.png`` (the grouped desk),
   ``desk_map_once.png`` (*Map once* on the department row: the mapping with its
   suggested targets) and ``dashboard_business_sla.png`` (the flow cards with their
   business SLA and chain figures).

Nothing is installed: Debian's ``/usr/bin/chromium`` and ``websocket-client`` (an Odoo
requirement) are enough. Demo data only: never point it at a database with real data.
"""

import argparse
import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_sender
import demo_sender_hr
import demo_sender_rcm
from demo_client import WebhookClient

ROOT = Path(__file__).resolve().parent.parent
DESK = "/odoo/action-healthcare_integration_base.hc_integration_exception_group_action"
DASHBOARD = "/odoo/action-healthcare_integration_base.hc_integration_flow_action_dashboard"
#: the burst: a department code the HRIS just introduced, a payer nobody mapped
NEW_DEPARTMENT, HIRES = "EMERG", 12
NEW_PAYER, REMITTANCES = "DELTAHP", 10


class RpcError(Exception):
    """Odoo refused a JSON-RPC call."""


class Odoo:
    """JSON-RPC as one user, with the session cookie the browser reuses."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.http = requests.Session()
        answer = self._post(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        if not answer.get("uid"):
            raise SystemExit(f"Login as {login} refused by {self.url} (database {db}).")
        self.uid = answer["uid"]

    def _post(self, path, params):
        response = self.http.post(
            self.url + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            raise RpcError(f"{path}: {body['error'].get('data', {}).get('message')}")
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self._post(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    @property
    def session_id(self):
        return self.http.cookies.get("session_id")


# ------------------------------------------------------------------------------------------
# Demo exceptions
# ------------------------------------------------------------------------------------------
def largest_group(odoo):
    rows = odoo.call(
        "hc.integration.exception.group",
        "search_read",
        [],
        ["exception_count"],
        limit=1,
        order="exception_count desc",
    )
    return rows[0]["exception_count"] if rows else 0


def send_burst(url):
    """The demo traffic, then one cause each for the desk: new department, unknown payer."""
    demo_sender.main(["--url", url])
    today = datetime.date.today()
    client = WebhookClient(url)
    for index in range(HIRES):
        employee = demo_sender_hr._employee(
            f"HR-3{index:03d}", "Demo", f"Hire{index}", "RN", NEW_DEPARTMENT, "CC-4410", "MAIN"
        )
        body = demo_sender_hr._envelope("employee.upsert", today, 120 + index, employee=employee)
        client.post(
            demo_sender_hr.BACKEND,
            "employee_upsert",
            body,
            event_id=f"desk-shot-{today:%Y%m%d}-hire-{index}",
        )
    control = int(today.strftime("%y%j")) * 10 + 5
    for index in range(REMITTANCES):
        trace = f"DLT{today:%Y%m%d}{index:02d}"
        body = demo_sender_rcm._header(today, "75.00", trace, NEW_PAYER, "DELTA HEALTH PLAN") + [
            f"CLP*DLT-{today:%m%d}-{index:02d}*1*100.00*75.00*0*12*ICND{index:02d}*11*1",
            "CAS*CO*45*25.00",
        ]
        data = demo_sender_rcm._interchange(today, control + index, [body])
        client.post(
            demo_sender_rcm.CLEARINGHOUSE,
            "remittance_835",
            data,
            event_id=f"desk-shot-{trace}",
            content_type=demo_sender_rcm.X12,
        )


def deposit_first_remittance(odoo, grant_accounting):
    """The bank deposit of the demo's first unmatched payer payment, labelled with its
    trace number: matched and reconciled at once, which ends the 835 → bank chain."""
    rows = odoo.call(
        "hc.rcm.remittance",
        "search_read",
        [("payment_id.is_matched", "=", False), ("amount", ">", 0)],
        ["payer_code", "trace_number", "amount", "company_id"],
        limit=1,
        order="id",
    )
    journal = (
        rows
        and odoo.call(
            "res.company", "read", [rows[0]["company_id"][0]], ["hc_rcm_payment_journal_id"]
        )[0]["hc_rcm_payment_journal_id"]
    )
    if not journal:
        return
    values = {
        "journal_id": journal[0],
        "date": datetime.date.today().isoformat(),
        "payment_ref": f"{rows[0]['payer_code']} {rows[0]['trace_number']}",
        "amount": rows[0]["amount"],
    }
    try:
        odoo.call("account.bank.statement.line", "create", values)
    except RpcError as error:
        if not grant_accounting:
            print(f"No bank deposit, the 835 → bank chain stays empty: {error}")
            return
        grant_full_accounting(odoo)
        odoo.call("account.bank.statement.line", "create", values)


def grant_full_accounting(odoo):
    """What a bookkeeper has to import bank statements in Community: *Show Full
    Accounting Features* (demo databases only)."""
    group = odoo.call(
        "ir.model.data",
        "search_read",
        [("module", "=", "account"), ("name", "=", "group_account_user")],
        ["res_id"],
    )[0]["res_id"]
    odoo.call("res.users", "write", [odoo.uid], {"groups_id": [(4, group)]})
    print("Granted Show Full Accounting Features to the demo login (bank statements).")


def ensure_exceptions(odoo, url, wait):
    """A desk worth a picture: groups of several exceptions (the crons process the queue)."""
    if largest_group(odoo) >= 5:
        return
    send_burst(url)
    deadline = time.monotonic() + wait
    while largest_group(odoo) < min(HIRES, REMITTANCES) and time.monotonic() < deadline:
        time.sleep(5)


# ------------------------------------------------------------------------------------------
# Headless Chromium over the DevTools protocol
# ------------------------------------------------------------------------------------------
class Chromium:
    def __init__(self, binary, port, width, height):
        self.profile = tempfile.mkdtemp(prefix="hc-desk-shots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ws = websocket.create_connection(
            self._page_socket(port), timeout=60, suppress_origin=True
        )
        self.next_id = 0
        self.resize(width, height)

    def resize(self, width, height):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    @staticmethod
    def _page_socket(port):
        for _attempt in range(100):
            try:
                pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                return next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
            except (requests.RequestException, StopIteration, ValueError):
                time.sleep(0.2)
        raise SystemExit(f"Chromium did not open its DevTools port {port}.")

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        check = f"!!document.querySelector({json.dumps(selector)})"
        deadline = time.monotonic() + timeout
        while not self.evaluate(check):
            if time.monotonic() > deadline:
                raise SystemExit(f"Timed out waiting for {selector}.")
            time.sleep(0.3)
        time.sleep(1.5)  # let the web client finish rendering (fonts, avatars)

    def open(self, url, selector):
        self.send("Page.navigate", url=url)
        self.wait_for(selector)

    def click(self, selector):
        if not self.evaluate(
            f"(e => e ? (e.click(), true) : false)(document.querySelector({json.dumps(selector)}))"
        ):
            raise SystemExit(f"Nothing to click: {selector}.")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def take_screenshots(browser, odoo, out, dashboard_size):
    browser.send("Network.enable")
    host = odoo.url.split("//", 1)[1].split("/")[0].split(":")[0]
    browser.send(
        "Network.setCookie",
        name="session_id",
        value=odoo.session_id,
        domain=host,
        path="/",
        httpOnly=True,
    )
    browser.open(odoo.url + DESK, ".o_list_view .o_data_row")
    browser.screenshot(out / "desk_groups.png")
    row = f".o_data_row:has(td[data-tooltip*='{NEW_DEPARTMENT}']) button[name='action_map_value']"
    if not browser.evaluate(f"!!document.querySelector({json.dumps(row)})"):
        row = "button[name='action_map_value']"
    browser.click(row)
    browser.wait_for(".modal .o_form_view")
    browser.screenshot(out / "desk_map_once.png")
    browser.resize(*dashboard_size)
    browser.open(odoo.url + DASHBOARD, ".o_kanban_record .o_hc_business_chain")
    browser.screenshot(out / "dashboard_business_sla.png")


def size(text):
    """``(width, height)`` of ``WIDTHxHEIGHT``."""
    width, height = (int(value) for value in text.lower().split("x"))
    return width, height


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port = os.environ.get("HC_HTTP_PORT", "8069")
    parser.add_argument("--url", default=f"http://localhost:{port}")
    parser.add_argument("--db", default=os.environ.get("HC_DEMO_DB", "healthcare_demo"))
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument(
        "--debug-port",
        type=int,
        default=int(port) + 1,
        help="Chromium's DevTools port (default: the HTTP port + 1)",
    )
    parser.add_argument("--size", default="1600x860", help="viewport of the desk, WxH")
    parser.add_argument("--dashboard-size", default="1600x1100", help="of the dashboard, WxH")
    parser.add_argument(
        "--wait", type=int, default=240, help="seconds to wait for the crons to process the burst"
    )
    parser.add_argument(
        "--grant-accounting",
        action="store_true",
        help="give the login Show Full Accounting Features if it may not create the deposit",
    )
    args = parser.parse_args(argv)
    odoo = Odoo(args.url, args.db, args.login, args.password)
    ensure_exceptions(odoo, args.url, args.wait)
    deposit_first_remittance(odoo, args.grant_accounting)
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = size(args.size)
    browser = Chromium(args.chromium, args.debug_port, width, height)
    try:
        take_screenshots(browser, odoo, args.out, size(args.dashboard_size))
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
