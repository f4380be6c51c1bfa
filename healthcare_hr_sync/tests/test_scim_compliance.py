"""The third-party SCIM compliance suite (scim2-tester, with scim2-client's httpx2
engine) against ``/scim/v2`` over real HTTP: no check may end in an error."""

import logging
import sys

from odoo.tests import tagged

from .scim_common import TOKEN, ScimCase

_logger = logging.getLogger(__name__)

try:
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server
except ImportError:  # pragma: no cover - requirements.txt installs them
    check_server = None


@tagged("post_install", "-at_install")
class TestScimCompliance(ScimCase):
    def test_scim2_tester_reports_no_error(self):
        self.assertTrue(check_server, "scim2-tester and scim2-client[httpx2] are required")
        self.authenticate(None, None)  # a session naming the test database
        client = httpx2.Client(
            base_url=f"{self.base_url()}/scim/v2",
            headers={"Authorization": f"Bearer {TOKEN}"},
            cookies=dict(self.opener.cookies),
            timeout=30,
        )
        self.addCleanup(client.close)
        results = check_server(SyncSCIMClient(client))
        counts = {}
        for result in results:
            counts[result.status.name] = counts.get(result.status.name, 0) + 1
        _logger.info("scim2-tester summary: %s", counts)
        sys.stdout.write(f"\nscim2-tester summary: {dict(sorted(counts.items()))}\n")
        failures = [
            f"{result.title}: {result.reason}"
            for result in results
            if result.status in (Status.ERROR, Status.CRITICAL)
        ]
        self.assertFalse(failures, "\n".join(failures))
        self.assertGreater(counts.get("SUCCESS", 0), 20, counts)
