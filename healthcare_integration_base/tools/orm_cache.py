"""Filling the ORM cache of one record from values already at hand (issue 13).

Every delivery puts some 120 column values in the transaction's ORM cache: its flow's
and backend's (from the registry cache) and its new message's (just inserted), so that
nothing reads them back. ``Cache.insert_missing`` costs a few microseconds per call
(field cache lookup, translation and context checks, for a list of records); here it
is one ``setdefault`` per value, for the fields where that is all it does.
"""


def plain_field(model, field):
    """True when the cache holds ``field``'s value of a record directly (stored column,
    neither translated nor dependent on the context)."""
    return not field.translate and field not in model.pool.field_depends_context


def insert_missing(record, pairs):
    """Cache ``(field, value)`` ``pairs`` of the single ``record`` where it has no value,
    as ``Cache.insert_missing`` does: the fields must be plain (:func:`plain_field`)
    and the values in cache format (an id for a many2one)."""
    data = record.env.cache._data  # pylint: disable=protected-access
    record_id = record.id
    for field, value in pairs:
        data[field].setdefault(record_id, value)
