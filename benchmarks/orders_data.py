"""What the order benchmarks share: generated order payloads (the API's import shape)
and a migrated application with one organization in a throwaway database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any


def payloads(start: int, count: int, *, prefix: str = "BENCH", status: str = "Complete",
             lines: int = 4) -> list[dict[str, Any]]:
    """``count`` orders numbered from ``start``: ``lines`` lines each, 300 customers,
    5 reps, 1,000 SKUs; the PO number carries ``prefix`` (a search can pick them out)."""
    return [{
        "externalId": f"{prefix}-{n}", "orderNumber": f"{prefix}-{n:07d}", "orderDate": "2024-03-15T10:22:00Z",
        "orderStatus": status, "orderType": "EDI", "poNumber": f"PO-{prefix}-{n}", "priceTier": "Wholesale",
        "currencyCode": "USD", "terms": "Net30", "channel": "EDI",
        "customer": {"customerNumber": f"C-{n % 300}", "companyName": f"Customer {n % 300}"},
        "primarySalesRep": {"repNumber": f"REP-{n % 5}"}, "user": {"userType": "Admin"},
        "items": [{"sku": f"SKU-{(n + i) % 1000}", "productName": "Part", "quantity": 1 + i,
                   "price": Decimal("4.25")} for i in range(lines)],
        "shippingDetails": {"method": "Freight", "total": Decimal("18.50")}, "tax": Decimal("2.10"),
    } for n in range(start, start + count)]


@contextmanager
def bench_app(db_url: str) -> Iterator[Any]:
    """The application on ``db_url``, migrated, inside its app context, with one
    organization ("Bench", tier Wholesale); yields the organization."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services import accounts

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        org = accounts.create_organization(db.session, "Bench", tiers=["Wholesale"])
        db.session.commit()
        try:
            yield org
        finally:
            db.session.remove()
            db.engine.dispose()
