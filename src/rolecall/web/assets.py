"""Front-end files served by Rolecall itself: vendored libraries plus our own CSS and JavaScript.

At start-up the files are joined into a few bundles (one stylesheet, one script for every page, one
for the pipeline board), each named by a hash of its content so it can be cached for a year, and
kept gzip-compressed in memory. No build step and no CDN: the wheel carries everything.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"

# Bundle name -> files joined in order. Every CSS file of static/css/ follows the framework, sorted by
# name, so a page area adds its styles by adding a file.
_BUNDLES: dict[str, tuple[str, ...]] = {
    "app.css": ("vendor/pico.min.css", "css/*.css"),
    "app.js": ("vendor/htmx.min.js", "js/app.js", "js/assessment.js"),
    "board.js": ("vendor/Sortable.min.js", "js/board.js"),
    # The API documentation pages (/docs, /redoc: rolecall.platform.openapi).
    "swagger-ui.css": ("vendor/swagger-ui.css",),
    "swagger-ui.js": ("vendor/swagger-ui-bundle.js", "js/api-docs.js"),
    "redoc.js": ("vendor/redoc.standalone.js", "js/api-docs.js"),
}
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    media_type: str
    digest: str

    @property
    def url(self) -> str:
        stem, _, ext = self.name.rpartition(".")
        return f"/static/{stem}.{self.digest}.{ext}"


def _files(pattern: str) -> list[Path]:
    if "*" in pattern:
        return sorted(STATIC.glob(pattern))
    return [STATIC / pattern]


def _asset(name: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:12]
    media_type = _TYPES.get(Path(name).suffix, "application/octet-stream")
    return Asset(name, body, gzip.compress(body, compresslevel=9, mtime=0), media_type, digest)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Asset]:
    """Every servable asset by its plain name (``app.css``), built once per process."""
    found: dict[str, Asset] = {}
    for name, patterns in _BUNDLES.items():
        parts = [path.read_bytes() for pattern in patterns for path in _files(pattern) if path.is_file()]
        found[name] = _asset(name, b"\n".join(parts))
    for path in sorted((STATIC / "img").glob("*")) if (STATIC / "img").is_dir() else []:
        found[path.name] = _asset(path.name, path.read_bytes())
    return found


def url_for(name: str) -> str:
    return catalogue()[name].url


def find(requested: str) -> tuple[Asset, bool] | None:
    """The asset a ``/static/`` file name asks for, and whether its hash is the current one.

    An old hash (a page cached across a deploy) still gets the current file, but only briefly cached.
    """
    stem, _, ext = requested.rpartition(".")
    base, _, digest = stem.rpartition(".")
    asset = catalogue().get(f"{base}.{ext}") if base else catalogue().get(requested)
    if asset is None:
        return None
    return asset, digest == asset.digest
