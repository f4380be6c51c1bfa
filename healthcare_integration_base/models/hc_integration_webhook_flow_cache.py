import copy

from odoo import api, fields, models, tools

from ..tools import orm_cache

#: The backend's signing secrets, kept with the backend's values.
SIGNING_FIELDS = ("webhook_secret", "webhook_secret_previous")
#: ``cr.precommit.data`` key: ``{backend id: {field: ciphertext}}`` of this transaction.
SIGNING_DATA = "hc_integration.webhook_signing"

#: Every address that takes deliveries: the active inbound flows of active backends.
ADDRESSES_SQL = """
SELECT b.code, f.code, f.id, b.id
  FROM hc_integration_flow f
  JOIN hc_integration_backend b ON b.id = f.backend_id
 WHERE b.active AND f.active AND f.direction = 'inbound'
 ORDER BY f.id DESC
"""
SECRETS_SQL = """
SELECT res_id, field_name, ciphertext FROM hc_integration_secret
 WHERE res_model = 'hc.integration.backend' AND res_id IN %s AND field_name IN %s
"""


def _runtime_fields(model):
    """The fields the engine itself writes while it runs (a pull's position and outcome, a
    circuit's state; ``hc.integration.audited.mixin``): the receiver never reads them, so
    they stay out of the cache and writing them keeps it (a pull every minute would
    otherwise empty Odoo's whole default cache group, in every worker, each time)."""
    return frozenset(getattr(model, "_hc_audit_runtime_fields", ()))


def _column_fields(model):
    """The fields of ``model`` kept in the cache: stored columns, prefetched, neither
    translated nor company-dependent (their cache values depend on the context), nor
    written by the engine as it runs."""
    volatile = _runtime_fields(model)
    return [
        field
        for field in model._fields.values()
        if field.store
        and field.column_type
        and field.prefetch is True
        and not field.company_dependent
        and orm_cache.plain_field(model, field)
        and field.name != "id"
        and field.name not in volatile
    ]


# hc.integration.webhook is split by concern: the receiver's configuration cache here.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationWebhook(models.AbstractModel):
    """The flow, backend and signing secrets of a delivery without a query (issue 13).

    The receiver reads the flow and its backend on every delivery (content type, size
    limit, tolerance, handler, contract, priority…) and the backend's signing secrets.
    They are kept in Odoo's registry cache (``ormcache``), like access rights and record
    rules: per address that takes deliveries, the column values of the flow and its
    backend, and the secrets' ciphertext. Every create, update or unlink of a flow, a
    backend or a secret through the ORM empties it (see the classes below);
    Odoo signals that to the other workers and servers through the database, which each
    checks at the start of every request. A change written with raw SQL is not seen
    until the cache is emptied (``env.registry.clear_cache()``) or the server restarts,
    as for the rest of Odoo's configuration.
    """

    _inherit = "hc.integration.webhook"

    @api.model
    def _hc_find_flow(self, backend_code, flow_code):
        """The active inbound flow of an active backend, or an empty recordset; its and
        its backend's fields are in the ORM cache, the signing secrets in the
        transaction's data (see :meth:`_hc_signing_secrets`)."""
        flows = self.env["hc.integration.flow"]
        receiver = self._hc_receivers().get((str(backend_code), str(flow_code)))
        if not receiver:
            return flows
        flow_id, backend_id, flow_values, backend_values, secrets = receiver
        flow = flows.browse(flow_id)
        self._hc_warm(flow, flow_values)
        self._hc_warm(self.env["hc.integration.backend"].browse(backend_id), backend_values)
        signing = self.env.cr.precommit.data.setdefault(SIGNING_DATA, {})
        signing[backend_id] = dict(secrets)
        return flow

    @api.model
    @tools.ormcache()
    def _hc_receivers(self):
        """``{(backend code, flow code): (flow id, backend id, flow values, backend
        values, secrets)}`` of every address taking deliveries, read in four queries
        when the cache is empty (an unknown address then costs nothing); the values as
        ``((field, raw column value), ...)``, the secrets as ``((field name,
        ciphertext), ...)``."""
        self._hc_flush_configuration()
        cr = self.env.cr
        cr.execute(ADDRESSES_SQL)
        addresses = cr.fetchall()
        flow_rows = self._hc_rows("hc.integration.flow", {row[2] for row in addresses})
        backend_ids = {row[3] for row in addresses}
        backend_rows = self._hc_rows("hc.integration.backend", backend_ids)
        secrets = {}
        if backend_ids:
            cr.execute(SECRETS_SQL, (tuple(backend_ids), SIGNING_FIELDS))
            for backend_id, field_name, ciphertext in cr.fetchall():
                secrets.setdefault(backend_id, []).append((field_name, ciphertext))
        receivers = {
            (backend_code, flow_code): (
                flow_id,
                backend_id,
                flow_rows[flow_id],
                backend_rows[backend_id],
                tuple(secrets.get(backend_id, ())),
            )
            for backend_code, flow_code, flow_id, backend_id in addresses
        }
        return tools.frozendict(receivers)

    @api.model
    def _hc_flush_configuration(self):
        for model_name in ("hc.integration.flow", "hc.integration.backend"):
            self.env[model_name].flush_model()
        self.env["hc.integration.secret"].flush_model(["ciphertext"])

    @api.model
    def _hc_rows(self, model_name, record_ids):
        """``{id: ((field, raw column value), ...)}`` of the rows ``record_ids``, as the
        ORM fetches them."""
        if not record_ids:
            return {}
        model = self.env[model_name].sudo()
        columns = _column_fields(model)
        self.env.cr.execute(
            tools.SQL(
                "SELECT id, %s FROM %s WHERE id IN %s",
                tools.SQL(", ").join(tools.SQL.identifier(field.name) for field in columns),
                tools.SQL.identifier(model._table),
                tuple(record_ids),
            )
        )
        return {row[0]: tuple(zip(columns, row[1:], strict=True)) for row in self.env.cr.fetchall()}

    @api.model
    def _hc_warm(self, record, values):
        """Put the raw column ``values`` of ``record`` in the ORM cache, where it has none
        (as the ORM's own fetch does)."""
        orm_cache.insert_missing(
            record,
            [
                # dicts and lists are shared by every transaction of the registry
                (field, copy.deepcopy(value) if isinstance(value, dict | list) else value)
                for field, value in values
            ],
        )

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


class HcIntegrationReceiverConfiguration(models.AbstractModel):
    """Empties the receiver's cache when what it holds changes through the ORM."""

    _name = "hc.integration.receiver.configuration"
    _description = "Integration: receiver cache invalidation"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self._hc_receivers_changed()
        return records

    def write(self, vals):
        # at once: what this transaction reads next must not come from the cache
        result = super().write(vals)
        if set(vals) - _runtime_fields(self):
            self._hc_receivers_changed()
        return result

    def _write_multi(self, vals_list):
        # what every flush writes, stored computed and related fields too (they never pass
        # through write())
        result = super()._write_multi(vals_list)
        if set().union(*vals_list) - _runtime_fields(self):
            self._hc_receivers_changed()
        return result

    def unlink(self):
        result = super().unlink()
        self._hc_receivers_changed()
        return result

    def _hc_receivers_changed(self):
        """Empty ``hc.integration.webhook._hc_receivers`` here, and in every other worker
        and server once this transaction commits."""
        registry = self.env.registry
        registry.clear_cache()
        if registry.ready:
            # requests, RPC calls and crons signal after their commit; scripts (odoo
            # shell) do not: they would leave the other workers' caches stale
            self.env.cr.postcommit.add(registry.signal_changes)


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    _name = "hc.integration.flow"
    _inherit = ["hc.integration.flow", "hc.integration.receiver.configuration"]


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationBackend(models.Model):
    _name = "hc.integration.backend"
    _inherit = ["hc.integration.backend", "hc.integration.receiver.configuration"]


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationSecret(models.Model):
    _name = "hc.integration.secret"
    _inherit = ["hc.integration.secret", "hc.integration.receiver.configuration"]
