"""The one set of Jinja2 templates behind every HTML report (campaign brief, eval suite).

Templates are package data in ``evals/reports/templates/``: ``base.html`` (the page and its style),
``macros.html`` (tables, copy, images) and one page per report. Autoescape is on for every ``.html``
template, so text from a request, a model or a data file is always shown as text, never as markup;
an undefined name is an error, not an empty string.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape


class Image(NamedTuple):
    """A PNG embedded in the page (``data:`` URI), so the file can be mailed or attached alone."""

    alt: str
    base64: str


def embed_png(alt: str, data: bytes) -> Image:
    """A PNG's bytes as an embeddable image."""
    return Image(alt=alt, base64=base64.b64encode(data).decode("ascii"))


def copy_lines(text: str) -> Markup:
    """Copy as HTML that keeps its line breaks: a ``<p>`` per blank-line block, ``<br>`` inside it.

    Every line is escaped; only the ``<p>`` and ``<br>`` tags are markup.
    """
    paragraphs = [p.strip("\n") for p in text.split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in p.split("\n")) + Markup("</p>")
        for p in paragraphs
    )


def _fmt(value: object, spec: str) -> str:
    """``format(value, spec)``, as the template filter ``fmt`` (``{{ x | fmt(",.2f") }}``)."""
    return format(value, spec)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("evals.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["lines"] = copy_lines
    return env


_ENV = _environment()


def render_page(template: str, **context: object) -> str:
    """Render one report template (e.g. ``campaign.html``, ``eval.html``) with ``context``.

    Raises:
        jinja2.TemplateNotFound: no such template in the package.
        jinja2.UndefinedError: the template uses a name ``context`` does not give.
    """
    return _ENV.get_template(template).render(**context)
