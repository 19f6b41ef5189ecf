"""Symmetric sealing of server-side secrets (signing keys) under keys derived from the secret key.

HKDF gives each purpose its own key, so the one operator secret never encrypts two kinds of data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: str, purpose: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        secret.encode()
    )


def seal(secret: str, purpose: str, plaintext: bytes) -> str:
    nonce = os.urandom(12)
    box = AESGCM(derive_key(secret, purpose)).encrypt(nonce, plaintext, purpose.encode())
    return base64.b64encode(nonce + box).decode()


def unseal(secret: str, purpose: str, sealed: str) -> bytes:
    raw = base64.b64decode(sealed)
    return AESGCM(derive_key(secret, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """Deterministic, non-reversible fingerprint for lookups (throttle keys, token hashes)."""
    return hmac.new(derive_key(secret, purpose), value.encode(), hashlib.sha256).hexdigest()
