"""What every organisation-written template shares: no way around escaping, and an HTML allow-list.

Organisations write their own Jinja templates (job-description overrides, e-mail templates). They
run in Jinja's immutable sandbox, and on top of that:

* :func:`harden` removes the filters that mark text as safe markup or build markup (``safe``,
  ``urlize``, ``forceescape``, ``xmlattr``), so everything a template prints is escaped;
* :func:`escape_switches` finds ``{% autoescape false %}`` blocks (and any other change of the
  evaluation context) and uses of the removed filters in a parsed template, so they are refused
  when the template is saved, with the line;
* :func:`clean_html` reduces the HTML a template produced to an allow-list of tags and attributes
  with ``nh3``: literal ``<script>`` in the template source, ``on*=`` attributes, ``style`` and
  links to schemes other than http, https and mailto are gone, and links get
  ``rel="noopener nofollow"``.

Built-in templates are trusted and do not go through :func:`clean_html`, so their output is
unchanged. CPU time and memory are bounded separately, by :mod:`rolecall.platform.budget`.
"""

from __future__ import annotations

from typing import Final

import nh3
from jinja2 import Environment, nodes

MARKUP_FILTERS: Final = ("safe", "urlize", "forceescape", "xmlattr")

HTML_TAGS: Final = frozenset(
    {
        *("section", "header", "div", "span", "h1", "h2", "h3", "h4", "p", "br", "hr", "blockquote"),
        *("ul", "ol", "li", "strong", "em", "b", "i", "a", "img"),
        *("table", "thead", "tbody", "tr", "th", "td", "caption"),
    }
)
HTML_ATTRIBUTES: Final = {
    "*": frozenset({"class"}),
    "section": frozenset({"data-section"}),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "td": frozenset({"colspan", "rowspan"}),
}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})


def harden(env: Environment) -> None:
    """Take the markup-making filters out of ``env``."""
    for name in MARKUP_FILTERS:
        env.filters.pop(name, None)


def escape_switches(tree: nodes.Template) -> list[tuple[int, str]]:
    """Each place (line, message) where a parsed template tries to switch escaping off."""
    found: list[tuple[int, str]] = []
    for switch in tree.find_all((nodes.EvalContextModifier, nodes.ScopedEvalContextModifier)):
        found.append((switch.lineno, "autoescape blocks are not allowed: escaping is always on"))
    for used in tree.find_all(nodes.Filter):
        if used.name in MARKUP_FILTERS:
            found.append((used.lineno, f"the {used.name!r} filter is not allowed: escaping is always on"))
    return found


def clean_html(html: str) -> str:
    """``html`` reduced to :data:`HTML_TAGS` and :data:`HTML_ATTRIBUTES` (see the module docstring).

    Script and style elements go together with their content; comments are dropped.
    """
    return nh3.clean(
        html,
        tags=set(HTML_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in HTML_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener nofollow",
        strip_comments=True,
    )
