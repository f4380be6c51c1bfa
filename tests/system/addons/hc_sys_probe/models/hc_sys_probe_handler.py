import os
import socket
import time

from odoo import models

#: An I/O-bound pause per message, so that a batch lasts long enough to be interrupted.
PAUSE_SECONDS = 0.03


class HcSysProbeHandler(models.AbstractModel):
    """The sample contact upsert, plus a journal row saying which process applied it."""

    _name = "hc.sys.probe.handler"
    _inherit = "hc.integration.handler.sample"
    _description = "System test: journalled contact upsert"
    _hc_schema_module = "healthcare_integration_base"

    def _hc_process(self, message):
        result = super()._hc_process(message)
        time.sleep(PAUSE_SECONDS)
        self.env["hc.sys.probe.journal"].sudo().create(
            {
                "message_id": message.id,
                "external_id": message.external_id,
                "worker_pid": os.getpid(),
                "server_pid": os.getppid(),
                "host": socket.gethostname(),
            }
        )
        return result
