import logging
import os
from datetime import datetime, timedelta
from functools import partial

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

#: Files still being written (by convention) are left alone by the inbound folder pickup.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".filepart")
#: The reason written beside a rejected file: value-free, kept when the file is purged.
REASON_SUFFIX = ".reason.txt"
#: Subfolders whose files hold payloads (patient names): purged after the retention.
PURGED_SUBFOLDERS = ("processed", "error")


class HcRcmHandlerRemittance(models.AbstractModel):
    """The 835 inbound folder: files dropped on the server are queued like uploads, then
    moved to ``processed/`` or ``error/``."""

    _inherit = "hc.rcm.handler.remittance"

    @api.model
    def _cron_hc_rcm_pickup_inbound(self, limit=50):
        """Queue the 835 files found in each company's inbound folder.

        Each file goes through :meth:`_hc_rcm_ingest` in its own savepoint. It is moved to
        ``processed/`` (queued, or already received) or ``error/`` (unreadable, with a
        ``.reason.txt`` beside it) only after the transaction commits: if the commit fails,
        the file stays where it was and the next run picks it up again (the file's hash
        makes that idempotent). Nothing accepted is lost, nothing is queued twice.
        """
        companies = self.env["res.company"].sudo().search([("hc_rcm_inbound_folder", "!=", False)])
        done = remaining = 0
        for company in companies:
            folder, flow = company.hc_rcm_inbound_folder, company.hc_rcm_inbound_flow_id
            if not flow or not os.path.isdir(folder):
                _logger.warning(
                    "835 inbound folder of %s: missing folder or intake flow", company.name
                )
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if (
                    name.startswith(".")
                    or name.lower().endswith(PARTIAL_SUFFIXES)
                    or not os.path.isfile(path)
                ):
                    continue
                if done >= limit:
                    remaining += 1
                    continue
                self._hc_rcm_pickup_file(flow, folder, name)
                done += 1
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _hc_rcm_pickup_file(self, flow, folder, name):
        """Ingest one file of the inbound folder; returns ``(target subfolder, status)``."""
        path = os.path.join(folder, name)
        with open(path, "rb") as handle:
            data = handle.read(flow.max_body_bytes + 1)
        reason = None
        try:
            with self.env.cr.savepoint():
                message, status = self.sudo()._hc_rcm_ingest(flow, data)
        except UserError as error:
            target, status, reason = "error", "rejected", str(error.args[0])
            summary = f"835 inbound file rejected: {reason.splitlines()[0][:200]}"
            message = None
        else:
            target = "processed"
            summary = f"835 inbound file queued ({status})"
        self.env["hc.integration.audit"]._log(
            "rcm.835_inbound", summary, message=message, backend=flow.backend_id
        )
        _logger.info("835 inbound file %s: %s, moved to %s/ after commit", name, status, target)
        self.env.cr.postcommit.add(partial(_move_file, folder, name, target, reason))
        return target, status

    @api.model
    def _cron_hc_rcm_purge_inbound(self):
        """Delete the files of ``processed/`` and ``error/`` older than the payload retention
        (``hc_integration.payload_retention_days``, like message payloads): they hold what
        the parser drops (patient names, member ids). The reason file of a rejected file
        stays. One audit entry per folder counts what is deleted; the files go only after
        the audit commits, so no deletion is ever unaudited."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("hc_integration.payload_retention_days", 30)
        )
        if days <= 0:
            return 0
        limit = (fields.Datetime.now() - timedelta(days=days)).timestamp()
        companies = self.env["res.company"].sudo().search([("hc_rcm_inbound_folder", "!=", False)])
        total = 0
        for company in companies:
            paths = _expired_files(company.hc_rcm_inbound_folder, limit)
            if not paths:
                continue
            total += len(paths)
            self.env["hc.integration.audit"]._log(
                "rcm.835_inbound_purge",
                f"835 inbound folder: {len(paths)} processed or rejected file(s) deleted after "
                f"the {days}-day payload retention (reason files kept)",
                backend=company.hc_rcm_inbound_flow_id.backend_id or None,
            )
            self.env.cr.postcommit.add(partial(_delete_files, paths))
        return total


def _expired_files(folder, limit):
    """Payload files of ``processed/`` and ``error/`` last modified before ``limit``."""
    paths = []
    for subfolder in PURGED_SUBFOLDERS:
        directory = os.path.join(folder, subfolder)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if name.endswith(REASON_SUFFIX) or not os.path.isfile(path):
                continue
            if os.stat(path).st_mtime < limit:
                paths.append(path)
    return paths


def _delete_files(paths):
    """Delete ``paths``; runs after commit."""
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError:
            _logger.exception("835 inbound folder: a purged file could not be deleted")


def _move_file(folder, name, target, reason=None):
    """Move ``folder/name`` into ``folder/target/`` (never overwriting), with a reason file
    for rejected files. Runs after commit."""
    directory = os.path.join(folder, target)
    os.makedirs(directory, exist_ok=True)
    destination = os.path.join(directory, name)
    if os.path.exists(destination):
        destination += datetime.now().strftime(".%Y%m%d%H%M%S%f")
    try:
        os.replace(os.path.join(folder, name), destination)
        if reason:
            with open(destination + REASON_SUFFIX, "w", encoding="utf-8") as handle:
                handle.write(reason + "\n")
    except OSError:
        _logger.exception("835 inbound file %s could not be moved to %s/", name, target)
