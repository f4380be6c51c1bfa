"""Keyed hash chain of the audit log (HMAC-SHA256).

The key comes from outside the database (``HC_AUDIT_KEY`` or ``hc_audit_key`` in the Odoo
configuration file), so the database role alone cannot recompute the chain after
rewriting entries. Several keys may be given, separated by commas or spaces: the first
seals new entries, all of them verify (key rotation). Each sealed entry records the key
id (a fingerprint that does not reveal the key) of the key that sealed it.
Generate a key with ``python3 -c 'import secrets; print(secrets.token_urlsafe(32))'``.
"""

import hashlib
import hmac
import re

KEY_MIN_LENGTH = 16


class AuditKeyInvalidError(Exception):
    """A configured audit key is too short to be a secret."""


def load_keys(raw):
    """``{key id: key bytes}`` of the configured keys, the sealing key first (may raise)."""
    keys = {}
    parts = [part for part in re.split(r"[\s,]+", raw or "") if part]
    for position, part in enumerate(parts, start=1):
        if len(part) < KEY_MIN_LENGTH:
            # never include the key itself in the message
            raise AuditKeyInvalidError(
                f"audit key #{position} is shorter than {KEY_MIN_LENGTH} characters"
            )
        key = part.encode()
        keys[key_id(key)] = key
    return keys


def key_id(key):
    """A short fingerprint naming the key in the entries it sealed."""
    return hmac.new(key, b"hc-integration-audit key id", hashlib.sha256).hexdigest()[:16]


def seal_hash(key, position, prev_hash, content_hash):
    """The chain hash of the entry at ``position``: bound to the key, the position, the
    previous entry and the content (which holds the entry's time)."""
    message = f"{position}:{prev_hash}:{content_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_mac(key, position, last_hash):
    """Seal of the chain's head, so that deleting the latest entries and moving the head
    back to an earlier entry cannot go unnoticed."""
    message = f"head:{position}:{last_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
