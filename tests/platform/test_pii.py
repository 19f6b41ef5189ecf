"""Field-level encryption of personal data and blind indexes (rolecall.platform.pii); no database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from rolecall.platform.pii import (
    BlindIndex,
    DataKey,
    KeyRing,
    KeyRingError,
    MalformedToken,
    PiiDecryptionError,
    TokenAuthenticationError,
    UnknownKeyId,
    normalise_email,
    normalise_phone,
)

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
CONTEXT = "candidate:0190d2a4-0000-7000-8000-000000000001:email"
OTHER_ROW = "candidate:0190d2a4-0000-7000-8000-000000000002:email"
OTHER_FIELD = "candidate:0190d2a4-0000-7000-8000-000000000001:phone"
SECRET = "a-test-secret-key-of-some-length"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing([DataKey("k1", KEY_1)])


# -- round trips and token format -------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    ["ann@example.com", "", "Zoë Ångström-Łukasiewicz 李小龙 🙂", "line\nbreak\ttab", "x" * 100_000],
)
def test_round_trip(ring: KeyRing, plaintext: str) -> None:
    token = ring.encrypt(plaintext, context=CONTEXT)
    assert ring.decrypt(token, context=CONTEXT) == plaintext


def test_token_is_compact_versioned_and_names_its_key(ring: KeyRing) -> None:
    token = ring.encrypt("ann@example.com", context=CONTEXT)
    version, kid, body = token.split(".")
    assert (version, kid) == ("v1", "k1")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", body)
    assert len(b64url_decode(body)) == 12 + len(b"ann@example.com") + 16  # nonce | ciphertext | tag
    assert KeyRing.key_id(token) == "k1"


def test_each_encryption_uses_a_fresh_nonce(ring: KeyRing) -> None:
    tokens = {ring.encrypt("same value", context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20
    nonces = {b64url_decode(token.split(".")[2])[:12] for token in tokens}
    assert len(nonces) == 20


def test_documented_layout_is_what_decrypt_reads(ring: KeyRing) -> None:
    """A token built by hand from the documented layout opens: other tools can rely on the format."""
    nonce = bytes(12)
    aad = b"rolecall.pii.v1\x00" + b"k1" + b"\x00" + CONTEXT.encode()
    sealed = AESGCM(KEY_1).encrypt(nonce, b"Ann Lee", aad)
    token = f"v1.k1.{b64url_encode(nonce + sealed)}"
    assert ring.decrypt(token, context=CONTEXT) == "Ann Lee"


# -- authentication: context, tampering, key ids ------------------------------------------------------


@pytest.mark.parametrize("context", [OTHER_ROW, OTHER_FIELD, CONTEXT + " ", CONTEXT.upper()])
def test_a_token_does_not_open_in_another_context(ring: KeyRing, context: str) -> None:
    token = ring.encrypt("ann@example.com", context=CONTEXT)
    with pytest.raises(TokenAuthenticationError) as caught:
        ring.decrypt(token, context=context)
    assert "ann@example.com" not in str(caught.value)
    assert isinstance(caught.value, PiiDecryptionError)


def test_context_is_required(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="context"):
        ring.encrypt("ann@example.com", context="")
    token = ring.encrypt("ann@example.com", context=CONTEXT)
    with pytest.raises(ValueError, match="context"):
        ring.decrypt(token, context="")


@pytest.mark.parametrize("position", [0, 11, 12, 20, -16, -1], ids=lambda p: f"byte{p}")
def test_flipping_any_byte_is_detected(ring: KeyRing, position: int) -> None:
    """Nonce (0, 11), ciphertext (12, 20) and tag (-16, -1) are all covered by authentication."""
    token = ring.encrypt("ann@example.com and more text", context=CONTEXT)
    prefix, body = token.rsplit(".", 1)
    raw = bytearray(b64url_decode(body))
    raw[position] ^= 0x01
    with pytest.raises(TokenAuthenticationError) as caught:
        ring.decrypt(f"{prefix}.{b64url_encode(bytes(raw))}", context=CONTEXT)
    assert "ann@example.com" not in str(caught.value)


def test_truncated_ciphertext_is_detected(ring: KeyRing) -> None:
    token = ring.encrypt("ann@example.com", context=CONTEXT)
    prefix, body = token.rsplit(".", 1)
    shorter = b64url_encode(b64url_decode(body)[:-1])
    with pytest.raises(TokenAuthenticationError):
        ring.decrypt(f"{prefix}.{shorter}", context=CONTEXT)


def test_the_key_id_is_authenticated_too() -> None:
    """Relabelling a token with another id fails even where that id maps to the very same key bytes."""
    original = KeyRing([DataKey("k1", KEY_1)])
    relabelled = KeyRing([DataKey("k9", KEY_1)])
    token = original.encrypt("ann@example.com", context=CONTEXT)
    with pytest.raises(TokenAuthenticationError):
        relabelled.decrypt(token.replace("v1.k1.", "v1.k9.", 1), context=CONTEXT)


def test_unknown_key_id(ring: KeyRing) -> None:
    foreign = KeyRing([DataKey("k7", KEY_2)]).encrypt("ann@example.com", context=CONTEXT)
    with pytest.raises(UnknownKeyId) as caught:
        ring.decrypt(foreign, context=CONTEXT)
    message = str(caught.value)
    assert "'k7'" in message
    assert "k1" in message  # names the ids it does know
    assert "ann@example.com" not in message


@pytest.mark.parametrize(
    "token",
    [
        "",
        "ann@example.com",
        "v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1",
        "v1.k1.AAAA.AAAA",
        "v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.k 1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A",  # standard, not URL-safe, alphabet
        "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",  # padding is not part of the format
        "v1.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  # stray low bits: not canonical
        "v1.k1.AAAA",  # shorter than nonce + tag
    ],
)
def test_malformed_tokens(ring: KeyRing, token: str) -> None:
    with pytest.raises(MalformedToken):
        ring.decrypt(token, context=CONTEXT)


def test_malformed_token_is_a_decryption_error(ring: KeyRing) -> None:
    with pytest.raises(PiiDecryptionError):
        ring.decrypt("not a token", context=CONTEXT)
    with pytest.raises(PiiDecryptionError):
        ring.needs_rotation("not a token")


def test_bad_plaintext_types(ring: KeyRing) -> None:
    with pytest.raises(TypeError):
        ring.encrypt(b"bytes", context=CONTEXT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UTF-8") as caught:
        ring.encrypt("secret\ud800", context=CONTEXT)
    assert "secret" not in str(caught.value)


# -- rotation -------------------------------------------------------------------------------------------


def test_rotation_across_two_keys() -> None:
    before = KeyRing([DataKey("k1", KEY_1)])
    token = before.encrypt("ann@example.com", context=CONTEXT)

    during = KeyRing([DataKey("k2", KEY_2), DataKey("k1", KEY_1)])
    assert during.active_kid == "k2"
    assert during.needs_rotation(token)
    assert during.decrypt(token, context=CONTEXT) == "ann@example.com"  # old tokens still open

    rotated = during.rotate(token, context=CONTEXT)
    assert KeyRing.key_id(rotated) == "k2"
    assert not during.needs_rotation(rotated)
    assert during.decrypt(rotated, context=CONTEXT) == "ann@example.com"
    assert during.encrypt("new", context=CONTEXT).startswith("v1.k2.")

    after = KeyRing([DataKey("k2", KEY_2)])  # the old key is dropped once nothing needs rotation
    assert after.decrypt(rotated, context=CONTEXT) == "ann@example.com"
    with pytest.raises(UnknownKeyId):
        after.decrypt(token, context=CONTEXT)


def test_rotating_a_current_token_keeps_it_but_still_verifies_it() -> None:
    ring = KeyRing([DataKey("k2", KEY_2), DataKey("k1", KEY_1)])
    token = ring.encrypt("ann@example.com", context=CONTEXT)
    assert ring.rotate(token, context=CONTEXT) == token
    with pytest.raises(TokenAuthenticationError):
        ring.rotate(token, context=OTHER_ROW)


def test_rotation_keeps_the_context_binding() -> None:
    old = KeyRing([DataKey("k1", KEY_1)]).encrypt("ann@example.com", context=CONTEXT)
    ring = KeyRing([DataKey("k2", KEY_2), DataKey("k1", KEY_1)])
    with pytest.raises(TokenAuthenticationError):
        ring.rotate(old, context=OTHER_ROW)
    rotated = ring.rotate(old, context=CONTEXT)
    with pytest.raises(TokenAuthenticationError):
        ring.decrypt(rotated, context=OTHER_ROW)


# -- key ring configuration ---------------------------------------------------------------------------


def test_setting_parsing_first_entry_is_active() -> None:
    ring = KeyRing.from_setting(f"k2:{b64(KEY_2)},k1:{b64(KEY_1)}")
    assert ring.active_kid == "k2"
    assert ring.kids == ("k2", "k1")
    old = KeyRing([DataKey("k1", KEY_1)]).encrypt("x", context=CONTEXT)
    assert ring.decrypt(old, context=CONTEXT) == "x"


def test_setting_accepts_spaces_urlsafe_and_unpadded_base64() -> None:
    urlsafe_unpadded = base64.urlsafe_b64encode(KEY_2).decode().rstrip("=")
    ring = KeyRing.from_setting(f"  a1b2c3d4 : {urlsafe_unpadded} ,\tk1:{b64(KEY_1)}  ")
    assert ring.kids == ("a1b2c3d4", "k1")
    assert ring.keys[0].key == KEY_2


SIXTEEN = b64(bytes(16))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("k1", "entry 1 is not of the form"),
        (f"{b64(KEY_1)}", "entry 1"),
        (f"k1:{b64(KEY_1)},", "entry 2"),
        (f"k1:{b64(KEY_1)},,k2:{b64(KEY_2)}", "entry 2"),
        (f":{b64(KEY_1)}", "key id must be"),
        (f"k.1:{b64(KEY_1)}", "key id must be"),
        (f"{'k' * 33}:{b64(KEY_1)}", "key id must be"),
        ("k1:", "must decode to 32 bytes"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{SIXTEEN}", "must decode to 32 bytes"),
        (f"k1:{b64(KEY_1 + b'x')}", "got 33"),
        (f"k1:{b64(KEY_1)},k1:{b64(KEY_2)}", "'k1' appears more than once"),
        (f"k1:{b64(KEY_1)},k2:{b64(KEY_1)}", "same key bytes"),
    ],
)
def test_setting_errors(setting: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=re.escape(message)) as caught:
        KeyRing.from_setting(setting)
    for material in (b64(KEY_1), b64(KEY_2), SIXTEEN):
        assert material not in str(caught.value)  # never echo key material
    assert isinstance(caught.value, ValueError)


def test_key_ring_constructor_validation() -> None:
    with pytest.raises(KeyRingError, match="at least one"):
        KeyRing([])
    with pytest.raises(KeyRingError, match="32 bytes"):
        DataKey("k1", bytes(16))
    with pytest.raises(KeyRingError, match="key id"):
        DataKey("k:1", KEY_1)


def test_secrets_stay_out_of_reprs(ring: KeyRing) -> None:
    for text in (repr(ring), repr(ring.keys[0]), repr(BlindIndex(KEY_1))):
        assert KEY_1.hex() not in text
        assert repr(KEY_1) not in text
        assert b64(KEY_1) not in text
    assert "k1" in repr(ring)


def test_derived_ring_is_stable_for_the_same_secret() -> None:
    first, second = KeyRing.derived(SECRET), KeyRing.derived(SECRET)
    assert re.fullmatch(r"[0-9a-f]{8}", first.active_kid)
    assert first.active_kid == second.active_kid
    token = first.encrypt("ann@example.com", context=CONTEXT)
    assert second.decrypt(token, context=CONTEXT) == "ann@example.com"


def test_derived_ring_differs_for_another_secret() -> None:
    ours, theirs = KeyRing.derived(SECRET), KeyRing.derived(SECRET + "!")
    assert ours.active_kid != theirs.active_kid
    assert ours.keys[0].key != theirs.keys[0].key
    with pytest.raises(UnknownKeyId):
        theirs.decrypt(ours.encrypt("x", context=CONTEXT), context=CONTEXT)


def test_derived_key_is_not_the_secret_or_the_blind_index_key() -> None:
    key = KeyRing.derived(SECRET).keys[0].key
    assert SECRET.encode()[:16] not in key
    assert BlindIndex(key).email("a@b.c") != BlindIndex.derived(SECRET).email("a@b.c")


def test_moving_from_derived_to_configured_keys() -> None:
    derived = KeyRing.derived(SECRET)
    token = derived.encrypt("ann@example.com", context=CONTEXT)
    configured = KeyRing.from_setting(f"k2:{KeyRing.generate_key()},{derived.to_setting()}")
    assert configured.needs_rotation(token)
    assert configured.decrypt(configured.rotate(token, context=CONTEXT), context=CONTEXT) == "ann@example.com"


def test_load_prefers_the_setting() -> None:
    assert KeyRing.load(None, secret_key=SECRET).active_kid == KeyRing.derived(SECRET).active_kid
    assert KeyRing.load("  ", secret_key=SECRET).active_kid == KeyRing.derived(SECRET).active_kid
    assert KeyRing.load(f"k1:{b64(KEY_1)}", secret_key=SECRET).active_kid == "k1"


def test_generated_keys_are_random_and_usable() -> None:
    first, second = KeyRing.generate_key(), KeyRing.generate_key()
    assert first != second
    assert len(base64.b64decode(first)) == 32
    KeyRing.from_setting(f"k1:{first},k2:{second}")


# -- canaries -----------------------------------------------------------------------------------------


def windows(text: str, size: int) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@pytest.mark.parametrize(
    "canary",
    ["canary-7f3a9c@example.com", "CANARYNAME Quixotic-Zebra", "+44 20 7946 0958", "ab" * 5000],
    ids=["email", "name", "phone", "long-repeated"],
)
def test_ciphertext_contains_no_plaintext(ring: KeyRing, canary: str) -> None:
    token = ring.encrypt(canary, context=CONTEXT)
    raw = b64url_decode(token.split(".")[2])
    # Neither the token text nor its bytes carry any 8-character stretch of the plaintext (for ASCII
    # canaries the bytes are the characters; a random 8-byte match has odds of about 2**-64).
    for window in windows(canary, 8):
        assert window not in token
        assert window.lower() not in token.lower()
        assert window.encode() not in raw
    assert canary.encode() not in base64.b64decode(b64(raw))


def test_long_repeated_plaintext_gives_no_repeating_ciphertext(ring: KeyRing) -> None:
    """A mode that encrypted block by block (ECB) or with a short keystream would repeat itself here."""
    raw = b64url_decode(ring.encrypt("A" * 16 * 512, context=CONTEXT).split(".")[2])
    blocks = [raw[i : i + 16] for i in range(12, 12 + 16 * 512, 16)]
    assert len(set(blocks)) == len(blocks)
    assert raw[12:28] != raw[28:44]


def test_a_dump_of_many_tokens_holds_no_canary(ring: KeyRing) -> None:
    fields = {
        "name": "Canary Person-4417",
        "email": "canary.person-4417@example.org",
        "phone": "+1 555 0100 4417",
        "resume": "Canary Person-4417 worked at Canary Corp-4417 " * 200,
    }
    dump = "\n".join(ring.encrypt(value, context=f"candidate:1:{name}") for name, value in fields.items())
    for needle in ("canary", "4417", "example.org", "person", "corp"):
        assert needle not in dump.lower()


# -- normalisation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Lee@Example.COM \n", "ann.lee@example.com"),
        ("ANN+JOBS@EXAMPLE.COM", "ann+jobs@example.com"),  # the tag stays
        ("a.n.n@gmail.com", "a.n.n@gmail.com"),  # the dots stay
        ("user@xn--bcher-kva.example", "user@bücher.example"),  # punycode domain = Unicode domain
        ("user@BÜCHER.example", "user@bücher.example"),
        ("user@XN--BCHER-KVA.example", "user@bücher.example"),
        ("jose\u0301@example.com", "jos\u00e9@example.com"),  # NFC: decomposed = precomposed
        ("user@xn--invalid-.example", "user@xn--invalid-.example"),  # decodes to ASCII: kept
        ("user@xn--zz.example", "user@xn--zz.example"),  # does not decode: kept
        ("\u00a0ann@example.com\u3000", "ann@example.com"),  # Unicode spaces trimmed
    ],
)
def test_email_normalisation(raw: str, normalised: str) -> None:
    assert normalise_email(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "   ", "ann", "ann@", "@example.com", "ann lee@example.com", "ann@exa\tmple.com", "a\x00@b.c"]
)
def test_email_normalisation_rejects_non_addresses(raw: str) -> None:
    with pytest.raises(ValueError, match="email address") as caught:
        normalise_email(raw)
    if raw.strip():
        assert raw.strip() not in str(caught.value)


FULL_WIDTH_UK = "\uff0b\uff14\uff14 \uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),  # trunk digit in parentheses dropped
        ("+44(0)2079460958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),  # 00 international prefix
        ("00 44 (20) 7946-0958", "+442079460958"),
        ("0044 (0)20-7946-0958", "+442079460958"),
        ("(0)20 7946 0958", "02079460958"),  # national: the 0 is part of the number
        ("011 44 20 7946 0958", "011442079460958"),  # other exit codes are not recognised
        ("+1 (555) 010-0199", "+15550100199"),
        ("+1.555.010.0199", "+15550100199"),
        ("+1 555/010/0199", "+15550100199"),
        ("+49\u00a030\u202f1234\u20115678", "+493012345678"),  # no-break spaces, no-break hyphen
        ("+49 30 \u2013 1234 \u2014 5678", "+493012345678"),  # en and em dashes
        (FULL_WIDTH_UK, "+442079460958"),  # full-width plus and digits
        ("+\u0669\u0667\u0661 \u0665\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667", "+971501234567"),
        ("020 7946 0958", "02079460958"),  # no country code: indexed as given
        ("(020) 7946-0958", "02079460958"),
        ("  555 0100  ", "5550100"),
    ],
)
def test_phone_normalisation(raw: str, normalised: str) -> None:
    assert normalise_phone(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "n/a",
        "1234",  # too short
        "+1234567890123456",  # 16 digits: longer than E.164 allows
        "+44 20 7946 0958 ext 12",
        "+44 20 7946 0958 x12",
        "tel:+442079460958",
        "+0 20 7946 0958",  # no country code starts with 0
        "000 20 7946 0958",
        "++442079460958",
        "44+2079460958",
        "1-800-FLOWERS",
    ],
)
def test_phone_normalisation_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(raw)


def test_national_and_international_forms_do_not_meet() -> None:
    """Documented limitation: without a country the national form cannot be expanded."""
    assert normalise_phone("020 7946 0958") != normalise_phone("+44 20 7946 0958")


# -- blind indexes --------------------------------------------------------------------------------------


@pytest.fixture
def index() -> BlindIndex:
    return BlindIndex(KEY_1)


def test_index_is_truncated_lowercase_hex(index: BlindIndex) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", index.email("ann@example.com"))
    assert re.fullmatch(r"[0-9a-f]{32}", index.phone("+44 20 7946 0958"))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("ann@example.com", "  ANN@Example.Com "),
        ("user@xn--bcher-kva.example", "USER@bücher.example"),
        ("jose\u0301@example.com", "JOS\u00c9@EXAMPLE.COM"),
    ],
)
def test_equivalent_emails_share_an_index(index: BlindIndex, left: str, right: str) -> None:
    assert index.email(left) == index.email(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [("+44 20 7946 0958", "0044 (0)20-7946-0958"), ("+1 (555) 010-0199", "001.555.010.0199")],
)
def test_equivalent_phones_share_an_index(index: BlindIndex, left: str, right: str) -> None:
    assert index.phone(left) == index.phone(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [("ann@example.com", "ann@example.org"), ("a.nn@gmail.com", "ann@gmail.com"), ("ann+x@b.c", "ann@b.c")],
)
def test_different_emails_differ(index: BlindIndex, left: str, right: str) -> None:
    assert index.email(left) != index.email(right)


def test_purposes_have_their_own_keys(index: BlindIndex) -> None:
    assert index.digest("email", "+442079460958") != index.digest("phone", "+442079460958")
    assert index.phone("+44 20 7946 0958") == index.digest("phone", "+442079460958")
    assert index.email("Ann@Example.com") == index.digest("email", "ann@example.com")
    assert index.digest("email", "ann@example.com") != index.digest("erased-email", "ann@example.com")


def test_index_matches_the_documented_construction(index: BlindIndex) -> None:
    """HMAC-SHA256 under HKDF(root, info=purpose label), first 32 hex characters; not the bare root."""
    purpose_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"rolecall.pii.blind-index.v1:email"
    ).derive(KEY_1)
    expected = hmac.new(purpose_key, b"ann@example.com", hashlib.sha256).hexdigest()[:32]
    assert index.email("ann@example.com") == expected
    bare = hmac.new(KEY_1, b"ann@example.com", hashlib.sha256).hexdigest()[:32]
    assert index.email("ann@example.com") != bare
    assert index.email("ann@example.com") != hashlib.sha256(b"ann@example.com").hexdigest()[:32]


def test_index_depends_on_the_key() -> None:
    assert BlindIndex(KEY_1).email("ann@example.com") != BlindIndex(KEY_2).email("ann@example.com")
    assert BlindIndex(KEY_1).email("ann@example.com") == BlindIndex(KEY_1).email("ann@example.com")


def test_derived_index_is_stable_per_secret() -> None:
    assert BlindIndex.derived(SECRET).email("a@b.c") == BlindIndex.derived(SECRET).email("a@b.c")
    assert BlindIndex.derived(SECRET).email("a@b.c") != BlindIndex.derived(SECRET + "!").email("a@b.c")


def test_index_input_validation(index: BlindIndex) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        BlindIndex(bytes(16))
    with pytest.raises(ValueError, match="purpose"):
        index.digest("Email", "x")
    with pytest.raises(ValueError, match="purpose"):
        index.digest("", "x")
    with pytest.raises(ValueError, match="empty"):
        index.digest("email", "")
    with pytest.raises(ValueError, match="email address"):
        index.email("not an address")
    with pytest.raises(ValueError, match="phone number"):
        index.phone("n/a")
