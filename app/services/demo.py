"""A demo organization with a catalog, customers, reps, users of each role, an API
token and a few hundred orders. Running it again changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import ApiToken, Customer, Invoice, Order, Organization, Product, ProductPrice
from app.db.tx import insert_ignoring_duplicates
from app.db.types import guid
from app.domain import tokens
from app.domain.workflow import STATUSES
from app.services import accounts
from app.services.context import Actor
from app.services.orders import REJECT_ALL, import_orders

SLUG = "demo"
PASSWORD = "orderdesk-demo"
TOKEN_SECRET = "odk_demo_4d3m0-t0k3n-f0r-l0c4l-use-0nly"
TIERS = ["Wholesale", "Retail", "Distributor"]
CURRENCIES = {"USD": Decimal("1"), "CAD": Decimal("1.36"), "EUR": Decimal("0.92")}
REPS = [
    ("REP-001", "Jordan", "Avery"), ("REP-002", "Sam", "Okafor"), ("REP-003", "Priya", "Natarajan"),
    ("REP-004", "Lena", "Fischer"), ("REP-005", "Marcus", "Bell"),
]
USERS = [("admin@demo.example", "admin", None), ("manager@demo.example", "manager", None),
         ("rep@demo.example", "rep", "REP-001")]
PRODUCT_KINDS = ["Widget", "Gadget", "Bracket", "Valve", "Fitting", "Gasket", "Sensor", "Cable",
                 "Panel", "Spring"]
COLOURS = [("BLU", "Blue"), ("RED", "Red"), ("GRN", "Green"), ("BLK", "Black"), ("SLV", "Silver"),
           ("WHT", "White")]
COMPANIES = ["Brightfield Supply", "Apex Distributors", "Cornerstone Goods", "Harbor Industrial",
             "Northwind Traders", "Summit Hardware", "Riverbend Parts", "Keystone Fixtures",
             "Bluewater Marine", "Ironclad Tools", "Maple Leaf Wholesale", "Pioneer Electric",
             "Granite State Supply", "Lakeshore Equipment", "Redwood Builders", "Silverline HVAC",
             "Oakridge Plumbing", "Prairie Farm Co-op", "Coastal Fasteners", "Metro Facilities",
             "Evergreen Landscaping", "Canyon Mining Supply", "Union Rail Parts", "Beacon Labs",
             "Falcon Aerospace", "Golden Gate Fabrication", "Highland Dairy", "Liberty Printing",
             "Orchard Foods", "Westfield Logistics"]
CITIES = [("Portland", "OR", "97201", "US"), ("Seattle", "WA", "98101", "US"),
          ("Toronto", "ON", "M5H 2N2", "CA"), ("Denver", "CO", "80202", "US"),
          ("Vancouver", "BC", "V6B 1A1", "CA"), ("Dublin", "D", "D02 X285", "IE")]


@dataclass
class DemoResult:
    organization: Organization
    token_secret: str
    orders: int


def run(session: Session) -> DemoResult:
    org = session.scalar(select(Organization).where(Organization.slug == SLUG))
    if org is None:
        org = accounts.create_organization(session, "Demo Supply Co.", tiers=TIERS, slug=SLUG)
        org.brand_display_name = "Demo Supply Co."
        org.brand_accent_color = "#1f6feb"
        org.brand_address = "300 Commerce Blvd\nPortland, OR 97201\nUnited States"
        org.reply_to_email = "orders@demo.example"
    _users(session, org)
    _token(session, org)
    _catalog(session, org, random.Random(1))
    _customers(session, org, random.Random(2))
    session.commit()
    actor = Actor(organization_id=org.id, name="Demo data")
    payloads = _orders(session, org, random.Random(3))
    for start in range(0, len(payloads), 500):
        import_orders(session, actor, payloads[start:start + 500], REJECT_ALL)
    _invoices(session, org)
    session.commit()
    count = session.scalar(select(func.count()).select_from(Order).where(Order.organization_id == org.id))
    return DemoResult(org, TOKEN_SECRET, count or 0)


def _users(session: Session, org: Organization) -> None:
    for rep_number, first, last in REPS:
        accounts.ensure_rep(session, org, rep_number, first, last,
                            f"{first.lower()}.{last.lower()}@demo.example")
    for email, role, rep in USERS:
        if accounts.user_by_email(session, email) is None:
            first, last = next(((f, la) for n, f, la in REPS if n == rep), (role.title(), "User"))
            accounts.create_user(session, org, email=email, password=PASSWORD, role=role,
                                 rep_number=rep, first_name=first, last_name=last)


def _token(session: Session, org: Organization) -> None:
    digest = tokens.hash_secret(TOKEN_SECRET)
    if session.scalar(select(ApiToken.id).where(ApiToken.secret_hash == digest)) is None:
        session.add(ApiToken(organization_id=org.id, name="Demo ERP", prefix=tokens.prefix_of(TOKEN_SECRET),
                             secret_hash=digest))
        session.flush()


def _catalog(session: Session, org: Organization, rng: random.Random) -> None:
    if session.scalar(select(func.count()).select_from(Product).where(Product.organization_id == org.id)):
        return
    sizes = [("S", "Small", 1), ("M", "Medium", 1), ("L", "Large", 1)]
    n = 0
    for kind in PRODUCT_KINDS:
        for code, colour in COLOURS[:2] if kind != "Widget" else COLOURS:
            for size_code, size, _ in sizes:
                n += 1
                base = Decimal(rng.randint(200, 9000)) / 100
                moq, inc = rng.choice([(1, 1), (1, 1), (1, 1), (6, 6), (12, 6), (10, 5)])
                sku = f"{kind[:3].upper()}-{code}-{size_code}"
                product = Product(organization_id=org.id, sku=sku, name=f"{kind} {colour} {size}",
                                  minimum_order_quantity=moq, quantity_increment=inc)
                for tier, factor in zip(TIERS, (Decimal("1"), Decimal("1.35"), Decimal("0.9")), strict=True):
                    for cur, rate in CURRENCIES.items():
                        product.prices.append(ProductPrice(
                            price_tier=tier, currency_code=cur,
                            price=(base * factor * rate).quantize(Decimal("0.01"))))
                session.add(product)
    session.flush()


def _customers(session: Session, org: Organization, rng: random.Random) -> None:
    rows = []
    for i, company in enumerate(COMPANIES, start=1):
        city, state, zipc, country = CITIES[i % len(CITIES)]
        address = {"address1": f"{100 + i * 7} Commerce Blvd", "city": city, "stateProvince": state,
                   "zipPostalCode": zipc, "country": country}
        currency = "CAD" if country == "CA" else "EUR" if country == "IE" else "USD"
        rows.append({
            "id": guid(), "organization_id": org.id, "customer_number": f"CUST-{1000 + i}",
            "company_name": f"{company} Co.", "company_email": f"orders@{company.split()[0].lower()}.example",
            "company_phone": f"555-{400 + i:03d}-{1200 + i:04d}", "company_fax": None,
            "billing_address": address, "shipping_address": address,
            "default_price_tier": TIERS[i % 2], "default_terms": rng.choice(["Net30", "Net60", "COD"]),
            "default_currency": currency, "created_at": datetime.now(UTC),
        })
    insert_ignoring_duplicates(session, Customer.__table__, rows)


def _orders(session: Session, org: Organization, rng: random.Random) -> list[dict]:
    products = list(session.scalars(select(Product).where(Product.organization_id == org.id).order_by(Product.sku)))
    customers = list(session.scalars(select(Customer).where(Customer.organization_id == org.id)
                                     .order_by(Customer.customer_number)))
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    payloads = []
    for n in range(1, 321):
        customer = customers[rng.randrange(len(customers))]
        tier = customer.default_price_tier or TIERS[0]
        currency = customer.default_currency or "USD"
        rep = REPS[rng.randrange(len(REPS))]
        taken = REPS[rng.randrange(len(REPS))] if rng.random() < 0.3 else None
        lines = []
        for product in rng.sample(products, rng.randint(1, 5)):
            price = next(p.price for p in product.prices if p.price_tier == tier and p.currency_code == currency)
            qty = product.minimum_order_quantity + product.quantity_increment * rng.randint(0, 8)
            lines.append({"sku": product.sku, "productName": product.name, "quantity": qty, "price": price})
        order_date = start + timedelta(days=rng.randint(0, 320), minutes=rng.randint(0, 600))
        status = rng.choices(STATUSES, weights=[30, 20, 20, 25, 5])[0]
        payload = {
            "externalId": f"DEMO-{n:04d}",
            "orderNumber": f"ORD-{n:05d}",
            "orderDate": order_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "orderStatus": status,
            "customer": {"customerNumber": customer.customer_number, "companyName": customer.company_name},
            "orderType": rng.choice(["Direct", "Web", "EDI"]),
            "channel": rng.choice(["Phone", "Web", "EDI", "Email"]),
            "poNumber": f"PO-{50000 + n * 13}",
            "priceTier": tier,
            "currencyCode": currency,
            "terms": customer.default_terms,
            "primarySalesRep": {"repNumber": rep[0]},
            "items": lines,
            "user": {"userType": "SalesRep"},
            "shippingDetails": {"method": rng.choice(["FedEx Ground", "UPS 2nd Day Air", "Freight"]),
                                "total": Decimal(rng.randint(0, 6000)) / 100},
            "tax": Decimal(rng.randint(0, 9000)) / 100,
        }
        if taken:
            payload["takenBySalesRep"] = {"repNumber": taken[0]}
        if n % 7 == 0:
            payload["notes"] = "Deliver to loading dock B; call ahead."
        payloads.append(payload)
    return payloads


def _invoices(session: Session, org: Organization) -> None:
    rows = session.execute(
        select(Order.id, Order.order_number, Order.order_total, Order.order_date)
        .where(Order.organization_id == org.id, Order.order_status.in_(["Shipped", "Complete"]))
    ).all()
    insert_ignoring_duplicates(session, Invoice.__table__, [
        {"id": guid(), "organization_id": org.id, "order_id": oid,
         "invoice_number": "INV-" + number.removeprefix("ORD-"), "amount": total,
         "issued_at": date + timedelta(days=3)}
        for oid, number, total, date in rows
    ])
