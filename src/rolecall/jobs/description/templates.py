"""The trusted Jinja environments for the built-in templates, and Markdown escaping.

Escaping. User-provided text is data, never markup:

* HTML templates run with autoescaping on.
* Markdown templates run in an environment whose ``finalize`` hook escapes every printed value
  for Markdown (:func:`markdown_escape`) unless it is already Markdown (:class:`MarkdownText`), so
  a company called ``*Acme* <script>`` is printed as those characters, not as emphasis or a tag.

The escaping helpers and finalize hooks are shared with the sandbox for organisation overrides
(:mod:`rolecall.jobs.description.overrides`), so an override gets exactly the same escaping as the
built-in templates. The tidy helpers remove the blank lines and trailing blanks that template
control blocks leave behind, so the output does not depend on how a template is laid out. The
templates themselves stay in ``rolecall/jobs/templates`` and are loaded through the
``rolecall.jobs`` package.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

# --- Markdown escaping -------------------------------------------------------------------------


class MarkdownText(str):
    """Text that is already Markdown; the Markdown environments print it unchanged."""

    __slots__ = ()


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
# Leading blanks would turn a line into an indented code block; Markdown drops them anyway.
_MD_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# Constructs that only mean something at the start of a line: headings, list items, thematic
# breaks, setext underlines and ordered-list numbers ("1." / "1)").
_MD_LINE_START = re.compile(r"^([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\d+)([.)])", re.MULTILINE)


def markdown_escape(value: object) -> MarkdownText:
    """``value`` as Markdown that reads back as its characters, not as markup.

    Leading blanks on a line are dropped (Markdown ignores them, or turns four into a code block).
    Already-escaped :class:`MarkdownText` is returned unchanged, so escaping twice is harmless.
    """
    if isinstance(value, MarkdownText):
        return value
    text = "" if value is None else str(value)
    text = _MD_INDENT.sub("", text)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\\\1", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return MarkdownText(text)


def _markdown_url(value: object) -> MarkdownText:
    """An autolink. Validated URLs are already percent-encoded; the replacements are a safety net."""
    text = str(value).replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return MarkdownText(f"<{text}>")


def _markdown_finalize(value: object) -> object:
    return markdown_escape(value)


def _html_finalize(value: object) -> object:
    return "" if value is None else value


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)


def _tidy_markdown(text: str) -> str:
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def _tidy_html(text: str) -> str:
    lines = (line.rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


# --- built-in templates ------------------------------------------------------------------------


def _trusted_environment(*, html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("rolecall.jobs", "templates"),
        # Markdown is not HTML: its escaping is the finalize hook, so HTML autoescaping stays off there.
        autoescape=html,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_html_finalize if html else _markdown_finalize,
    )
    env.filters["md"] = markdown_escape
    env.filters["md_url"] = _markdown_url
    return env


@functools.cache
def _template(name: str) -> Template:
    return _trusted_environment(html=name.endswith(".html.j2")).get_template(name)


def _macro(template: str, name: str) -> Any:
    return getattr(_template(template).module, name)
