"""The docs keep up with the code: alerts have runbooks, settings and board routes are documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.auth import auth_declaration

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
RUNBOOKS = ROOT / "docs" / "runbooks"


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def test_the_alerts_file_has_alerts() -> None:
    assert alert_rules(), f"no alerting rules found in {ALERTS}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_links_to_a_runbook_that_exists(rule: dict[str, Any]) -> None:
    url = rule.get("annotations", {}).get("runbook_url")
    assert url, f"alert {rule['alert']} has no runbook_url annotation"
    assert (ROOT / url).is_file(), f"alert {rule['alert']}: runbook_url {url!r} is not a file in the repo"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_is_listed_in_the_runbook_index(rule: dict[str, Any]) -> None:
    index = (RUNBOOKS / "README.md").read_text(encoding="utf-8")
    assert f"({rule['alert']}.md)" in index, f"docs/runbooks/README.md does not link {rule['alert']}.md"


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        variable
        for variable in (f"ROLECALL_{name.upper()}" for name in Settings.model_fields)
        if f"`{variable}`" not in text
    ]
    assert not missing, f"docs/configuration.md does not describe {', '.join(missing)}"


def _declarations(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        declared = auth_declaration(dependency.call)
        if declared is not None:
            yield declared[0]
        yield from _declarations(dependency)


def public_board_routes(tmp_path: Path) -> list[str]:
    """``METHOD /path`` of every route under /v1/board/ that declares itself public."""
    settings = Settings(
        environment="test",
        database_url="sqlite+aiosqlite:///:memory:",
        search_backend="database",  # no index directory is opened just to list the routes
        search_index_path=tmp_path / "search-index",
        file_store_path=tmp_path / "files",
    )
    app = create_app(settings)
    return sorted(
        {
            f"{method} {context.path}"
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, APIRoute)
            and context.path is not None
            and context.path.startswith("/v1/board/")
            and "public" in set(_declarations(context.dependant))
            for method in context.methods or ()
        }
    )


def test_every_public_board_route_is_documented(tmp_path: Path) -> None:
    routes = public_board_routes(tmp_path)
    assert routes, "the app has no public /v1/board/ routes"
    text = (ROOT / "docs" / "careers-board.md").read_text(encoding="utf-8")
    missing = [route for route in routes if f"`{route}`" not in text]
    assert not missing, f"docs/careers-board.md does not document {', '.join(missing)}"
