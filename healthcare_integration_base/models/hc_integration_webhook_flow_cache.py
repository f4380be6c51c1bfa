import copy

from odoo import api, fields, models, tools

#: The backend's signing secrets, read with the flow look-up.
SIGNING_FIELDS = ("webhook_secret", "webhook_secret_previous")
#: ``cr.precommit.data`` key: ``{backend id: {field: ciphertext}}`` of this transaction.
SIGNING_DATA = "hc_integration.webhook_signing"

#: One query per delivery: the flow addressed, the versions of its flow and backend
#: rows, and the backend's signing secrets (ciphertext). ``xmin`` (the transaction that
#: wrote the row version) changes with every committed update, raw SQL ones included;
#: ``ctid`` tells apart the versions one transaction writes (tests run in one).
LOOKUP_SQL = """
SELECT f.id, b.id,
       f.xmin::text || '/' || f.ctid::text,
       b.xmin::text || '/' || b.ctid::text,
       (SELECT array_agg(ARRAY[s.field_name, s.ciphertext])
          FROM hc_integration_secret s
         WHERE s.res_model = 'hc.integration.backend' AND s.res_id = b.id
           AND s.field_name IN %s)
  FROM hc_integration_flow f
  JOIN hc_integration_backend b ON b.id = f.backend_id
 WHERE b.code = %s AND f.code = %s AND b.active AND f.active AND f.direction = 'inbound'
 LIMIT 1
"""


def _column_fields(model):
    """The fields of ``model`` read with its row: stored columns, prefetched, neither
    translated nor company-dependent (their cache values depend on the context)."""
    return [
        field
        for field in model._fields.values()
        if field.store
        and field.column_type
        and field.prefetch is True
        and not field.translate
        and not field.company_dependent
        and field.name != "id"
    ]


# hc.integration.webhook is split by concern: the receiver's configuration cache here.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationWebhook(models.AbstractModel):
    """The flow, backend and signing secrets of a delivery from one query (issue 13).

    The receiver reads the flow and its backend on every delivery (content type, size
    limit, tolerance, handler, contract, priority…): two ORM fetches and a secrets query
    besides the look-up itself. Here the look-up also returns the row versions of both
    and the signing secrets' ciphertext; the rows' values are kept per registry
    (``ormcache``) under those versions and put in the ORM cache of the transaction, so a
    delivery costs this one query. A changed flow or backend has a new row version, hence
    a cache miss: nothing is served stale, whatever wrote the row.
    """

    _inherit = "hc.integration.webhook"

    @api.model
    def _hc_find_flow(self, backend_code, flow_code):
        """The active inbound flow of an active backend, or an empty recordset; its and
        its backend's fields are in the ORM cache, the signing secrets in the
        transaction's data (see :meth:`_hc_signing_secrets`)."""
        flows = self.env["hc.integration.flow"]
        if not backend_code or not flow_code:
            return flows
        for model_name in ("hc.integration.flow", "hc.integration.backend"):
            self.env[model_name].flush_model()
        self.env["hc.integration.secret"].flush_model(["ciphertext"])
        self.env.cr.execute(LOOKUP_SQL, (SIGNING_FIELDS, str(backend_code), str(flow_code)))
        row = self.env.cr.fetchone()
        if not row:
            return flows
        flow_id, backend_id, flow_version, backend_version, secrets = row
        flow = flows.browse(flow_id)
        backend = self.env["hc.integration.backend"].browse(backend_id)
        self._hc_warm(flow, self._hc_row_values(flow._name, flow_id, flow_version))
        self._hc_warm(backend, self._hc_row_values(backend._name, backend_id, backend_version))
        signing = self.env.cr.precommit.data.setdefault(SIGNING_DATA, {})
        signing[backend_id] = dict(secrets or ())
        return flow

    @api.model
    @tools.ormcache("model_name", "record_id", "version")
    def _hc_row_values(self, model_name, record_id, version):
        """``((field name, raw column value), ...)`` of one row at ``version`` (the key
        only: the row is read as it is now, which is that version or a newer one; a newer
        one has another key and is read again)."""
        model = self.env[model_name].sudo()
        names = [field.name for field in _column_fields(model)]
        self.env.cr.execute(
            tools.SQL(
                "SELECT %s FROM %s WHERE id = %s",
                tools.SQL(", ").join(tools.SQL.identifier(name) for name in names),
                tools.SQL.identifier(model._table),
                record_id,
            )
        )
        row = self.env.cr.fetchone()
        return tuple(zip(names, row, strict=True)) if row else ()

    @api.model
    def _hc_warm(self, record, values):
        """Put the raw column ``values`` of ``record`` in the ORM cache, where it has none
        (as the ORM's own fetch does)."""
        cache = self.env.cache
        for name, value in values:
            field = record._fields.get(name)
            if field is None:
                continue
            if isinstance(value, dict | list):
                value = copy.deepcopy(value)  # shared by every transaction of the registry
            cache.insert_missing(record, field, (value,))

    @api.model
    def _hc_signing_secrets(self, backend):
        """The signing secrets accepted now (current, then previous until its expiry),
        decrypted from what the look-up read; the backend's own query otherwise."""
        stored = self.env.cr.precommit.data.get(SIGNING_DATA, {}).get(backend.id)
        if stored is None:
            return backend._get_webhook_secrets()
        names = ["webhook_secret"]
        expiry = backend.webhook_secret_previous_expiry
        if expiry and expiry > fields.Datetime.now():
            names.append("webhook_secret_previous")
        rows = [(name, stored[name]) for name in names if stored.get(name)]
        found = self.env["hc.integration.secret"].sudo()._hc_decrypt_rows(backend, rows)
        return [found[name] for name in names if found.get(name)]
