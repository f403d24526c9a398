"""Schemathesis hooks for test_responses_match_the_document_under_schemathesis.

The document states every rule on a single field as a schema. Rules between fields
(a line's discount at most quantity × price, quantity × price and the order's
subtotal + shipping + tax at most MAX_AMOUNT, the order discount at most that sum) are
stated in its descriptions only: JSON Schema cannot compare two values. A 422 for an
order that breaks one of them, naming only such rules, is not a mismatch between the
document and the app; every other failure is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import schemathesis

from app.domain import money
from app.domain.orders import compute_totals

# The messages of the rules between fields (app/domain/orders.py _check_totals).
BETWEEN_FIELDS = ("quantity × price", "subtotal + shipping + tax", "the order total must be at most")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _breaks_a_rule_between_fields(order: Any) -> bool:
    """True when the order's amounts, each valid on its own, break a rule between them."""
    if not isinstance(order, dict) or not isinstance(order.get("items"), list):
        return False
    currency = order.get("currencyCode")
    if not isinstance(currency, str) or not money.is_currency(currency.strip()):
        return False
    currency = currency.strip()
    lines = []
    for item in order["items"]:
        if not isinstance(item, dict):
            return False
        quantity, price = _number(item.get("quantity")), _number(item.get("price"))
        discount = _number(item.get("discountAmount")) if item.get("discountAmount") is not None else Decimal(0)
        if quantity is None or price is None or discount is None:
            return False
        gross = quantity * price
        if gross > money.MAX_AMOUNT or (discount and money.round_amount(discount, currency)
                                        > money.round_amount(gross, currency)):
            return True
        lines.append((int(quantity), price, discount))
    shipping_details = order.get("shippingDetails")
    amounts = {
        "shipping": (shipping_details or {}).get("total") if isinstance(shipping_details, dict) else None,
        "tax": order.get("tax"), "discount": order.get("discountAmount"),
    }
    values = {}
    for name, raw in amounts.items():
        value = Decimal(0) if raw is None else _number(raw)
        if value is None:
            return False
        values[name] = value
    totals = compute_totals(lines, currency=currency, **values)
    return totals.subtotal + totals.shipping + totals.tax > money.MAX_AMOUNT or totals.total < 0


def _label(operation: Any) -> str | None:
    return getattr(operation, "label", None)


def _orders_of(case: Any) -> list[Any]:
    label, body = _label(case.operation), case.body
    if label == "POST /api/orders":
        return [body]
    if label == "POST /api/orders/bulk" and isinstance(body, dict) and isinstance(body.get("orders"), list):
        return body["orders"]
    return []


def _problem(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _results(response: Any) -> list[Any]:
    try:
        body = response.json()
    except ValueError:
        return []
    return body if isinstance(body, list) else []


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but two kinds, each checked against the response:

    - a schema-valid order refused with 422 where the order breaks a rule between its
      fields and every error the API names is about such a rule;
    - an import under errorPolicy=rejectFailed answered 201 although its orders are
      invalid, where the answer gives each invalid order back as {errors} in its slot
      (the documented policy: the request is accepted, the order is not);
    - a PUT with an If-Match that is not the order's current ETag (another version, or
      no ETag of ours at all) answered 412: the documented precondition, nothing changed."""
    kind = type(failure).__name__
    label = _label(case.operation) or ""
    if response.status_code == 412 and kind in ("RejectedPositiveData", "AcceptedNegativeData"):
        return not any(name.lower() == "if-match" for name in (case.headers or {}))
    if label.startswith(CATALOG_OPERATIONS):
        return _keep_catalog_failure(kind, case, response)
    if kind == "RejectedPositiveData" and response.status_code == 422:
        errors = _problem(response).get("errors") or []
        about_totals = all(
            isinstance(e, dict) and any(rule in str(e.get("message")) for rule in BETWEEN_FIELDS)
            for e in errors
        )
        return not (errors and about_totals and any(_breaks_a_rule_between_fields(o) for o in _orders_of(case)))
    if kind == "AcceptedNegativeData" and _label(case.operation) == "POST /api/orders/bulk":
        rejected_in_slot = any(isinstance(r, dict) and "errors" in r for r in _results(response))
        return not ((case.query or {}).get("errorPolicy") == "rejectFailed" and rejected_in_slot)
    return True


# The catalog's rules between items and fields, stated in words in the document: a key
# (sku, customerNumber) or a price (tier and currency) twice in one request, and a PUT
# body's key that is not the path's (after normalization).
CATALOG_OPERATIONS = ("POST /api/products/bulk", "POST /api/customers/bulk", "PUT /api/products/",
                      "PUT /api/customers/")
CATALOG_BETWEEN = ("appears more than once in this batch", "is priced twice", "must match the")


def _keep_catalog_failure(kind: str, case: Any, response: Any) -> bool:
    """As filter_failure for the catalog's operations: a schema-valid body refused with
    422 only for rules between items or fields, and a rejectFailed upsert answered 200
    with its invalid items failed in their slots, are not mismatches."""
    if kind == "RejectedPositiveData" and response.status_code == 422:
        errors = _problem(response).get("errors") or []
        return not (errors and all(isinstance(e, dict) and any(rule in str(e.get("message")) for rule in CATALOG_BETWEEN)
                                   for e in errors))
    if kind == "AcceptedNegativeData" and _label(case.operation).endswith("/bulk"):
        failed_in_slot = any(isinstance(r, dict) and r.get("status") == "failed" for r in _results(response))
        return not ((case.query or {}).get("errorPolicy") == "rejectFailed" and failed_in_slot)
    return True


def _memoized_from_regex():
    """Schemathesis builds a strategy from each pattern anew for every case, with an
    equal but new alphabet each time, so hypothesis's own cache misses. The document's
    identifier patterns hold character classes of hundreds of ranges (every unassigned
    code point is refused), which take about a second to build; building each once per
    run keeps the run to a couple of minutes. Strategies are immutable, so sharing them
    changes no value drawn."""
    from functools import wraps

    from hypothesis import strategies as st

    original = st.from_regex
    if getattr(original, "_orderdesk_memo", False):
        return
    built: dict[tuple, Any] = {}

    @wraps(original)
    def from_regex(regex, *, fullmatch=False, alphabet=None):
        key = (getattr(regex, "pattern", regex), getattr(regex, "flags", None), fullmatch, repr(alphabet))
        if key not in built:
            built[key] = original(regex, fullmatch=fullmatch, alphabet=alphabet)
        return built[key]

    from_regex._orderdesk_memo = True
    st.from_regex = from_regex


_memoized_from_regex()
