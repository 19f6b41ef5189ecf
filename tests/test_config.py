"""Settings come from ROLECALL_* environment variables, and production refuses the development secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from rolecall.config import DEV_SECRET_KEY, InsecureConfiguration, Settings, get_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith("ROLECALL_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_suit_local_development() -> None:
    settings = Settings()
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.is_sqlite
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.embedded_worker is True


def test_settings_are_read_from_rolecall_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECALL_DATABASE_URL", "postgresql+asyncpg://app@db.internal/rolecall")
    monkeypatch.setenv("ROLECALL_DATABASE_POOL_SIZE", "25")
    monkeypatch.setenv("ROLECALL_EMBEDDED_WORKER", "false")
    monkeypatch.setenv("ROLECALL_ACCESS_TOKEN_TTL_SECONDS", "120")
    monkeypatch.setenv("ROLECALL_OUTBOX_POLL_SECONDS", "0.25")
    monkeypatch.setenv("ROLECALL_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("ROLECALL_ISSUER", "https://hiring.example.com")
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///ignored.db")  # unprefixed: not ours

    settings = Settings()
    assert settings.database_url == "postgresql+asyncpg://app@db.internal/rolecall"
    assert not settings.is_sqlite
    assert settings.database_pool_size == 25
    assert settings.embedded_worker is False
    assert settings.access_token_ttl_seconds == 120
    assert settings.outbox_poll_seconds == 0.25
    assert settings.log_level == "DEBUG"
    assert settings.issuer == "https://hiring.example.com"


def test_get_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECALL_AUDIENCE", "first")
    assert get_settings().audience == "first"
    monkeypatch.setenv("ROLECALL_AUDIENCE", "second")
    assert get_settings() is get_settings()
    assert get_settings().audience == "first"
    get_settings.cache_clear()
    assert get_settings().audience == "second"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ROLECALL_DATABASE_POOL_SIZE", "0"),
        ("ROLECALL_ACCESS_TOKEN_TTL_SECONDS", "5"),
        ("ROLECALL_ENVIRONMENT", "staging"),
        ("ROLECALL_SECRET_KEY", "too-short"),
        ("ROLECALL_EMBEDDED_WORKER", "perhaps"),
    ],
)
def test_out_of_range_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_production_with_the_default_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLECALL_ENVIRONMENT", "production")
    with pytest.raises(InsecureConfiguration, match="ROLECALL_SECRET_KEY"):
        Settings()
    with pytest.raises(InsecureConfiguration):
        get_settings()
    monkeypatch.setenv("ROLECALL_SECRET_KEY", DEV_SECRET_KEY)  # set explicitly, still the default
    with pytest.raises(InsecureConfiguration):
        Settings()


def test_production_with_a_proper_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "k7Qp2vX9rL4mN8sT1wY6zB3cF5hJ0dG"
    monkeypatch.setenv("ROLECALL_ENVIRONMENT", "production")
    monkeypatch.setenv("ROLECALL_SECRET_KEY", secret)
    settings = Settings()
    assert settings.environment == "production"
    assert settings.secret_key == secret
    assert get_settings().environment == "production"


def test_development_tolerates_the_default_secret() -> None:
    assert Settings(environment="development").secret_key == DEV_SECRET_KEY
    assert Settings(environment="test").secret_key == DEV_SECRET_KEY


def test_settings_build_the_personal_data_tools_every_process_shares(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from rolecall.platform.pii import KeyRing
    from rolecall.platform.s3_storage import S3FileStore
    from rolecall.platform.storage import LocalFileStore

    derived = Settings(environment="test", file_store_path=tmp_path / "files")
    assert derived.pii_keyring().active_kid == KeyRing.derived(derived.secret_key).active_kid
    assert isinstance(derived.file_store(), LocalFileStore)
    configured = derived.model_copy(
        update={
            "pii_keys": SecretStr(f"k9:{KeyRing.generate_key()}"),
            "file_store_url": "s3://files/rolecall",
        }
    )
    assert configured.pii_keyring().active_kid == "k9"
    store = configured.file_store()
    assert isinstance(store, S3FileStore)
    assert (store.bucket, store.prefix) == ("files", "rolecall/")
    assert configured.blind_index().email("A@Example.com") == derived.blind_index().email("a@example.com")
