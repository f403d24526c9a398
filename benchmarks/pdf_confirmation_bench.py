"""Confirmation PDF: time of a first render (WeasyPrint) against a cached one, for a
one-page order and a 60-line multi-page order.

    .venv/bin/python benchmarks/pdf_confirmation_bench.py          # SQLite (temp file)

Prints the median and the slowest of each. A cached PDF is read back by its
fingerprint instead of being rendered again."""

from __future__ import annotations

import copy
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 15


def main() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.mail import document
    from app.services import accounts
    from app.services import orders as order_service
    from app.services.context import Actor
    from tests.seed_examples import SINGLE_CREATE

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
            org = accounts.create_organization(db.session, "Bench Org", tiers=["Wholesale", "Retail"])
            db.session.commit()
            actor = Actor(organization_id=org.id, name="Bench")
            short = copy.deepcopy(SINGLE_CREATE)
            long = copy.deepcopy(SINGLE_CREATE)
            long.pop("externalId")
            long.pop("tax")
            long["items"] = [{"sku": f"SKU-{n:03d}", "productName": f"Product {n}", "quantity": n,
                              "price": Decimal("2.50")} for n in range(1, 61)]
            for label, body in (("1 page", short), ("60 lines", long)):
                order = order_service.get_order(db.session, actor, order_service.create_order(db.session, actor, body).id)
                document.render_pdf(order, org)  # warm fonts and WeasyPrint's caches
                fresh = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    document.render_pdf(order, org)
                    fresh.append(time.perf_counter() - start)
                document.confirmation_pdf(db.session, order, org)
                db.session.commit()
                cached = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    document.confirmation_pdf(db.session, order, org)
                    cached.append(time.perf_counter() - start)
                print(f"{label:9} render  median {statistics.median(fresh) * 1000:7.1f} ms  max {max(fresh) * 1000:7.1f} ms")
                print(f"{label:9} cached  median {statistics.median(cached) * 1000:7.1f} ms  max {max(cached) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
