from odoo import fields, models


class HcSysProbeJournal(models.Model):
    """One row per processing of a message, written in the handler's transaction: a
    message processed twice (by two workers, or again after a commit) has two rows."""

    _name = "hc.sys.probe.journal"
    _description = "System test: one processing of a message"

    message_id = fields.Integer(required=True, index=True)
    external_id = fields.Char()
    worker_pid = fields.Integer(help="The cron worker (prefork) or server process (threaded).")
    server_pid = fields.Integer(help="The prefork master that the worker belongs to.")
    host = fields.Char()
