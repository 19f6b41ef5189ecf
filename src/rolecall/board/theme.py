"""An organisation's accent colour as Pico's primary colour variables, for its careers pages.

The colour is darkened until white text on it, and it as text on white, reach the WCAG AA contrast
of 4.5:1: a careers site must stay readable whatever colour its brand uses. Only the light scheme
takes the colour (with the same selector as Pico's, so this later sheet wins); the dark scheme keeps
Pico's own, which is made for a dark background.
"""

from __future__ import annotations

import hashlib
import re

from rolecall.jobs import service as jobs

_HEX = re.compile(r"\A#?([0-9a-fA-F]{6})\Z")
AA = 4.5


def parse(colour: str | None) -> tuple[int, int, int] | None:
    found = _HEX.match((colour or "").strip())
    if found is None:
        return None
    value = found.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def contrast_with_white(rgb: tuple[int, int, int]) -> float:
    """The WCAG ratio, by the jobs context's one formula (the one that checks colours when saved)."""
    return jobs.contrast_with_white(_hex(rgb))


def _darker(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (round(c * factor) for c in rgb)
    return r, g, b


def _readable(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    while contrast_with_white(rgb) < AA:
        rgb = _darker(rgb, 0.95)
    return rgb


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha})"


def version(colour: str) -> str:
    """A short hash for the stylesheet's URL, so a new colour is a new URL (and no stale cache)."""
    return hashlib.sha256(colour.strip().lower().encode()).hexdigest()[:10]


def stylesheet(colour: str) -> str | None:
    """The stylesheet for an accent colour, or None when it is not a ``#RRGGBB`` colour."""
    rgb = parse(colour)
    if rgb is None:
        return None
    primary = _readable(rgb)
    hover = _darker(primary, 0.85)
    return (
        ":root:not([data-theme=dark]), [data-theme=light] {\n"
        f"  --pico-primary: {_hex(primary)};\n"
        f"  --pico-primary-background: {_hex(primary)};\n"
        f"  --pico-primary-border: {_hex(primary)};\n"
        f"  --pico-primary-hover: {_hex(hover)};\n"
        f"  --pico-primary-hover-background: {_hex(hover)};\n"
        f"  --pico-primary-hover-border: {_hex(hover)};\n"
        f"  --pico-primary-focus: {_rgba(primary, 0.5)};\n"
        "  --pico-primary-inverse: #fff;\n"
        f"  --pico-primary-underline: {_rgba(primary, 0.5)};\n"
        "}\n"
    )


def stylesheet_url(board_slug: str, accent_colour: str | None) -> str | None:
    """Where a careers site's colour sheet is (None without a usable colour), versioned by colour."""
    if accent_colour is None or parse(accent_colour) is None:
        return None
    return f"/careers/{board_slug}/theme.css?v={version(accent_colour)}"
