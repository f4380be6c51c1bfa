"""A tiny Standard Webhooks sender, used by the demo sender scripts and benchmarks.

No Odoo import: the signing helper of the base addon is loaded by file path.
"""

import importlib.util
import json
import os
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtISE="


def _load_standard_webhooks():
    path = ROOT / "healthcare_integration_base" / "tools" / "standard_webhooks.py"
    spec = importlib.util.spec_from_file_location("hc_standard_webhooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


standard_webhooks = _load_standard_webhooks()


class WebhookClient:
    """Signs and posts events to ``{base_url}/healthcare/webhook/{backend}/{flow}``."""

    def __init__(self, base_url, secret=None, timeout=30, session=None):
        self.base_url = base_url.rstrip("/")
        self.secret = secret or os.environ.get("HC_DEMO_WEBHOOK_SECRET") or DEFAULT_SECRET
        self.timeout = timeout
        self.session = session or requests.Session()

    def post(self, backend, flow, body, event_id=None, content_type="application/json"):
        """POST one event; ``body`` is a dict (sent as JSON) or bytes/str (sent as is)."""
        if isinstance(body, dict):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
        event_id = event_id or f"evt_{uuid.uuid4().hex}"
        headers = standard_webhooks.sign_headers(self.secret, event_id, data)
        headers["Content-Type"] = content_type
        url = f"{self.base_url}/healthcare/webhook/{backend}/{flow}"
        return self.session.post(url, data=data, headers=headers, timeout=self.timeout)


def post_events(client, traffic, out=print):
    """POST each ``(backend, label, flow, event_id, body)`` of ``traffic``, printing one line
    each (and the answer's start when it is an error); returns ``[(label, HTTP status)]``,
    599 when Odoo did not answer."""
    results = []
    for backend, label, flow, event_id, body in traffic:
        try:
            response = client.post(backend, flow, body, event_id=event_id)
        except requests.RequestException as error:
            out(f"---  {flow:<20} {label}: Odoo did not answer ({type(error).__name__})")
            results.append((label, 599))
            continue
        results.append((label, response.status_code))
        out(f"{response.status_code}  {flow:<20} {label}")
        if response.status_code >= 400:
            out(f"     {response.text[:300]}")
    return results
