import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import config

import odoo.addons

from ..tools import extract_files

CODE_RE = re.compile(r"^[a-z0-9_]{1,64}$")
SYSTEM_GROUP = "base.group_system"
READER_GROUP = "healthcare_integration_base.group_integration_extract_reader"


class HcIntegrationExtract(models.Model):
    """A governed extract of integration facts for the data warehouse.

    An extract exports one registered dataset (``hc.integration.extract.dataset``: fixed,
    minimum-necessary columns) incrementally, by watermark, as CSV or JSON Lines: either
    as files written to a server folder by a cron, or served page by page at
    ``GET /healthcare/extract/<code>?after=<watermark>`` to the users of a group.

    It is a model of its own rather than a flow direction: a flow is queue traffic
    (messages, handlers, retries, schemas, circuit breaker) that every engine query selects
    by direction, while an extract produces no messages; its state is a watermark and the
    result of its last run. It still belongs to a backend (the warehouse), whose company
    scopes its rows, and its configuration changes go to the audit log like flows'.
    """

    _name = "hc.integration.extract"
    _description = "Integration Extract"
    _inherit = ["hc.integration.audited.mixin"]
    _order = "backend_id, name"
    _hc_audit_action = "extract"
    _hc_audit_runtime_fields = (
        "watermark",
        "pending_watermark",
        "next_run_at",
        "last_run_at",
        "last_watermark_from",
        "last_row_count",
        "last_sha256",
        "last_file_name",
        "last_error",
    )

    name = fields.Char(required=True)
    code = fields.Char(
        required=True,
        help="Lower-case letters, digits and underscores; names the files and the pull URL "
        "/healthcare/extract/<code>.",
    )
    active = fields.Boolean(default=True)
    backend_id = fields.Many2one(
        "hc.integration.backend",
        string="Warehouse",
        required=True,
        ondelete="restrict",
        index=True,
        help="The system receiving the extract; only rows of its company are exported.",
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    dataset = fields.Selection(selection="_selection_dataset", required=True)
    column_names = fields.Char(string="Columns", compute="_compute_column_names")
    file_format = fields.Selection(
        [("csv", "CSV"), ("jsonl", "JSON Lines")], string="Format", required=True, default="csv"
    )
    destination = fields.Selection(
        [("folder", "Folder on the server"), ("pull", "Pull endpoint")],
        required=True,
        default="folder",
    )
    folder_path = fields.Char(
        string="Folder",
        help="Absolute path of an existing folder the Odoo server can write to. Only "
        "administrators may set it.",
    )
    allowed_group_id = fields.Many2one(
        "res.groups",
        string="Allowed group",
        default=lambda self: self.env.ref(READER_GROUP, raise_if_not_found=False),
        help="Users of this group may pull the extract with their API key.",
    )
    chunk_rows = fields.Integer(
        string="Rows per file or page",
        default=10000,
        help="A run writes as many files of at most this many rows as there are new rows.",
    )
    interval_minutes = fields.Integer(string="Every (min)", default=24 * 60)
    settle_seconds = fields.Integer(
        string="Settle delay (s)",
        default=300,
        help="Rows changed in the last seconds are left for the next run, so that a "
        "transaction still open when the extract runs is not skipped.",
    )
    next_run_at = fields.Datetime(string="Next run", copy=False)
    # --- runtime: written by the runs only ---------------------------------------------------
    watermark = fields.Char(
        readonly=True,
        copy=False,
        default=extract_files.START,
        help="Position of the last row extracted: the next run starts after it.",
    )
    pending_watermark = fields.Char(
        readonly=True,
        copy=False,
        help="End of a file being written: a run interrupted before the watermark moved "
        "writes the same rows to the same file again.",
    )
    last_run_at = fields.Datetime(readonly=True, copy=False)
    last_watermark_from = fields.Char(string="Last run from", readonly=True, copy=False)
    last_row_count = fields.Integer(string="Last run rows", readonly=True, copy=False)
    last_sha256 = fields.Char(string="Last SHA-256", readonly=True, copy=False)
    last_file_name = fields.Char(string="Last file", readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("code_unique", "unique(code)", "An extract with this code already exists."),
    ]

    @api.model
    def _selection_dataset(self):
        datasets = self.env["hc.integration.extract.dataset"]._hc_datasets()
        return [(code, dataset.label) for code, dataset in datasets.items()]

    def _hc_dataset(self):
        self.ensure_one()
        dataset = self.env["hc.integration.extract.dataset"]._hc_dataset(self.dataset)
        if not dataset:
            raise ValidationError(
                self.env._("The dataset of extract %s is not available.", self.code)
            )
        return dataset

    @api.depends("dataset")
    def _compute_column_names(self):
        Datasets = self.env["hc.integration.extract.dataset"]
        for extract in self:
            dataset = Datasets._hc_dataset(extract.dataset) if extract.dataset else None
            extract.column_names = (
                ", ".join(column.name for column in dataset.columns) if dataset else False
            )

    def _hc_audit_backend(self):
        return self.backend_id

    # ------------------------------------------------------------------------------------
    # Configuration rules
    # ------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._hc_check_writable(vals)
        if any(vals.get("folder_path") for vals in vals_list):
            self._hc_check_folder_admin()
        return super().create(vals_list)

    def write(self, vals):
        self._hc_check_writable(vals)
        if "folder_path" in vals:
            self._hc_check_folder_admin()
        return super().write(vals)

    def _hc_check_writable(self, vals):
        """The watermark and the last run's figures are the runs' own (written with
        sudo): moving a watermark by hand would skip or repeat rows without a trace."""
        engine_fields = set(self._hc_audit_runtime_fields) - {"next_run_at"}
        if not self.env.su and engine_fields & set(vals):
            raise AccessError(
                self.env._("The watermark and the results of an extract are set by its runs.")
            )

    def _hc_check_folder_admin(self):
        """Choosing where the server writes files is an administrator's decision."""
        if not (self.env.su or self.env.user.has_group(SYSTEM_GROUP)):
            raise AccessError(self.env._("Only administrators may set the folder of an extract."))

    @api.constrains("code")
    def _check_code(self):
        for extract in self:
            if not CODE_RE.match(extract.code or ""):
                raise ValidationError(
                    self.env._(
                        "The code of an extract holds lower-case letters, digits and "
                        "underscores only (at most 64)."
                    )
                )

    @api.constrains("chunk_rows", "interval_minutes", "settle_seconds")
    def _check_sizes(self):
        for extract in self:
            if not 1 <= extract.chunk_rows <= 1_000_000:
                raise ValidationError(
                    self.env._("Rows per file or page must be between 1 and 1,000,000.")
                )
            if extract.interval_minutes < 1 or extract.settle_seconds < 0:
                raise ValidationError(
                    self.env._("The interval must be positive and the settle delay not negative.")
                )

    @api.constrains("destination", "folder_path", "allowed_group_id")
    def _check_destination(self):
        for extract in self:
            if extract.destination == "pull" and not extract.allowed_group_id:
                raise ValidationError(
                    self.env._("A pulled extract needs the group allowed to pull it.")
                )
            if extract.destination == "folder":
                problem = extract._hc_folder_problem()
                if problem:
                    raise ValidationError(
                        self.env._(
                            "Extract %(code)s: %(problem)s.", code=extract.code, problem=problem
                        )
                    )

    def _hc_folder_problem(self):
        """Why the folder cannot receive this extract's files, or None."""
        self.ensure_one()
        forbidden = [config.get("data_dir"), *odoo.addons.__path__]
        forbidden += (config.get("addons_path") or "").split(",")
        return extract_files.folder_problem(self.folder_path, [r.strip() for r in forbidden if r])
