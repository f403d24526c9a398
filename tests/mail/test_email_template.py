"""The organization's email template runs in a sandbox that sees plain values only."""

from __future__ import annotations

import pytest

from app.mail import templates
from app.mail.context import confirmation_values
from app.mail.service import compose
from app.mail.templates import DEFAULT_SUBJECT, TemplateProblem, render_email
from tests.mail.conftest import make_order

HOSTILE = [
    "{{ order.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ order.number.__class__ }}",
    "{{ lines.__len__() }}",
    "{{ order.pop('number') }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ config }}",
    "{{ request }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_a_template_reaching_for_python_internals_is_refused(db_session, org, actor, source):
    values = confirmation_values(make_order(db_session, actor), org)
    with pytest.raises(TemplateProblem) as problem:
        render_email(values, subject=DEFAULT_SUBJECT, body=source)
    assert problem.value.part == "Body" and problem.value.message


def test_unsafe_attribute_message_is_clear(db_session, org, actor):
    values = confirmation_values(make_order(db_session, actor), org)
    with pytest.raises(TemplateProblem) as problem:
        render_email(values, subject="{{ ''.__class__ }}", body="x")
    assert "not allowed" in str(problem.value) and "__class__" in str(problem.value)


def test_placeholders_render_with_formatted_values(db_session, org, actor):
    order = make_order(db_session, actor)
    values = confirmation_values(order, org)
    rendered = render_email(values, subject="{{ order.number }} for {{ customer.name }}",
                            body="Total {{ order.total }} by {{ rep.name }}\n\n{% for line in lines %}{{ line.sku }} {% endfor %}")
    assert rendered.subject == f"{order.order_number} for Brightfield Supply Co."
    assert rendered.text.startswith("Total $479.30 by Jordan Avery")
    assert "WDG-BLU-L WDG-RED-M" in rendered.text
    assert str(rendered.html_body).startswith("<p>Total $479.30 by Jordan Avery</p>")


def test_syntax_errors_and_unknown_placeholders_are_explained(db_session, org, actor):
    values = confirmation_values(make_order(db_session, actor), org)
    with pytest.raises(TemplateProblem, match="syntax error on line 2"):
        render_email(values, subject="s", body="ok\n{% if %}")
    with pytest.raises(TemplateProblem, match="'customer' has no attribute 'nmae'|nmae"):
        render_email(values, subject="s", body="{{ customer.nmae }}")


def test_a_saved_template_that_no_longer_renders_falls_back_to_the_default(db_session, org, actor):
    org.email_body_template = "{{ missing.value }}"
    order = make_order(db_session, actor)
    rendered, text, html = compose(order, org)
    assert order.order_number in rendered.subject and "Thank you for your order" in text


def test_a_filter_failing_at_render_time_is_a_template_problem_and_sending_falls_back(db_session, org, actor):
    values = confirmation_values(make_order(db_session, actor), org)
    with pytest.raises(TemplateProblem, match="could not be rendered"):
        render_email(values, subject="s", body="{{ order.number|truncate(-5) }}")
    org.email_body_template = "Hi {{ order.number|truncate(-5) }}"
    order = make_order(db_session, actor)
    rendered, text, html = compose(order, org)
    assert order.order_number in rendered.subject and "Thank you for your order" in text


NOTES_LOOPS = "{% for a in order.notes %}{% for b in order.notes %}{% for c in order.notes %}{% endfor %}{% endfor %}{% endfor %}"


@pytest.mark.parametrize("source, message", [
    ("{{ 9 ** 999999999 }}", "took longer than"),
    ("{{ 'x' * 10 ** 10 }}", "needs more memory than a template may use"),
    ("{{ order.number|center(300000000) }}", "needs more memory than a template may use"),
    (NOTES_LOOPS, "took longer than"),
    ("{% for line in lines %}{{ order.notes }}{% endfor %}" * 40, "renders to more than 100,000 characters"),
])
def test_a_template_over_its_time_or_memory_budget_is_a_template_problem(db_session, org, actor, monkeypatch,
                                                                           source, message):
    """Runaway templates are stopped in their own process and explained; the caller goes on."""
    monkeypatch.setattr(templates, "RENDER_SECONDS", 0.5)
    order = make_order(db_session, actor)
    order.notes = "n" * 2000
    values = confirmation_values(order, org)
    with pytest.raises(TemplateProblem) as problem:
        render_email(values, subject=DEFAULT_SUBJECT, body=source)
    assert problem.value.part == "Body" and message in problem.value.message
    ok = render_email(values, subject=DEFAULT_SUBJECT, body="Total {{ order.total }}")
    assert ok.text == "Total $479.30"


def test_the_body_is_plain_text_so_literal_html_is_escaped_in_the_html_part(db_session, org, actor):
    order = make_order(db_session, actor)
    order.company_name = "Tom & <Jerry>"
    values = confirmation_values(order, org)
    rendered = render_email(values, subject=DEFAULT_SUBJECT,
                            body='<a href="http://evil.example">Click</a> for {{ customer.name }}\nline two')
    assert rendered.text == '<a href="http://evil.example">Click</a> for Tom & <Jerry>\nline two'
    assert str(rendered.html_body) == ("<p>&lt;a href=&#34;http://evil.example&#34;&gt;Click&lt;/a&gt; for "
                                       "Tom &amp; &lt;Jerry&gt;<br>line two</p>")
