"""Encryption of stored secrets with Fernet / MultiFernet (``cryptography``).

Keys come from the ``HC_INTEGRATION_KEY`` environment variable or ``hc_integration_key`` in
the Odoo configuration file — never from the database. Several keys may be given, separated
by commas or spaces: the first encrypts, all of them decrypt (key rotation).
Generate a key with ``python3 -c 'from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())'``.
"""

import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyMissingError(Exception):
    """No encryption key is configured."""


class KeyInvalidError(Exception):
    """A configured key is not a Fernet key (32 url-safe base64-encoded bytes)."""


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def load_keys(raw):
    """Parse the configured value into a list of Fernet objects (may raise)."""
    parts = [part for part in re.split(r"[\s,]+", raw or "") if part]
    if not parts:
        raise KeyMissingError()
    fernets = []
    for position, part in enumerate(parts, start=1):
        try:
            fernets.append(Fernet(part.encode()))
        except (ValueError, TypeError) as error:
            # never include the key itself in the message
            raise KeyInvalidError(f"key #{position} is not a valid Fernet key") from error
    return fernets


def make_cipher(raw):
    return MultiFernet(load_keys(raw))


def encrypt(cipher, plaintext):
    return cipher.encrypt(plaintext.encode()).decode()


def decrypt(cipher, token):
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError() from error


def rotate(cipher, token):
    """Re-encrypt ``token`` with the primary key."""
    try:
        return cipher.rotate(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError() from error
