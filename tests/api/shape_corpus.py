"""The characterization corpus of the API's wire shapes: a few thousand valid and invalid
requests (order creates, bulk imports, shipping and customer updates, searches, email
requests) with the exact status and body each gets.

``python -m tests.api.shape_corpus`` records it (hand-picked cases and hypothesis-generated
ones with a fixed seed) into ``tests/api/data/shape_corpus.jsonl.gz``;
``tests/api/test_shape_corpus.py`` replays it and asserts that nothing differs. Responses
are compared after ``normalize``: ids, timestamps of now and the order of equal-sorting
search results are the only things allowed to vary between runs."""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from app import jsonutil
from tests.seed_examples import BULK, SINGLE_CREATE

DATA = Path(__file__).resolve().parent / "data" / "shape_corpus.jsonl.gz"
ORDER = "{order}"  # stands for the id of the order the corpus creates first

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_STAMP_KEYS = ("createdAt", "updatedAt")
# An order without an orderDate gets the time of its creation; the corpus's own dates are earlier.
_RECENT = "2026"


# --------------------------------------------------------------------------- cases

BAD_VALUES: list[Any] = [
    None, "", "   ", 0, -1, Decimal("1.5"), 10**30, Decimal("1E+400"), "12", True, False, [], {},
    "x" * 5000, "a\x01b", "Ωmega", Decimal("12.345"), Decimal("0.0001"),
    Decimal("99999999999999999999.99"), "not-an-email", "a@b", "someone@localhost",
    "x@example.test", [1, 2], {"a": 1}, "  padded  ", "\tTab\t", "ΑΒΓ-Latin", 1000001,
]

ORDER_PATHS = [
    "customer", "customer.customerNumber", "customer.companyName", "customer.companyEmail",
    "customer.companyPhone", "customer.companyFax", "customer.billingAddress",
    "customer.billingAddress.address1", "customer.billingAddress.city",
    "customer.shippingAddress", "customer.shippingAddress.zipPostalCode",
    "orderType", "poNumber", "priceTier", "currencyCode", "primarySalesRep",
    "primarySalesRep.repNumber", "primarySalesRep.firstName", "primarySalesRep.lastName",
    "primarySalesRep.email", "takenBySalesRep", "takenBySalesRep.repNumber",
    "items", "items[0]", "items[0].sku", "items[0].productName", "items[0].quantity",
    "items[0].price", "items[0].discountAmount", "items[1].quantity", "items[1].price",
    "user", "user.userId", "user.userType", "shippingDetails", "shippingDetails.method",
    "shippingDetails.total", "shippingDetails.shippingAddress", "terms", "channel",
    "externalId", "tax", "notes", "orderStatus", "discountAmount", "originationCartId",
    "orderNumber", "orderDate",
]

SHIPPING_BASE = {"method": "UPS Ground", "total": Decimal("12.00"),
                 "shippingAddress": {"address1": "1 Dock Rd", "city": "Tacoma", "country": "US"}}
SHIPPING_PATHS = ["method", "total", "shippingAddress", "shippingAddress.address1",
                  "shippingAddress.city"]
CUSTOMER_BASE = {"customerNumber": "CUST-1042", "companyName": "Brightfield Supply Co.",
                 "companyEmail": "ap@brightfield.example", "companyPhone": "555-400-1300",
                 "companyFax": "555-400-1301",
                 "billingAddress": {"address1": "300 Commerce Blvd", "city": "Portland"}}
CUSTOMER_PATHS = ["customerNumber", "companyName", "companyEmail", "companyPhone", "companyFax",
                  "billingAddress", "billingAddress.address1", "billingAddress.country"]


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        steps.append(name)
        if rest:
            steps.append(int(rest.rstrip("]")))
    return steps


def with_value(doc: Any, path: str, value: Any, *, delete: bool = False) -> Any:
    """A copy of ``doc`` with ``path`` set to ``value`` (or removed); missing parents are made."""
    out = copy.deepcopy(doc)
    steps = _steps(path)
    node = out
    for step in steps[:-1]:
        if isinstance(step, int):
            node = node[step]
        else:
            if not isinstance(node, dict):
                # A name inside a list or a scalar, as ``[1, 2]["sku"]``: not a path of this document.
                raise TypeError(f"{path}: {type(node).__name__} has no field {step!r}")
            if not isinstance(node.get(step), dict | list):
                node[step] = {}
            node = node[step]
    last = steps[-1]
    if delete:
        if isinstance(node, dict):
            node.pop(last, None)
        else:
            del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return out


def request(method: str, path: str, body: Any = None, *, raw: str | None = None) -> dict[str, Any]:
    text = raw if raw is not None else (None if body is None else jsonutil.dumps(body))
    return {"method": method, "path": path, "body": text}


def hand_picked() -> Iterator[dict[str, Any]]:
    base = SINGLE_CREATE
    # Valid documents first, so the corpus has an order to update, search and email.
    yield request("POST", "/api/orders", base)
    yield request("POST", "/api/orders", with_value(base, "externalId", "ERP-SECOND"))
    yield request("POST", "/api/orders", with_value(base, "externalId", None, delete=True))
    for path in ORDER_PATHS:
        yield request("POST", "/api/orders", with_value(base, path, None, delete=True))
        for value in BAD_VALUES:
            yield request("POST", "/api/orders", with_value(base, path, value))
    for where in ("", "customer", "customer.billingAddress", "primarySalesRep", "items[0]", "user",
                  "shippingDetails"):
        key = f"{where}.unexpectedField" if where else "unexpectedField"
        yield request("POST", "/api/orders", with_value(base, key, "surplus"))
    for body in ([], "an order", 1, None, {}, [base]):
        yield request("POST", "/api/orders", raw=jsonutil.dumps(body))
    item = base["items"][0]
    many = [dict(item, sku=f"SKU-{i:04d}") for i in range(1001)]
    yield request("POST", "/api/orders", with_value(base, "items", many))
    yield request("POST", "/api/orders", with_value(base, "items", many[:1000]))
    yield request("POST", "/api/orders", with_value(base, "items", [
        dict(item, quantity=q, price=p, discountAmount=d) for q, p, d in (
            (1, Decimal("0.005"), 0), (3, Decimal("0.333"), Decimal("0.01")), (2, Decimal("5"), Decimal("11")),
            (1000000, Decimal("9999999999"), 0), (0, 1, 0), (Decimal("2.0"), 1, 0), (Decimal("2.5"), 1, 0))
    ]))
    for tax, discount, ship in ((Decimal("999999999999"), 0, 0), (0, Decimal("100000"), 0),
                                (Decimal("0.125"), 0, Decimal("1.005")), (0, 0, Decimal("-1"))):
        doc = with_value(base, "tax", tax)
        doc = with_value(doc, "discountAmount", discount)
        yield request("POST", "/api/orders", with_value(doc, "shippingDetails.total", ship))
    for code in ("usd", "XXX", "EUR", "JPY", "BHD", "US"):
        yield request("POST", "/api/orders", with_value(with_value(base, "currencyCode", code),
                                                        "externalId", f"CUR-{code}"))
    for date in ("2023-06-15", "2023-02-29T10:00:00Z", "2024-02-29T10:00:00+05:30", "1899-12-31T23:59:59Z",
                 "3000-01-01T00:00:00Z", "2023-06-15T25:00:00Z", "yesterday", "2023-06-15t09:30z"):
        yield request("POST", "/api/orders", with_value(base, "orderDate", date))
    # Bulk imports.
    yield request("POST", "/api/orders/bulk", BULK)
    yield request("POST", "/api/orders/bulk?errorPolicy=rejectFailed", BULK)
    yield request("POST", "/api/orders/bulk?errorPolicy=bogus", BULK)
    for body in ([], {}, {"orders": []}, {"orders": {}}, {"orders": "x"}, {"orders": [None, 1, "x", []]}):
        yield request("POST", "/api/orders/bulk", raw=jsonutil.dumps(body))
    broken = copy.deepcopy(BULK["orders"]) * 3
    broken[3] = with_value(broken[3], "customer.companyName", None, delete=True)
    broken[4] = with_value(broken[4], "items[0].price", Decimal("1.23456"))
    broken[5] = with_value(broken[5], "orderNumber", "")
    for policy in ("", "?errorPolicy=rejectAll", "?errorPolicy=rejectFailed"):
        yield request("POST", f"/api/orders/bulk{policy}", {"orders": broken})
    dup = [with_value(o, "externalId", "SAME") for o in BULK["orders"]]
    yield request("POST", "/api/orders/bulk?errorPolicy=rejectFailed", {"orders": dup})
    bulk_one = with_value(BULK["orders"][0], "externalId", None, delete=True)
    bulk_one = with_value(bulk_one, "orderNumber", None, delete=True)
    yield request("POST", "/api/orders/bulk", {"orders": [bulk_one] * 1001})
    yield request("POST", "/api/orders/bulk", {"orders": [with_value(BULK["orders"][0], "items", many)]})
    # Shipping and customer updates of the first order.
    for base_doc, paths, what in ((SHIPPING_BASE, SHIPPING_PATHS, "shipping"),
                                  (CUSTOMER_BASE, CUSTOMER_PATHS, "customer")):
        url = f"/api/orders/{ORDER}/{what}"
        yield request("PUT", url, base_doc)
        for path in paths:
            yield request("PUT", url, with_value(base_doc, path, None, delete=True))
            for value in BAD_VALUES:
                yield request("PUT", url, with_value(base_doc, path, value))
        for body in ([], "x", 1, None, {}):
            yield request("PUT", url, raw=jsonutil.dumps(body))
    # Searches.
    for query in search_queries():
        yield request("GET", "/api/orders" + (f"?{query}" if query else ""))
    # Email requests.
    url = f"/api/orders/{ORDER}/email"
    for addresses in email_address_lists():
        yield request("POST", url, {"emailAddresses": addresses})
    for body in ([], {}, {"emailAddresses": None}, {"emailAddresses": "a@example.com"}, "x"):
        yield request("POST", url, raw=jsonutil.dumps(body))


def search_queries() -> list[str]:
    from urllib.parse import urlencode

    plain = [
        "", "pageNumber=2", "pageNumber=0", "pageNumber=-1", "pageNumber=abc", "pageNumber=99999999999",
        "pageSize=1", "pageSize=0", "pageSize=101", "pageSize=1000", "pageSize=2.5", "sortOn=poNumber",
        "sortOn=bogus", "sortOn=orderTotal&sortDirection=desc", "sortDirection=sideways",
        "sortDirection=DESC", "q=PO-88412", "q=%20%20", "q=brightfield", "q=a%01b", "q=" + "x" * 250,
        "orderStatus=Pending", "orderStatus=Nope", "poNumber=PO-88412", "orderTotal=abc",
        "orderTotal=432.00", "orderDate=2023-06-15T09:30:00Z", "orderDate=notadate", "unknownParam=1",
        "currencyCode=USD", "repNumber=REP-007", "customerNumber=CUST-1042",
    ]
    filters = [
        "notjson", "{}", "[]", '[{"field":"x"}]', '[{"field":"poNumber","value":"PO"}]',
        '[{"field":"poNumber","operator":"contains","value":"884"}]',
        '[{"field":"poNumber","operator":"startsWith","value":"PO-8"}]',
        '[{"field":"poNumber","operator":"like","value":"PO"}]',
        '[{"field":"orderTotal","operator":"gt","value":"abc"}]',
        '[{"field":"orderTotal","operator":"gte","value":100}]',
        '[{"field":"orderTotal","operator":"contains","value":"1"}]',
        '[{"field":"orderDate","operator":"lt","value":"2030-01-01"}]',
        '[{"field":"orderDate","operator":"lt","value":"soon"}]',
        '[{"field":"orderStatus","operator":"in","value":["Pending","Complete"]}]',
        '[{"field":"orderStatus","operator":"in","value":"Pending,Complete"}]',
        '[{"field":"orderStatus","operator":"in","value":[]}]',
        '[{"field":"orderStatus","operator":"in","value":5}]',
        '{"field":"sku","value":"WDG-BLU-L"}', '[1, 2]', '[{"field":"poNumber","value":null}]',
        '[{"field":"poNumber","value":"x","extra":1}]',
    ]
    return plain + [urlencode({"filters": f}) for f in filters]


def email_address_lists() -> list[Any]:
    return [
        # One valid request (rendering the confirmation is slow): duplicates and padding.
        ["A@example.com", "a@example.com", "  spaced@example.com  "], [],
        [f"r{i}@example.com" for i in range(19)] + ["r19@"], [f"r{i}@example.com" for i in range(21)],
        ["not-an-email"], ["a@b", "ok@example.com", "x@localhost"], [None, 1, "", "  "],
        ["x" * 250 + "@example.com"], [["nested@example.com"]], ["someone@example.test"],
        ["Ωmega@", "user@xn--bcher-kva..example"],
    ]


def generated(count: int = 700) -> list[dict[str, Any]]:
    """Order documents and bulk bodies from hypothesis with a fixed seed: the seed's create
    example with some fields replaced by arbitrary JSON values or removed."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(10**25), max_value=10**25),
        st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("-1E+15"), max_value=Decimal("1E+15")),
        st.text(max_size=12), st.sampled_from(["", " ", "Wholesale", "USD", "Pending", "a@example.com",
                                               "bad@", "x" * 300, "2023-06-15T09:30:00Z"]),
    )
    values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=6)
    edit = st.tuples(st.sampled_from(ORDER_PATHS), st.booleans(), values)
    docs: list[dict[str, Any]] = []

    @fixed_seed(20261130)
    @settings(max_examples=count, database=None, derandomize=False, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(edit, min_size=1, max_size=4), st.sampled_from(["create", "bulk"]))
    def collect(edits, kind):
        doc = SINGLE_CREATE
        for path, delete, value in edits:
            try:
                doc = with_value(doc, path, value, delete=delete)
            except (KeyError, IndexError, TypeError):
                continue
        if kind == "create":
            docs.append(request("POST", "/api/orders", doc))
        else:
            docs.append(request("POST", "/api/orders/bulk?errorPolicy=rejectFailed",
                                {"orders": [doc, BULK["orders"][1]]}))

    collect()
    return docs


def cases() -> list[dict[str, Any]]:
    return [*hand_picked(), *generated()]


# --------------------------------------------------------------------------- running


def normalize(status: int, content_type: str, text: str, search: bool) -> Any:
    """What of a response must stay the same: the status, its content type and the body
    with generated ids and the timestamps of now replaced."""
    body: Any = text
    if text and "json" in content_type:
        body = json.loads(_UUID.sub("<id>", text), parse_float=lambda s: {"number": s},
                          parse_int=lambda s: {"number": s})
        _strip_stamps(body)
        if search and status == 200:
            body["items"] = sorted(body["items"], key=lambda item: json.dumps(item, sort_keys=True))
    return {"status": status, "contentType": content_type, "body": body}


def _strip_stamps(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key in _STAMP_KEYS or (key == "orderDate" and item >= _RECENT)):
                value[key] = "<now>"
            else:
                _strip_stamps(item)
    elif isinstance(value, list):
        for item in value:
            _strip_stamps(item)


def run(client, headers: dict[str, str], corpus: list[dict[str, Any]]) -> Iterator[tuple[dict, Any]]:
    """Sends each request in order; yields it with its normalized response."""
    first_order: str | None = None
    for case in corpus:
        path = case["path"]
        if ORDER in path:
            path = path.replace(ORDER, first_order or "00000000-0000-0000-0000-000000000000")
        response = client.open(path, method=case["method"], data=case["body"],
                               content_type="application/json" if case["body"] is not None else None,
                               headers=headers)
        text = response.get_data(as_text=True)
        if first_order is None and response.status_code == 201 and case["path"] == "/api/orders":
            first_order = json.loads(text)["data"]["id"]
        search = case["method"] == "GET" and path.split("?")[0] == "/api/orders"
        yield case, normalize(response.status_code, response.mimetype, text, search)


def load() -> list[dict[str, Any]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _record() -> None:
    import tempfile

    from flask_migrate import upgrade

    from app import create_app
    from app.services import accounts

    corpus = cases()
    with tempfile.TemporaryDirectory() as tmp:
        from tests.conftest import IsolatedClient

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/corpus.sqlite3",
                          "SECRET_KEY": "test-secret", "SMTP_HOST": None, "API_RATE_LIMIT": "off"})
        app.test_client_class = IsolatedClient
        from app.extensions import db

        with app.app_context():
            upgrade()
            org = accounts.create_organization(db.session, "Acme Wholesale", tiers=["Wholesale", "Retail"])
            secret = accounts.create_token(db.session, org, "Test ERP").secret
            db.session.commit()
            client = app.test_client()
            DATA.parent.mkdir(exist_ok=True)
            with gzip.open(DATA, "wt", encoding="utf-8") as handle:
                for case, outcome in run(client, {"Authorization": f"Bearer {secret}"}, corpus):
                    handle.write(json.dumps({**case, "expected": outcome}, ensure_ascii=False) + "\n")
    print(f"recorded {len(corpus)} requests into {DATA}")


if __name__ == "__main__":
    _record()
