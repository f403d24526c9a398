"""The catalog and customer directory pages: searchable, sortable lists, a product page
with its price grid and who bought it, a customer page with their orders, totals and
top products. Edits go through the catalog service, as the API's do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, flash, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TelField
from wtforms.validators import Length, Optional

from app.api.catalog import KeyConverter
from app.db.models import Organization
from app.domain import money, numbers
from app.domain.errors import FieldError
from app.domain.identifiers import normalize_identifier
from app.domain.orders import ADDRESS_FIELDS
from app.extensions import db
from app.services import catalog
from app.services.orders import load_org
from app.web import bp
from app.web.auth import current_actor, role_required
from app.web.forms import ADDRESS_LABELS
from app.web.htmx import is_fragment_request, redirect_to


def _register_converter(state: Any) -> None:
    state.app.url_map.converters.setdefault("key", KeyConverter)


bp.record_once(_register_converter)

PAGE_SIZE = 25
PRODUCT_COLUMNS = {"sku": "SKU", "name": "Name", "minimumOrderQuantity": "Min qty", "active": "Active"}
NUMERIC_SORTS = frozenset({"minimumOrderQuantity"})
CUSTOMER_COLUMNS = {"companyName": "Company", "customerNumber": "Customer #", "createdAt": "Added"}


def _org() -> Organization:
    return load_org(db.session, current_actor().organization_id)


def _view(args: Any, sorts: dict[str, str], default_sort: str) -> dict[str, str]:
    """The list's state as it appears in the URL (unknown sort keys and pages ignored)."""
    view = {k: args.get(k, "").strip() for k in ("q", "sort", "dir", "page") if args.get(k, "").strip()}
    if view.get("sort") not in sorts:
        view.pop("sort", None)
    if view.get("dir") not in ("asc", "desc"):
        view.pop("dir", None)
    if not (view.get("page", "").isascii() and view.get("page", "").isdigit()
            and 1 <= int(view["page"]) <= catalog.MAX_PAGE_NUMBER if view.get("page") else True):
        view.pop("page", None)
    view["q"] = "".join(ch for ch in view.get("q", "") if ord(ch) >= 32 and ord(ch) != 127)[:catalog.MAX_QUERY]
    if not view["q"]:
        view.pop("q")
    return view


def _list_page(endpoint: str, template: str, search: Any, sorts: dict[str, str], default_sort: str,
               whole_page: bool = False, **extra: Any) -> Any:
    view = _view(request.args, sorts, default_sort)

    def link(**changes: str | None) -> str:
        state = {k: v for k, v in {**view, **changes}.items() if v}
        return url_for(endpoint) + ("?" + urlencode(state) if state else "")

    page = search(db.session, current_actor(), q=view.get("q", ""), page=int(view.get("page", 1)), size=PAGE_SIZE,
                  sort=view.get("sort", default_sort), descending=view.get("dir") == "desc")
    context = {"view": view, "page": page, "link": link, "sortable": sorts, "numeric_sorts": NUMERIC_SORTS,
               "default_sort": default_sort,
               "org": _org(), **extra}
    if is_fragment_request() and not whole_page:
        response = Response(render_template(f"{template}/_results.html", **context))
        response.headers["HX-Push-Url"] = link()
        return response
    return render_template(f"{template}/index.html", **context)


LABELS = {"name": "name", "minimumOrderQuantity": "minimum order quantity", "quantityIncrement": "increment",
          "active": "active", "companyName": "company name", "companyEmail": "email", "companyPhone": "phone",
          "companyFax": "fax", "billingAddress": "billing address", "shippingAddress": "shipping address",
          "defaultPriceTier": "default price tier", "defaultTerms": "default terms", "defaultCurrency": "default currency"}


def change_label(name: str) -> str:
    """A changed field for people: ``prices.Retail.CAD`` → ``Retail price in CAD``."""
    if name.startswith("prices."):
        tier, _, currency = name[len("prices."):].rpartition(".")
        return f"{tier} price in {currency}"
    return LABELS.get(name, name)


def _saved_message(result: catalog.ItemResult) -> str:
    if result.status != catalog.UPDATED:
        return "Nothing changed."
    changed = len(result.changes)
    return f"Saved {changed} change{'s' if changed != 1 else ''}: " + ", ".join(map(change_label, result.changes)) + "."


# --------------------------------------------------------------------------- products


@bp.get("/products")
@role_required()
def products():
    # A search or sort swaps only the results: the form is on the page already.
    extra = {} if is_fragment_request() else _new_product_context()
    return _list_page("web.products", "products", catalog.search_products, PRODUCT_COLUMNS, "sku", **extra)


class ProductForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=300)])
    minimumOrderQuantity = StringField("Minimum order quantity", render_kw={"inputmode": "numeric", "autocomplete": "off"})  # noqa: N815
    quantityIncrement = StringField("Quantity increment", render_kw={"inputmode": "numeric", "autocomplete": "off"})  # noqa: N815
    active = BooleanField("Active (offered in new orders)")


class NewProductForm(ProductForm):
    sku = StringField("SKU", render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


def _grid(org: Organization, product: Any = None) -> tuple[list[str], list[str]]:
    """The price grid's rows and columns: the organization's tiers and currencies, plus
    any a price of the product still uses."""
    tiers = list(org.price_tiers)
    currencies = [org.default_currency, *(c for c in org.currencies or [] if c != org.default_currency)]
    for price in product.prices if product is not None else ():
        if price.price_tier not in tiers:
            tiers.append(price.price_tier)
        if price.currency_code not in currencies:
            currencies.append(price.currency_code)
    return tiers, currencies


def _price_name(i: int, j: int) -> str:
    return f"price-{i}-{j}"


def _product_context(sku: str, **extra: Any) -> dict[str, Any]:
    actor = current_actor()
    org = _org()
    product = catalog.get_product(db.session, actor, sku)
    tiers, currencies = _grid(org, product)
    prices = {(p.price_tier, p.currency_code): p.price for p in product.prices}
    return {"org": org, "product": product, "tiers": tiers, "currencies": currencies, "prices": prices,
            "history": catalog.product_history(db.session, actor, product.sku),
            "can_edit": catalog.can_edit_products(actor), "price_name": _price_name, **extra}


@bp.get("/products/<key:sku>")
@role_required()
def product_page(sku: str):
    context = _product_context(sku)
    form = ProductForm(formdata=None)
    _fill_product(form, context)
    return render_template("products/show.html", form=form, cells=_cells(context), **context)


def _fill_product(form: ProductForm, context: dict[str, Any]) -> None:
    product = context["product"]
    form.name.data = product.name
    form.minimumOrderQuantity.data = str(product.minimum_order_quantity)
    form.quantityIncrement.data = str(product.quantity_increment)
    form.active.data = bool(product.active)


def _cells(context: dict[str, Any], typed: dict[str, str] | None = None) -> dict[str, str]:
    """Each grid input's text: what was typed, else the stored price in the locale."""
    locale = context["org"].locale
    out = {}
    for i, tier in enumerate(context["tiers"]):
        for j, currency in enumerate(context["currencies"]):
            name = _price_name(i, j)
            if typed is not None:
                out[name] = typed.get(name, "")
            else:
                price = context["prices"].get((tier, currency))
                places = money.minor_units(currency)
                out[name] = numbers.for_input(price, locale, min_places=places, max_places=money.PRICE_PLACES) \
                    if price is not None else ""
    return out


def _read_product_form(form: ProductForm, context: dict[str, Any], sku: str | None, typed: dict[str, str],
                       *, create: bool = False) -> tuple[catalog.ItemResult | None, list[FieldError]]:
    """The form's product through the catalog service, as the API's PUT reads it: the
    price grid's cells (an empty one: no price) and the whole numbers typed in the
    organization's locale, then the service's own checks, every problem at once (a
    grid error named by its cell). Written only when nothing is wrong; ``create``
    refuses a SKU that exists already."""
    locale = context["org"].locale
    errors: list[FieldError] = []
    cell_of: dict[int, str] = {}
    prices = []
    for i, tier in enumerate(context["tiers"]):
        for j, currency in enumerate(context["currencies"]):
            name = _price_name(i, j)
            try:
                value = numbers.read_decimal(typed.get(name), locale, places=money.PRICE_PLACES, what="price")
            except numbers.TypedNumberError as exc:
                errors.append(FieldError(name, exc.message))
                continue
            if value is not None:
                cell_of[len(prices)] = name
                prices.append({"priceTier": tier, "currencyCode": currency, "price": value})
    counts = {}
    for field_name in ("minimumOrderQuantity", "quantityIncrement"):
        try:
            counts[field_name] = numbers.read_whole_number(getattr(form, field_name).data, locale)
        except numbers.TypedNumberError as exc:
            errors.append(FieldError(field_name, exc.message))
    if not form.validate_on_submit():
        errors.extend(FieldError(name, "; ".join(errs)) for name, errs in form.errors.items())
    payload = {"sku": sku, "name": form.name.data, "active": form.active.data, "prices": prices,
               **{k: v for k, v in counts.items() if v is not None}}
    actor = current_actor()
    if create and isinstance(sku, str) and sku.strip():
        if catalog.find_product(db.session, actor, sku) is not None:
            key = normalize_identifier(sku)[0]
            errors.append(FieldError("sku", f"{key!r} already exists; open it from the list to change it"))
    # With errors already found, a dry run still reports every other problem at once;
    # a new product is written only if it is still new when written.
    result = catalog.upsert_products(db.session, actor, [payload], error_policy=catalog.REJECT_ALL,
                                     dry_run=bool(errors), commit=not create)[0]
    for error in result.errors:
        head = error.field.split(".")[0]
        if head.startswith("prices["):
            errors.append(FieldError(cell_of.get(int(head[len("prices["):-1]), "form"), error.message))
        else:
            errors.append(error)
    if create and not errors and result.status != catalog.CREATED:
        errors.append(FieldError("sku", f"{result.key!r} already exists; open it from the list to change it"))
    if errors:
        db.session.rollback()
        return None, errors
    if create:
        db.session.commit()
    return result, []


def _show_errors(form: ProductForm, errors: list[FieldError]) -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field or "form", []).append(error.message)
    for name, messages in by_field.items():
        field = getattr(form, name, None) if name in form._fields else None
        if field is not None:
            field.errors = messages
    return by_field


@bp.post("/products/<key:sku>")
@role_required("admin")
def product_save(sku: str):
    """Save the product's fields and price grid through the catalog service: an empty
    cell has no price; every problem is shown beside its field (422)."""
    context = _product_context(sku)
    product = context["product"]
    form = ProductForm()
    typed = {k: v for k, v in request.form.items() if k.startswith("price-")}
    result, errors = _read_product_form(form, context, product.sku, typed)
    if result is not None:
        flash(_saved_message(result), "success")
        return redirect_to(url_for("web.product_page", sku=product.sku))
    context = _product_context(sku)
    by_field = _show_errors(form, errors)
    return render_template("products/show.html", form=form, cells=_cells(context, typed), cell_errors=by_field,
                           **context), 422


def _new_product_context(form: NewProductForm | None = None, typed: dict[str, str] | None = None,
                         cell_errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The list page's "New product" form, for admins: blank, or as typed with its errors."""
    actor = current_actor()
    if not catalog.can_edit_products(actor):
        return {"new_form": None}
    org = _org()
    tiers, currencies = _grid(org)
    if form is None:
        form = NewProductForm(formdata=None)
        form.minimumOrderQuantity.data = form.quantityIncrement.data = "1"
        form.active.data = True
    context = {"org": org, "tiers": tiers, "currencies": currencies, "prices": {}}
    return {"new_form": form, "new_grid": context, "new_cells": _cells(context, typed),
            "cell_errors": cell_errors or {}, "price_name": _price_name, "new_open": cell_errors is not None}


@bp.post("/products")
@role_required("admin")
def product_create():
    """A new product from the list page's form, through the catalog service as the API's
    PUT: created when its SKU is new, every problem shown beside its field (422)."""
    form = NewProductForm()
    org = _org()
    tiers, currencies = _grid(org)
    typed = {k: v for k, v in request.form.items() if k.startswith("price-")}
    context = {"org": org, "tiers": tiers, "currencies": currencies}
    result, errors = _read_product_form(form, context, form.sku.data, typed, create=True)
    if result is not None:
        flash(f"Product {result.key} created.", "success")
        return redirect_to(url_for("web.product_page", sku=result.key))
    by_field = _show_errors(form, errors)
    return _list_page("web.products", "products", catalog.search_products, PRODUCT_COLUMNS, "sku",
                      whole_page=True, **_new_product_context(form, typed, by_field)), 422


# --------------------------------------------------------------------------- customers


@bp.get("/customers")
@role_required()
def customers():
    return _list_page("web.customers", "customers", catalog.search_customers, CUSTOMER_COLUMNS, "companyName",
                      can_edit=catalog.can_edit_customers(current_actor()))


def _address_fields(cls):
    for prefix in ("billing", "shipping"):
        for name in ADDRESS_FIELDS:
            setattr(cls, f"{prefix}_{name}", StringField(ADDRESS_LABELS[name], validators=[Optional(), Length(max=200)]))
    return cls


@_address_fields
class CustomerForm(FlaskForm):
    companyName = StringField("Company name", validators=[Length(max=200)])  # noqa: N815
    companyEmail = EmailField("Email", validators=[Optional(), Length(max=254)])  # noqa: N815
    companyPhone = TelField("Phone", validators=[Optional(), Length(max=50)])  # noqa: N815
    companyFax = TelField("Fax", validators=[Optional(), Length(max=50)])  # noqa: N815
    defaultPriceTier = SelectField("Default price tier", validate_choice=False)  # noqa: N815
    defaultTerms = SelectField("Default terms", validate_choice=False)  # noqa: N815
    defaultCurrency = SelectField("Default currency", validate_choice=False)  # noqa: N815


def _choices(values: list[str], current: str | None) -> list[tuple[str, str]]:
    items = list(values)
    if current and current not in items:
        items.append(current)
    return [("", "—"), *((v, v) for v in items)]


def _customer_context(number: str, **extra: Any) -> dict[str, Any]:
    actor = current_actor()
    org = _org()
    customer = catalog.get_customer(db.session, actor, number)
    return {"org": org, "customer": customer, "history": catalog.customer_history(db.session, actor, customer.customer_number),
            "can_edit": catalog.can_edit_customers(actor), **extra}


def _customer_form(context: dict[str, Any], formdata: Any = None) -> CustomerForm:
    org, customer = context["org"], context["customer"]
    form = CustomerForm(formdata=formdata)
    lists = org.settings_lists
    currencies = [org.default_currency, *(c for c in org.currencies or [] if c != org.default_currency)]
    form.defaultPriceTier.choices = _choices(lists.names("priceTier"), customer.default_price_tier)
    form.defaultTerms.choices = _choices(lists.names("terms"), customer.default_terms)
    form.defaultCurrency.choices = _choices(currencies, customer.default_currency)
    if formdata is None:
        for wire in ("companyName", "companyEmail", "companyPhone", "companyFax", "defaultPriceTier",
                     "defaultTerms", "defaultCurrency"):
            getattr(form, wire).data = getattr(customer, catalog.CUSTOMER_COLUMNS[wire]) or ""
        for prefix, address in (("billing", customer.billing_address), ("shipping", customer.shipping_address)):
            for name in ADDRESS_FIELDS:
                getattr(form, f"{prefix}_{name}").data = (address or {}).get(name, "")
    return form


@bp.get("/customers/<key:number>")
@role_required()
def customer_page(number: str):
    context = _customer_context(number)
    return render_template("customers/show.html", form=_customer_form(context), **context)


@bp.post("/customers/<key:number>")
@role_required("manager", "admin")
def customer_save(number: str):
    context = _customer_context(number)
    customer = context["customer"]
    form = _customer_form(context, request.form)
    errors: list[FieldError] = []
    if form.validate_on_submit():
        payload = {wire: getattr(form, wire).data or None for wire in (
            "companyName", "companyEmail", "companyPhone", "companyFax", "defaultPriceTier", "defaultTerms",
            "defaultCurrency")}
        payload["customerNumber"] = customer.customer_number
        for prefix, wire in (("billing", "billingAddress"), ("shipping", "shippingAddress")):
            payload[wire] = {name: getattr(form, f"{prefix}_{name}").data for name in ADDRESS_FIELDS
                             if getattr(form, f"{prefix}_{name}").data}
        result = catalog.upsert_customers(db.session, current_actor(), [payload], error_policy=catalog.REJECT_ALL)[0]
        if result.status != catalog.FAILED:
            flash(_saved_message(result), "success")
            return redirect_to(url_for("web.customer_page", number=customer.customer_number))
        errors = result.errors
    db.session.rollback()
    for error in errors:
        parts = error.field.split(".")
        name = parts[0] if len(parts) == 1 else f"{parts[0].replace('Address', '')}_{parts[1]}"
        field = getattr(form, name, None) if name in form._fields else None
        if field is not None:
            field.errors = [*list(field.errors or []), error.message]
        else:
            form.form_errors.append(f"{error.field} {error.message}")
    return render_template("customers/show.html", form=form, editing=True, **_customer_context(number)), 422
