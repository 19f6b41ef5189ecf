"""boto3 is the optional extra ``rolecall[s3]``: needed only when files are kept in a bucket, and said so."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolecall.cli import app as cli
from rolecall.config import MissingExtra, Settings, get_settings
from rolecall.platform.s3_storage import S3FileStore


@pytest.fixture
def without_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in an installation without the extra: importing boto3 fails and it cannot be found."""
    monkeypatch.setitem(sys.modules, "boto3", None)


def test_boto3_is_required_only_by_the_s3_extra() -> None:
    requirements = importlib.metadata.requires("rolecall") or []
    boto3 = [r for r in requirements if r.startswith("boto3")]
    assert boto3, requirements
    assert all('extra == "s3"' in r for r in boto3), boto3


def test_local_files_need_no_boto3(without_boto3: None, tmp_path: Path) -> None:
    settings = Settings(environment="test", file_store_path=tmp_path / "files")
    assert settings.file_store() is not None


def test_an_s3_file_store_without_boto3_is_refused_at_start_up(without_boto3: None) -> None:
    with pytest.raises(MissingExtra, match=r"rolecall\[s3\]"):
        Settings(environment="test", file_store_url="s3://files/rolecall")
    with pytest.raises(ImportError, match=r"rolecall\[s3\]"):
        S3FileStore("files")


def test_the_cli_names_the_missing_extra(
    without_boto3: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("rolecall.cli.uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setenv("ROLECALL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("ROLECALL_FILE_STORE_URL", "s3://files/rolecall")
    monkeypatch.setenv("ROLECALL_ISSUER", "http://rolecall.test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "refusing to start" in result.output
    assert "pip install 'rolecall[s3]'" in result.output
