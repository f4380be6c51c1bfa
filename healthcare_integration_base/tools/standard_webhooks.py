"""Standard Webhooks (https://www.standardwebhooks.com) signing and verification.

Headers: ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(space-separated ``v1,<base64 HMAC-SHA256>`` entries). The signed content is
``"{id}.{timestamp}.{raw body}"`` and the key is the base64-decoded part of a
``whsec_…`` secret (the prefix is optional). Pure Python: usable by senders too.
"""

import base64
import binascii
import hashlib
import hmac
import time

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(Exception):
    """The request is not authentic: missing/invalid signature or stale timestamp.

    The message is safe to return to the caller (it never contains a secret).
    """


def decode_secret(secret):
    """Key bytes of a ``whsec_…`` secret (prefix optional)."""
    if not secret:
        raise ValueError("empty secret")
    value = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the secret is not base64") from error


def sign(secret, msg_id, timestamp, body):
    """The ``v1,<base64>`` signature of ``body`` (bytes or str)."""
    if isinstance(body, str):
        body = body.encode()
    content = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(decode_secret(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_headers(secret, msg_id, body, timestamp=None):
    """The three headers a sender adds to a POST of ``body``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secrets, headers, body, tolerance=DEFAULT_TOLERANCE, now=None):
    """Check the headers of a received request against one or several secrets.

    ``headers`` is any mapping with case-insensitive or lower-case keys. Returns the
    ``webhook-id``. Raises :class:`WebhookVerificationError` (never anything else) when
    the request is not authentic.
    """
    msg_id = _header(headers, "webhook-id")
    timestamp_text = _header(headers, "webhook-timestamp")
    signature_header = _header(headers, "webhook-signature")
    if not msg_id or not timestamp_text or not signature_header:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    if len(msg_id) > 255 or not msg_id.isprintable():
        raise WebhookVerificationError("invalid webhook-id")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise WebhookVerificationError("invalid webhook-timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp outside the tolerance")
    if isinstance(body, str):
        body = body.encode()
    candidates = []
    for entry in signature_header.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1" or not value:
            continue  # unknown versions are skipped, per the specification
        try:
            candidates.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    if candidates:
        content = f"{msg_id}.{timestamp}.".encode() + body
        for secret in secrets or ():
            try:
                key = decode_secret(secret)
            except ValueError:
                continue
            expected = hmac.new(key, content, hashlib.sha256).digest()
            # compare with every candidate, constant time each
            if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
                return msg_id
    raise WebhookVerificationError("no valid signature")


def _header(headers, name):
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value.strip() if isinstance(value, str) else value
