"""Webhook tests call a receiver on 127.0.0.1, allow-listed here as an on-premise target would be;
the event feed shows events at once (no settle delay)."""

from __future__ import annotations

import pytest

from rolecall.config import Settings
from tests.webhooks.events import sample_events  # noqa: F401 - the fixture, for every test here


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_allowed_hosts": ("127.0.0.1",), "event_feed_settle_seconds": 0.0}
    )
