"""Deliveries are signed per Standard Webhooks: the reference package verifies them, with either
secret while a rotation's overlap lasts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from rolecall.webhooks import signing


def test_a_new_secret_is_whsec_and_at_least_24_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert secret != signing.new_secret()


def test_the_reference_package_verifies_our_signature() -> None:
    secret = signing.new_secret()
    body = json.dumps({"id": "e1", "type": "user.created", "data": {"n": "ü"}}, ensure_ascii=False).encode()
    headers = signing.headers([secret], "msg_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers)["data"] == {"n": "ü"}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_during_an_overlap_both_secrets_verify() -> None:
    new, old = signing.new_secret(), signing.new_secret()
    body = b'{"id":"e2"}'
    headers = signing.headers([new, old], "msg_2", datetime.now(UTC), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert all(part.startswith("v1,") for part in headers["webhook-signature"].split(" "))
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
