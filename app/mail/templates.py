"""The organization's confirmation email template, rendered in a Jinja sandbox.

A template sees only plain dicts, lists and strings (see ``app.mail.context``), in an
immutable sandbox with strict undefined values: reaching for Python internals
(``{{ ''.__class__ }}``), calling unsafe methods or naming a placeholder that does not
exist is refused with a readable message instead of rendering something surprising.

A template is also held to a budget: it is compiled and rendered in a separate process
(see ``app.mail.limits``) with a time limit and a memory limit, so ``{{ 9**9**9 }}``,
``{{ 'x' * 10**10 }}`` or nested loops over every character of the notes cannot stall
or exhaust the web process; they are reported like any other template problem.

The body is plain text: the HTML part is that text escaped as a whole (literal text
and placeholder values alike) and split into paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from app.db.models import Organization
from app.mail import limits

DEFAULT_SUBJECT = "Order confirmation {{ order.number }} from {{ organization.name }}"
DEFAULT_BODY = """Hello {{ customer.name }},

Thank you for your order. Your order {{ order.number }} (PO {{ order.po_number }}) dated {{ order.date }} totals {{ order.total }}.

The confirmation is attached as a PDF. Reply to this email with any questions.

Kind regards,
{{ rep.name }}
{{ organization.name }}"""

MAX_TEMPLATE_LENGTH = 10_000
MAX_OUTPUT_LENGTH = 100_000
RENDER_SECONDS = 2.0  # wall-clock budget for compiling and rendering subject and body
RENDER_MEMORY = 256 * 1024 * 1024  # address space a render may add to its process

PLACEHOLDERS = (
    ("order.number", "Order number"), ("order.date", "Order date"), ("order.po_number", "PO number"),
    ("order.total", "Order total, formatted"), ("order.subtotal", "Subtotal"), ("order.shipping", "Shipping"),
    ("order.tax", "Tax"), ("order.terms", "Terms"), ("order.status", "Status"), ("order.notes", "Notes"),
    ("order.item_count", "Number of lines"), ("customer.name", "Company name"),
    ("customer.number", "Customer number"), ("customer.email", "Customer email"),
    ("rep.name", "Primary sales rep"), ("rep.email", "Rep's email"), ("taken_by.name", "Taken-by rep"),
    ("organization.name", "Your organization"), ("lines", "Line items (each: sku, name, quantity, price, subtotal)"),
)


class TemplateProblem(Exception):
    """A template that cannot be used, with a message an admin can act on."""

    def __init__(self, part: str, message: str):
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message

    def __reduce__(self):  # raised in the rendering process, re-raised in the caller
        return (TemplateProblem, (self.part, self.message))


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html_body: Markup


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True, cache_size=0)
    env.globals.clear()  # no range, lipsum, cycler, …: only the values given to render
    return env


_ENV = _environment()


def subject_source(org: Organization) -> str:
    return (org.email_subject_template or "").strip() or DEFAULT_SUBJECT


def body_source(org: Organization) -> str:
    return (org.email_body_template or "").strip() or DEFAULT_BODY


def _render(part: str, source: str, values: dict[str, Any]) -> str:
    """One part, compiled and rendered; output is counted as it is produced."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        raise TemplateProblem(part, f"is longer than {MAX_TEMPLATE_LENGTH:,} characters")
    too_long = TemplateProblem(part, f"renders to more than {MAX_OUTPUT_LENGTH:,} characters")
    try:
        chunks, size = [], 0
        for chunk in _ENV.from_string(source).generate(values):
            size += len(chunk)
            if size > MAX_OUTPUT_LENGTH:
                raise too_long
            chunks.append(chunk)
    except TemplateProblem:
        raise
    except MemoryError as exc:
        raise TemplateProblem(part, "needs more memory than a template may use") from exc
    except SecurityError as exc:
        raise TemplateProblem(part, f"not allowed — {exc} Only the listed placeholders can be used.") from exc
    except TemplateSyntaxError as exc:
        raise TemplateProblem(part, f"syntax error on line {exc.lineno}: {exc.message}") from exc
    except TemplateError as exc:
        raise TemplateProblem(part, f"{exc.message or exc}") from exc
    except Exception as exc:  # noqa: BLE001 - filters can fail in many ways (assertions, recursion, lookups)
        raise TemplateProblem(part, f"could not be rendered: {exc}") from exc
    return "".join(chunks)


def _paragraphs(html_text: Markup) -> Markup:
    """Escaped body text as HTML paragraphs: blank lines split paragraphs, single
    newlines become line breaks."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(html_text).replace("\r\n", "\n")) if b.strip()]
    return Markup("\n".join(f"<p>{block.replace(chr(10), '<br>')}</p>" for block in blocks))


def _render_parts(values: dict[str, Any], subject: str, body: str, report: limits.Report) -> tuple[str, str]:
    """Runs inside the limited process: reports which part it is on, then both texts."""
    report("Subject")
    rendered_subject = " ".join(_render("Subject", subject, values).split())
    if not rendered_subject:
        raise TemplateProblem("Subject", "renders to nothing; an email needs a subject")
    report("Body")
    return rendered_subject[:300], _render("Body", body, values).strip()


def render_email(values: dict[str, Any], *, subject: str, body: str) -> RenderedEmail:
    """Subject (one line), plain-text body, and HTML body paragraphs (all of it escaped)."""
    try:
        rendered_subject, text = limits.run(_render_parts, (values, subject, body), seconds=RENDER_SECONDS,
                                            memory=RENDER_MEMORY, passes=(TemplateProblem,))
    except limits.TooSlow as exc:
        raise TemplateProblem(exc.stage or "Template", f"took longer than {RENDER_SECONDS:g} seconds to render") from exc
    except limits.TooBig as exc:
        raise TemplateProblem(exc.stage or "Template", "needs more memory than a template may use") from exc
    return RenderedEmail(rendered_subject, text, _paragraphs(escape(text)))


def render_default(values: dict[str, Any]) -> RenderedEmail:
    """The built-in template, rendered in this process: it is the project's own text, so
    it needs no sandbox, and the fallback must not fail when a busy machine makes the
    sandbox miss its time limit."""
    rendered_subject, text = _render_parts(values, DEFAULT_SUBJECT, DEFAULT_BODY, lambda stage: None)
    return RenderedEmail(rendered_subject, text, _paragraphs(escape(text)))


def render_for(org: Organization, values: dict[str, Any]) -> RenderedEmail:
    return render_email(values, subject=subject_source(org), body=body_source(org))


__all__ = ["DEFAULT_BODY", "DEFAULT_SUBJECT", "PLACEHOLDERS", "RenderedEmail", "TemplateProblem",
           "escape", "render_email", "render_for"]
