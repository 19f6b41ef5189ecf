"""Organisation overrides: the sandbox that compiles and renders admins' own Jinja templates.

Admins may replace the whole document or single sections with their own Jinja templates
(:data:`OVERRIDE_NAMES`): ``"markdown"`` replaces the whole Markdown document, ``"html"`` the
inside of the HTML article, and ``"markdown.<section>"`` / ``"html.<section>"`` replace one
section, heading included. Override templates are untrusted: they run in an immutable sandbox with
strict undefined variables, see only plain data (dicts, lists, strings, numbers), and get the same
escaping as the built-in templates. Any failure to compile or render raises
:class:`TemplateOverrideError` naming the template and the line;
:func:`~rolecall.jobs.description.validation.validate_override` runs both steps against sample
data so a bad override is rejected when it is saved. A section override that renders only
whitespace removes that section.

What each override sees:

* section overrides: ``section`` (the section's entry from
  :func:`~rolecall.jobs.description.sections.render_json`), ``company``, ``job``;
* document overrides: ``title``, ``meta`` (the header facts as strings), ``company``, ``job`` and
  ``sections`` (a list of ``{key, heading, body}`` with each body already rendered). The ``html``
  override renders the inside of the ``<article>``; the article element and the JSON-LD block are
  always added around it.

Escaping cannot be switched off: the ``safe`` filter (and the other filters that mark text as
markup) are removed, ``{% autoescape %}`` blocks are refused when the template is compiled, and
the HTML an override produces is cleaned with ``nh3`` against the allow-list of
:mod:`rolecall.platform.template_sandbox` (links only to ``http``, ``https`` and ``mailto``, with
``rel="noopener nofollow"``), so literal ``<script>`` in the template source, ``onerror=``
attributes and ``javascript:`` links never reach a page. Markdown overrides keep their Markdown
but lose raw HTML: every ``<`` that does not open an autolink is escaped, and link targets with
another scheme are replaced by ``#``. The built-in templates are trusted and do not go through
the cleaner, so their output is unchanged.

The sandbox stops templates from reaching Python internals, and bounds ``range()`` and repetition
with ``*``; it cannot bound the CPU time or memory of a deliberately slow template. That is done
by :mod:`rolecall.jobs.description.budgeted`, which runs every render that involves an override in
a child process under a hard budget.

This module only knows how to run an override against a context; which context each override gets
is decided by the renderers in :mod:`rolecall.jobs.description.render`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rolecall.jobs.description.sections import SECTION_KEYS
from rolecall.jobs.description.templates import (
    _html_finalize,
    _markdown_finalize,
    _markdown_url,
    markdown_escape,
)
from rolecall.platform import template_sandbox
from rolecall.platform.template_sandbox import URL_SCHEMES, clean_html

_FORMATS: Final = ("markdown", "html")
OVERRIDE_NAMES: Final[frozenset[str]] = frozenset(
    {*_FORMATS, *(f"{fmt}.{key}" for fmt in _FORMATS for key in SECTION_KEYS)}
)
MAX_OVERRIDE_SOURCE: Final = 50_000
MAX_OVERRIDE_OUTPUT: Final = 500_000

# --- the sandbox -------------------------------------------------------------------------------


class TemplateOverrideError(ValueError):
    """An organisation's override template does not compile or does not render."""

    def __init__(self, name: str, message: str, line: int | None = None) -> None:
        self.name = name
        self.line = line
        self.message = message
        where = f"template override {name!r}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rendered in a child process (rolecall.jobs.description.budgeted): the error travels back
        # pickled, and the default pickling would call __init__ with the formatted message only.
        return (type(self), (self.name, self.message, self.line))


_MAX_RANGE: Final = 1000
_MAX_REPEAT: Final = 100_000
_MAX_EXPONENT: Final = 64


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > _MAX_RANGE:
        raise SecurityError(f"range() in an override may produce at most {_MAX_RANGE} items")
    return result


class _OverrideEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox for organisation templates: no Python internals, no mutation, no huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and any(
            isinstance(v, int | float) and abs(v) > limit
            for v, limit in ((left, 2**64), (right, _MAX_EXPONENT))
        ):
            raise SecurityError(f"exponents above {_MAX_EXPONENT} and bases above 2**64 are not allowed")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                repeated = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if repeated and len(seq) * count > _MAX_REPEAT:
                    raise SecurityError(
                        f"repetition producing more than {_MAX_REPEAT} characters or items is not allowed"
                    )
        return super().call_binop(context, operator, left, right)


def _override_environment(*, html: bool) -> _OverrideEnvironment:
    env = _OverrideEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_html_finalize if html else _markdown_finalize,
    )
    env.globals["range"] = _bounded_range
    template_sandbox.harden(env)
    env.filters["md"] = markdown_escape
    env.filters["md_url"] = _markdown_url
    return env


_OVERRIDE_ENVIRONMENTS: Final = {
    "markdown": _override_environment(html=False),
    "html": _override_environment(html=True),
}


def _filename(name: str) -> str:
    return f"<override {name}>"


def _error_line(exc: BaseException, name: str) -> int | None:
    """The line of the override template where ``exc`` was raised, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None) if isinstance(exc, TemplateSyntaxError) else None
    filename = _filename(name)
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _reason(exc: Exception) -> str:
    if isinstance(exc, TemplateSyntaxError):
        return f"syntax error: {exc.message}"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    if isinstance(exc, UndefinedError):
        return f"undefined value: {exc}"
    if isinstance(exc, MemoryError):  # raised in the budgeted child by its address-space limit
        return "stopped after using more memory than the render budget allows; simplify the template"
    return f"{type(exc).__name__}: {exc}"


def _check_name(name: str) -> str:
    if name not in OVERRIDE_NAMES:
        raise TemplateOverrideError(
            name,
            "unknown template name; use 'markdown', 'html', 'markdown.<section>' or 'html.<section>' "
            f"with a section out of {', '.join(SECTION_KEYS)}",
        )
    return name.split(".", 1)[0]


@functools.lru_cache(maxsize=256)
def _compile_override(name: str, source: str) -> Template:
    fmt = _check_name(name)
    if len(source) > MAX_OVERRIDE_SOURCE:
        raise TemplateOverrideError(name, f"the template is longer than {MAX_OVERRIDE_SOURCE} characters")
    env = _OVERRIDE_ENVIRONMENTS[fmt]
    try:
        _refuse_escape_switches(name, env.parse(source, name=name, filename=_filename(name)))
        code = env.compile(source, name=name, filename=_filename(name))
    except TemplateOverrideError:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateOverrideError(name, _reason(exc), exc.lineno) from exc
    except Exception as exc:  # the compiler can fail in other ways on hostile input
        raise TemplateOverrideError(name, _reason(exc), _error_line(exc, name)) from exc
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def _render_override(name: str, source: str, context: Mapping[str, Any]) -> str:
    template = _compile_override(name, source)
    try:
        output = template.render(**context)
    except Exception as exc:
        raise TemplateOverrideError(name, _reason(exc), _error_line(exc, name)) from exc
    if len(output) > MAX_OVERRIDE_OUTPUT:
        raise TemplateOverrideError(name, f"the output is longer than {MAX_OVERRIDE_OUTPUT} characters")
    return clean_html(output) if name.startswith("html") else clean_markdown(output)


def _refuse_escape_switches(name: str, tree: nodes.Template) -> None:
    """``{% autoescape false %}``, ``|safe`` and the like are refused when the override compiles."""
    for line, message in template_sandbox.escape_switches(tree):
        raise TemplateOverrideError(name, message, line)


# --- what an override may emit ------------------------------------------------------------------

_AUTOLINK: Final = re.compile(r"<((?:https?|mailto):[^\s<>]*)>")
# A "<" after an even number of backslashes (none included) is not escaped yet.
_BARE_ANGLE: Final = re.compile(r"(?<!\\)((?:\\\\)*)<")
_LINK_TARGET: Final = re.compile(r"\]\(\s*(?:\\?<)?\s*([A-Za-z][A-Za-z0-9+.-]*):", re.ASCII)
# A link reference definition ("[name]: target") at the start of a line.
_LINK_DEFINITION: Final = re.compile(
    r"^( {0,3}\[[^\]\n]+\]:[ \t]*(?:\\?<)?[ \t]*)([A-Za-z][A-Za-z0-9+.-]*):", re.ASCII | re.MULTILINE
)


def clean_markdown(markdown: str) -> str:
    """Markdown an override emitted, with no way to carry HTML into a page that renders it.

    Every ``<`` is escaped except the ones opening an autolink (``<https://…>``), so raw HTML
    reads as text; a link (inline or a reference definition) whose target has a scheme other than
    http, https or mailto points to ``#`` instead.
    """
    parts = _AUTOLINK.split(markdown)
    for index in range(0, len(parts), 2):
        parts[index] = _BARE_ANGLE.sub(r"\1\\<", parts[index])
    for index in range(1, len(parts), 2):
        parts[index] = f"<{parts[index]}>"
    text = "".join(parts)
    text = _LINK_TARGET.sub(lambda m: m.group(0) if m.group(1).lower() in URL_SCHEMES else "](#", text)
    return _LINK_DEFINITION.sub(
        lambda m: m.group(0) if m.group(2).lower() in URL_SCHEMES else f"{m.group(1)}#", text
    )


def _checked_overrides(overrides: Mapping[str, str] | None) -> Mapping[str, str]:
    if not overrides:
        return {}
    for name in overrides:
        _check_name(name)
    return overrides
