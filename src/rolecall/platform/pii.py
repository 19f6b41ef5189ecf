"""Field-level encryption of personal data under a key ring, and blind indexes to find it again.

Encryption
    Every personal field (name, email, phone, links, resume text, answers) is stored as a compact token
    ``v1.<kid>.<base64url(nonce | ciphertext | tag)>`` sealed with AES-256-GCM. The associated data binds
    the token to a *context* chosen by the caller, such as ``candidate:<uuid>:email``: a token copied
    into another row or another column fails authentication instead of decrypting, so a database writer
    cannot swap one person's email into another's record unnoticed. The key id is bound as well.

    Nonces are 96 random bits. NIST SP 800-38D caps random-nonce use at 2**32 encryptions per key,
    orders of magnitude above what a hiring database writes; rotating to a fresh key resets the count.
    Ciphertexts reveal the plaintext's length in bytes (GCM does not pad); nothing else.

Key ring
    Keys come from ``ROLECALL_PII_KEYS="k2:<base64>,k1:<base64>"``: the first key is active (new
    tokens), the others only decrypt. Rotation means putting a new key first, re-encrypting rows whose
    token :meth:`KeyRing.needs_rotation` (see ``rolecall rotate-keys``) and, once none remain, dropping
    the old key from the setting. Without the setting, :meth:`KeyRing.derived` derives a single key from
    ``ROLECALL_SECRET_KEY`` for zero-set-up embedded mode. In that mode changing the secret key makes
    existing personal data unreadable; before moving to configured keys, put the derived key in the new
    setting (``KeyRing.derived(secret).to_setting()`` prints it) behind the new active key.

Blind indexes
    Lookup and deduplication use :class:`BlindIndex`: an HMAC-SHA256 of the *normalised* value under a
    key of its own per purpose (email, phone, ...), never a plain hash, so that nobody holding only a
    database dump can test guesses. The blind-index key is independent of the data keys and is not
    rotated with them (rotating it means recomputing every index from decrypted values).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rolecall.platform.crypto import derive_key

TOKEN_VERSION: Final = "v1"  # noqa: S105 - a format tag, not a secret
KEY_BYTES: Final = 32  # AES-256
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
INDEX_HEX_CHARS: Final = 32  # 128 bits of HMAC-SHA256; see BlindIndex

_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_PURPOSE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_AAD_PREFIX: Final = b"rolecall.pii.v1\x00"
_DATA_KEY_PURPOSE: Final = "rolecall.pii.data-key.v1"
_DATA_KEY_ID_PURPOSE: Final = "rolecall.pii.data-key-id.v1"
_BLIND_INDEX_PURPOSE: Final = "rolecall.pii.blind-index.v1"


class PiiError(Exception):
    """Base class; messages name key ids, positions and contexts, never plaintext or key material."""


class KeyRingError(PiiError, ValueError):
    """The key-ring configuration is unusable (bad format, wrong key size, duplicates, empty)."""


class PiiDecryptionError(PiiError):
    """A token cannot be opened."""


class MalformedToken(PiiDecryptionError):
    """The value is not a ``v1.<kid>.<base64url>`` token."""


class UnknownKeyId(PiiDecryptionError):
    """The token was sealed under a key that is not (or no longer) in the key ring."""


class TokenAuthenticationError(PiiDecryptionError):
    """GCM rejected the token: it was altered, or it belongs to another context (row or field).

    AES-GCM cannot tell these two cases apart, by design.
    """


@dataclass(frozen=True, slots=True)
class DataKey:
    """One data-encryption key and its short public id. The key bytes stay out of ``repr``."""

    kid: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.kid, str) or not _KID.fullmatch(self.kid):
            raise KeyRingError("a key id must be 1-32 characters from A-Z, a-z, 0-9, '_' and '-'")
        if not isinstance(self.key, bytes) or len(self.key) != KEY_BYTES:
            size = len(self.key) if isinstance(self.key, bytes) else "not bytes"
            raise KeyRingError(f"key {self.kid!r} must be {KEY_BYTES} bytes (AES-256), got {size}")


class KeyRing:
    """Data-encryption keys by id; the first one is active and seals every new token."""

    __slots__ = ("_active", "_ciphers", "_keys")

    def __init__(self, keys: Iterable[DataKey]) -> None:
        ordered = tuple(keys)
        if not ordered:
            raise KeyRingError("a key ring needs at least one key")
        kids: set[str] = set()
        materials: dict[bytes, str] = {}
        for key in ordered:
            if key.kid in kids:
                raise KeyRingError(f"key id {key.kid!r} appears more than once")
            if key.key in materials:
                raise KeyRingError(f"keys {materials[key.key]!r} and {key.kid!r} hold the same key bytes")
            kids.add(key.kid)
            materials[key.key] = key.kid
        self._keys = ordered
        self._active = ordered[0]
        self._ciphers = {key.kid: AESGCM(key.key) for key in ordered}

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def from_setting(cls, value: str) -> KeyRing:
        """Parse ``"k2:<base64>,k1:<base64>"`` (the first entry is active).

        Keys are standard or URL-safe base64, padding optional, and must decode to 32 bytes. Errors
        name the entry by position (and key id once that is known to be well formed), never the key.
        """
        if not value.strip():
            raise KeyRingError("the PII key setting is empty; expected '<key id>:<base64 key>,...'")
        keys: list[DataKey] = []
        for position, entry in enumerate(value.split(","), start=1):
            kid, colon, encoded = entry.strip().partition(":")
            kid = kid.strip()
            if not colon:
                raise KeyRingError(f"PII key entry {position} is not of the form '<key id>:<base64 key>'")
            if not _KID.fullmatch(kid):
                raise KeyRingError(
                    f"PII key entry {position}: the key id must be 1-32 characters from "
                    "A-Z, a-z, 0-9, '_' and '-'"
                )
            material = _decode_base64(encoded.strip())
            if material is None:
                raise KeyRingError(f"PII key entry {position} ({kid!r}): the key is not valid base64")
            if len(material) != KEY_BYTES:
                raise KeyRingError(
                    f"PII key entry {position} ({kid!r}): the key must decode to {KEY_BYTES} bytes "
                    f"(AES-256), got {len(material)}"
                )
            keys.append(DataKey(kid, material))
        return cls(keys)

    @classmethod
    def derived(cls, secret_key: str) -> KeyRing:
        """A one-key ring derived from the operator secret with HKDF; same secret, same key and id."""
        key = derive_key(secret_key, _DATA_KEY_PURPOSE)
        kid = derive_key(secret_key, _DATA_KEY_ID_PURPOSE, length=4).hex()
        return cls([DataKey(kid, key)])

    @classmethod
    def load(cls, setting: str | None, *, secret_key: str) -> KeyRing:
        """The configured ring when the setting holds anything, else the ring derived from the secret."""
        if setting is not None and setting.strip():
            return cls.from_setting(setting)
        return cls.derived(secret_key)

    @staticmethod
    def generate_key() -> str:
        """A fresh random key, base64-encoded, for a new ``<key id>:<key>`` entry."""
        return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")

    def to_setting(self) -> str:
        """The ring in setting form, active key first. The result is secret: handle it like a key."""
        return ",".join(f"{key.kid}:{base64.b64encode(key.key).decode('ascii')}" for key in self._keys)

    # -- inspection ----------------------------------------------------------------------------------

    @property
    def active_kid(self) -> str:
        return self._active.kid

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(key.kid for key in self._keys)

    @property
    def keys(self) -> tuple[DataKey, ...]:
        return self._keys

    def __repr__(self) -> str:
        return f"KeyRing(active={self._active.kid!r}, kids={list(self.kids)!r})"

    # -- tokens --------------------------------------------------------------------------------------

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal ``plaintext`` under the active key, bound to ``context`` (e.g. ``candidate:<id>:email``)."""
        if not isinstance(plaintext, str):
            raise TypeError("PII plaintext must be str")
        try:
            data = plaintext.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("PII plaintext is not encodable as UTF-8 (lone surrogate)") from None
        kid = self._active.kid
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, data, _associated_data(kid, context))
        return f"{TOKEN_VERSION}.{kid}.{_encode_base64url(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Open a token sealed for ``context`` under any key of the ring.

        Raises :class:`MalformedToken`, :class:`UnknownKeyId` or :class:`TokenAuthenticationError`
        (all :class:`PiiDecryptionError`).
        """
        kid, raw = _parse_token(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownKeyId(
                f"PII token was sealed under key id {kid!r}, which is not in the key ring "
                f"(known: {', '.join(self.kids)})"
            )
        try:
            data = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(kid, context))
        except InvalidTag:
            raise TokenAuthenticationError(
                f"PII token under key {kid!r} failed authentication for context {context!r}: "
                "it was altered, or it belongs to another row or field"
            ) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:  # only reachable if something other than encrypt() sealed it
            raise PiiDecryptionError(f"PII token under key {kid!r} does not hold UTF-8 text") from None

    @staticmethod
    def key_id(token: str) -> str:
        """The key id a token was sealed under (no decryption; raises :class:`MalformedToken`)."""
        kid, _ = _parse_token(token)
        return kid

    def needs_rotation(self, token: str) -> bool:
        """Whether the token was sealed under a key other than the active one."""
        return self.key_id(token) != self._active.kid

    def rotate(self, token: str, *, context: str) -> str:
        """Re-seal a token under the active key; a token already under it is verified and kept as is."""
        plaintext = self.decrypt(token, context=context)
        if not self.needs_rotation(token):
            return token
        return self.encrypt(plaintext, context=context)


def _associated_data(kid: str, context: str) -> bytes:
    if not isinstance(context, str) or not context:
        raise ValueError("a PII context (e.g. 'candidate:<id>:email') is required")
    # The key id cannot contain NUL, so the encoding is unambiguous; the context comes last.
    return _AAD_PREFIX + kid.encode("ascii") + b"\x00" + context.encode("utf-8")


def _parse_token(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str):
        raise MalformedToken("a PII token must be str")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_VERSION:
        raise MalformedToken(f"not a PII token: expected '{TOKEN_VERSION}.<key id>.<base64url>'")
    kid, body = parts[1], parts[2]
    if not _KID.fullmatch(kid):
        raise MalformedToken("PII token has a malformed key id")
    raw = _decode_base64url(body)
    if raw is None:
        raise MalformedToken(f"PII token under key {kid!r} has a body that is not canonical base64url")
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise MalformedToken(f"PII token under key {kid!r} is too short")
    return kid, raw


def _encode_base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_base64url(text: str) -> bytes | None:
    """Strict decoding: URL-safe alphabet, no padding, and only the canonical spelling of the bytes.

    Rejecting non-canonical spellings (stray low bits in the last character) keeps tokens one-to-one
    with their bytes, so a changed character always means changed bytes.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _encode_base64url(raw) == text else None


def _decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional (operators paste keys from many tools)."""
    cleaned = text.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


# -- blind indexes -----------------------------------------------------------------------------------


class BlindIndex:
    """Keyed, deterministic fingerprints of normalised personal data for equality lookups.

    ``key`` is the 32-byte root; each purpose (``email``, ``phone``, or any other through
    :meth:`digest`) gets its own HKDF-derived key, so equal inputs under different purposes give
    unrelated digests and one index cannot be joined against another.

    Digests are the first 32 hex characters (128 bits) of HMAC-SHA256. Truncation is safe here because
    the digest only serves equality lookup: accidental collisions need about 2**64 distinct values
    before one becomes likely (for a billion rows the chance is about 1e-21), a truncated HMAC is still
    a pseudo-random function to anyone without the key, and it discloses less about the input than the
    full tag would. Halving the width halves the column and its B-tree. The protection is the key: with
    it, low-entropy values such as phone numbers can be enumerated, so keep it as secret as the data
    keys. Like any deterministic index, equal values give equal digests (that is the point: dedup).
    """

    __slots__ = ("_keys", "_root")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise ValueError(f"a blind-index key must be {KEY_BYTES} bytes")
        self._root = key
        self._keys: dict[str, bytes] = {}

    @classmethod
    def derived(cls, secret_key: str) -> BlindIndex:
        """The blind-index root derived from the operator secret (its own HKDF purpose)."""
        return cls(derive_key(secret_key, _BLIND_INDEX_PURPOSE))

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"

    def _purpose_key(self, purpose: str) -> bytes:
        key = self._keys.get(purpose)
        if key is None:
            info = f"{_BLIND_INDEX_PURPOSE}:{purpose}".encode("ascii")
            key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(self._root)
            self._keys[purpose] = key
        return key

    def digest(self, purpose: str, normalised: str) -> str:
        """The index of an already normalised value under ``purpose`` (lowercase, e.g. ``erased-email``)."""
        if not _PURPOSE.fullmatch(purpose):
            raise ValueError("a blind-index purpose must match [a-z0-9][a-z0-9_.-]{0,63}")
        if not normalised:
            raise ValueError("cannot index an empty value")
        mac = hmac.new(self._purpose_key(purpose), normalised.encode("utf-8"), hashlib.sha256)
        return mac.hexdigest()[:INDEX_HEX_CHARS]

    def email(self, value: str) -> str:
        return self.digest("email", normalise_email(value))

    def phone(self, value: str) -> str:
        return self.digest("phone", normalise_phone(value))


def normalise_email(value: str) -> str:
    """Trim, NFC-normalise and lowercase an address; turn punycode (``xn--``) domain labels to Unicode.

    Dots and ``+tags`` in the local part are kept on purpose: ``a.b@`` = ``ab@`` and ``a+x@`` = ``a@``
    hold for Gmail but not in general (on many domains they are different mailboxes, and the ``+``
    separator itself is a per-domain choice). Folding them would merge two different people into one
    candidate, which leaks one person's data to the other and is worse than a missed duplicate, which a
    recruiter can merge by hand. Lowercasing the local part is the one liberty taken: RFC 5321 lets it
    be case-sensitive, but no mail system in practice distinguishes ``Ann@`` from ``ann@``.

    Raises :class:`ValueError` (without echoing the value) for anything that is not ``local@domain``.
    """
    text = unicodedata.normalize("NFC", value).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address: expected local-part@domain")
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in text):
        raise ValueError("an email address cannot contain whitespace or control characters")
    labels = [_unicode_label(label) for label in domain.lower().split(".")]
    domain = unicodedata.normalize("NFC", ".".join(labels))
    return f"{local.lower()}@{domain.lower()}"


def _unicode_label(label: str) -> str:
    # Decoding punycode is exact (no IDNA 2003 mapping such as ß -> ss), so only different spellings of
    # the same label meet. A label that does not decode, decodes to plain ASCII ("xn--abc-" is "abc")
    # or does not re-encode to itself is not a real IDNA label and is kept as written.
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        canonical = decoded.encode("punycode").decode("ascii") == label[4:]
    except (UnicodeError, ValueError):
        return label
    return decoded if canonical and not decoded.isascii() else label


_PHONE_SEPARATORS = frozenset("-./()\u2010\u2011\u2012\u2013\u2014\u2212")
PHONE_MIN_DIGITS: Final = 5
PHONE_MAX_DIGITS: Final = 15  # the E.164 maximum, country code included


def normalise_phone(value: str) -> str:
    """Reduce a phone number to ``+<digits>`` (international) or ``<digits>`` (as given).

    Accepted: digits in any script (NFKC, then decimal value, so full-width and Arabic-Indic digits
    work), spaces, dashes, dots, slashes and parentheses as separators, a leading ``+`` or ``00`` for the
    international prefix, and the ``+44 (0)20`` convention, whose ``(0)`` trunk digit is dropped (in
    the international form only: elsewhere the parentheses are separators and the 0 stays).

    A number without a country code is indexed as given (``020 7946 0958`` -> ``02079460958``): the
    country is unknown here, so it cannot be expanded, and it will not match the same number written
    internationally. Other international prefixes are not recognised (``011 44 ...`` is indexed as
    given). Letters, extensions and ``tel:`` are rejected, as are fewer than 5 or more than 15 digits;
    placeholder digits such as ``11111`` still index, and callers should treat them as absent.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    international = text.startswith(("+", "00"))
    if international:
        text = text.removeprefix("+") if text.startswith("+") else text.removeprefix("00")
        text = text.replace("(0)", "", 1)
    digits: list[str] = []
    for char in text:
        if char.isdecimal():
            digits.append(str(unicodedata.decimal(char)))
        elif not (char.isspace() or char in _PHONE_SEPARATORS):
            raise ValueError(
                "a phone number may hold only digits, a leading '+', spaces, dashes, dots, "
                "slashes and parentheses"
            )
    number = "".join(digits)
    if international and number.startswith("0"):
        raise ValueError("an international phone number cannot have a country code starting with 0")
    if not PHONE_MIN_DIGITS <= len(number) <= PHONE_MAX_DIGITS:
        raise ValueError(f"a phone number needs {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits")
    return f"+{number}" if international else number
