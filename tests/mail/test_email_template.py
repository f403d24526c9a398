"""The organization's email template runs in a sandbox that sees plain values only."""

from __future__ import annotations

import pytest

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
