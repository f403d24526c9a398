"""WTForms for the order page's inline edits. Forms check presence and length; the
domain (the same parser the API uses) decides validity, and its errors are shown
beside the matching field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.domain import numbers
from app.domain.errors import FieldError, ValidationFailed
from app.domain.money import minor_units, round_amount
from app.domain.orders import ADDRESS_FIELDS

ADDRESS_LABELS = {
    "address1": "Address line 1", "address2": "Address line 2", "city": "City",
    "stateProvince": "State / province", "zipPostalCode": "ZIP / postal code", "country": "Country",
}


def _address_fields(cls):
    for name in ADDRESS_FIELDS:
        setattr(cls, name, StringField(ADDRESS_LABELS[name], validators=[Optional(), Length(max=200)]))
    return cls


class VersionedForm(FlaskForm):
    """A form that carries the order version it was opened on: saving over a newer
    version is refused (and what changed is shown) instead of overwriting it."""

    version = HiddenField(render_kw={"id": False})

    def opened_version(self) -> int | None:
        return parse_version(self.version.data)


def parse_version(raw: Any) -> int | None:
    """The version a form was opened on; anything that is not one counts as none."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@_address_fields
class ShippingForm(VersionedForm):
    method = StringField("Shipping method", validators=[DataRequired(), Length(max=100)])
    total = StringField("Shipping cost", validators=[DataRequired(), Length(max=30)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def payload(self, *, locale: str, currency: str) -> dict[str, Any]:
        """The update as the API takes it; the cost is read in the organization's locale
        with at most the currency's decimals, or refused beside the field."""
        try:
            total = numbers.read_decimal(self.total.data, locale, places=minor_units(currency), what="amount")
        except numbers.TypedNumberError as exc:
            raise ValidationFailed([FieldError("total", exc.message)]) from None
        return {
            "method": self.method.data,
            "total": total,
            "shippingAddress": _address(self),
        }


@_address_fields
class CustomerForm(VersionedForm):
    customerNumber = StringField("Customer number", validators=[DataRequired(), Length(max=64)])
    companyName = StringField("Company name", validators=[DataRequired(), Length(max=200)])
    companyEmail = StringField("Email", validators=[Optional(), Length(max=254)])
    companyPhone = StringField("Phone", validators=[Optional(), Length(max=50)])
    companyFax = StringField("Fax", validators=[Optional(), Length(max=50)])

    def payload(self, **_: Any) -> dict[str, Any]:
        return {
            "customerNumber": self.customerNumber.data,
            "companyName": self.companyName.data,
            "companyEmail": self.companyEmail.data or None,
            "companyPhone": self.companyPhone.data or None,
            "companyFax": self.companyFax.data or None,
            "billingAddress": _address(self),
        }


def _address(form: FlaskForm) -> dict[str, str] | None:
    values = {name: getattr(form, name).data for name in ADDRESS_FIELDS if getattr(form, name).data}
    return values or None


def attach_errors(form: FlaskForm, errors: list[FieldError]) -> None:
    """Show each domain error beside its field (``billingAddress.city`` → ``city``)."""
    for error in errors:
        name = error.field.rsplit(".", 1)[-1]
        field = getattr(form, name, None) if name in form._fields else None
        if field is None:
            form.form_errors.append(f"{error.field} {error.message}")
        else:
            field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]


def fill_shipping(form: ShippingForm, order, locale: str) -> None:
    form.version.data = str(order.version)
    places = minor_units(order.currency_code)
    form.method.data = order.shipping_method
    form.total.data = numbers.for_input(round_amount(order.shipping_total, order.currency_code), locale,
                                        min_places=places, max_places=places)
    for name in ADDRESS_FIELDS:
        getattr(form, name).data = (order.shipping_address or {}).get(name, "")


def fill_customer(form: CustomerForm, order, locale: str) -> None:
    form.version.data = str(order.version)
    form.customerNumber.data = order.customer_number
    form.companyName.data = order.company_name
    form.companyEmail.data = order.company_email
    form.companyPhone.data = order.company_phone
    form.companyFax.data = order.company_fax
    for name in ADDRESS_FIELDS:
        getattr(form, name).data = (order.billing_address or {}).get(name, "")
