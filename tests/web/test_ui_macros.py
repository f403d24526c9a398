"""The shared form and table macros (templates/_ui.html) that new pages build on: the
on-screen keyboard follows the field's kind, and tables are ready to become cards."""

from __future__ import annotations

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, IntegerField, StringField, TelField


class KindsForm(FlaskForm):
    amount = DecimalField("Amount")
    count = IntegerField("Count")
    email = EmailField("Email")
    phone = TelField("Phone")
    name = StringField("Name")


def render(source: str, **context) -> str:
    return render_template_string('{% import "_ui.html" as ui %}' + source, **context)


def test_a_field_brings_up_the_keyboard_its_value_needs(app):
    with app.test_request_context():
        form = KindsForm(meta={"csrf": False})
        html = {name: render("{{ ui.field(form[name]) }}", form=form, name=name) for name in form._fields}
    assert 'inputmode="decimal"' in html["amount"] and 'type="text"' in html["amount"]
    assert 'inputmode="numeric"' in html["count"] and 'type="text"' in html["count"]
    assert 'type="email"' in html["email"] and 'autocapitalize="none"' in html["email"]
    assert 'type="tel"' in html["phone"]
    assert "inputmode" not in html["name"] and 'type="text"' in html["name"]
    assert '<label for="amount">Amount</label>' in html["amount"]


def test_a_field_shows_its_errors_beside_it(app):
    with app.test_request_context():
        form = KindsForm(meta={"csrf": False})
        form.amount.errors = ["must not be negative"]
        html = render("{{ ui.field(form.amount, inputmode='decimal') }}", form=form)
    assert 'aria-invalid="true"' in html and 'aria-describedby="amount-error"' in html
    assert '<p class="field-error" id="amount-error">must not be negative</p>' in html


def test_a_table_labels_every_cell_for_its_card_layout(app):
    source = """{% call ui.table("Price tiers", ["Name", ("Orders", "num")]) %}<tr>
        {%- call ui.cell("Name", title=True) %}Wholesale{% endcall %}
        {%- call ui.cell("Orders", class="num") %}12{% endcall %}</tr>{% endcall %}"""
    with app.test_request_context():
        html = render(source)
    assert '<table class="stack-table ">' in html
    assert '<caption class="visually-hidden">Price tiers</caption>' in html
    assert '<th scope="col" class="num">Orders</th>' in html
    assert '<td class="stack-title ">Wholesale</td>' in html
    assert '<td data-label="Orders" class="num">12</td>' in html
