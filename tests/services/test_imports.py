"""File imports and exports: reading (delimiters, encodings, XLSX, JSON), the dry run
and the apply through the catalog and order services, rejected rows, limits, and
exports that re-import unchanged."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.db.models import Customer, FileImport, Order, OrderLine, Organization, Product
from app.domain.errors import ValidationFailed
from app.services import catalog, imports, tabular
from app.services.context import Actor
from app.services.tabular import FileRefused

PRODUCT_HEADER = "sku;name;minimumOrderQuantity;quantityIncrement;active;price Wholesale USD;price Retail USD"


def run(session, actor, kind, data: bytes, name="file.csv", policy="rejectFailed", apply=True):
    imp = imports.store_upload(session, actor, kind, name, io.BytesIO(data))
    commit = lambda done, total: session.commit()  # noqa: E731
    imports.run_phase(session, actor, imp, imports.CHECK, progress=commit)
    imp = session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    imp.state = "checked"
    session.commit()
    if apply:
        imports.run_phase(session, actor, imp, imports.APPLY, progress=commit, policy=policy)
    return session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)


def rows_of(session, imp, phase, status):
    return [(r.row_number, r.key, r.changes, r.errors) for r in imports.result_rows(session, imp, phase, status)]


def seed_products(session, actor):
    catalog.upsert_products(session, actor, [
        {"sku": "W-1", "name": "Widget", "minimumOrderQuantity": 6, "quantityIncrement": 6,
         "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": Decimal("4.50")}]},
        {"sku": "W-2", "name": "Gadget", "prices": [{"priceTier": "Retail", "currencyCode": "USD", "price": 9}]},
    ])


def test_products_dry_run_shows_each_row_then_apply_is_idempotent(db_session, actor):
    seed_products(db_session, actor)
    text = "\r\n".join([
        PRODUCT_HEADER,
        "W-1;Widget XL;6;6;true;4,75;",   # updated: name and a price (comma decimal with ; files)
        "W-2;Gadget;1;1;yes;;9",          # unchanged
        "N-1;Nouveauté crème;2;1;;3.10;4",  # created, accents in Windows-1252
        "N-2;Broken;two;1;maybe;-1;",     # rejected
    ]) + "\r\n"
    imp = run(db_session, actor, "products", text.encode("cp1252"), apply=False)
    assert {k: imp.check_counts[k] for k in imports.STATUSES} == {"created": 1, "updated": 1, "unchanged": 1,
                                                                  "rejected": 1}
    assert db_session.scalar(select(func.count()).select_from(Product)) == 2  # the dry run wrote nothing
    assert rows_of(db_session, imp, "check", "updated") == [
        (2, "W-1", [["name", "Widget", "Widget XL"], ["price Wholesale USD", "4.50", "4.75"]], None)]
    assert rows_of(db_session, imp, "check", "created")[0][:2] == (4, "N-1")
    rejected = rows_of(db_session, imp, "check", "rejected")
    assert rejected == [(5, "N-2", None, [
        {"column": "minimumOrderQuantity", "message": "must be a whole number"},
        {"column": "active", "message": "must be true or false"},
        {"column": "price Wholesale USD", "message": "must not be negative"}])]

    imports.run_phase(db_session, actor, imp, imports.APPLY, progress=lambda d, t: db_session.commit())
    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    assert {k: imp.apply_counts[k] for k in imports.STATUSES} == {"created": 1, "updated": 1, "unchanged": 1,
                                                                  "rejected": 1}
    assert db_session.scalar(select(Product.name).where(Product.sku == "N-1")) == "Nouveauté crème"

    csv_text = b"".join(imports.rejected_file(db_session, imp)).decode("utf-8-sig")
    assert csv_text.splitlines()[0].endswith(",error")
    assert "N-2,Broken,two,1,maybe,'-1,,minimumOrderQuantity: must be a whole number;" in csv_text

    again = run(db_session, actor, "products", text.encode("cp1252"))
    assert {k: again.apply_counts[k] for k in imports.STATUSES} == {"created": 0, "updated": 0, "unchanged": 3,
                                                                    "rejected": 1}


def test_formula_cells_are_data_and_exports_round_trip(db_session, actor):
    text = ('sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD\n'
            'F-1,"=HYPERLINK(""http://evil.example"",""x"")",1,1,true,2.5\n'
            'F-2,+cmd,1,1,false,\n'
            "F-3,'-already,1,1,true,1\n")
    imp = run(db_session, actor, "products", text.encode())
    assert imp.apply_counts["created"] == 3
    names = dict(db_session.execute(select(Product.sku, Product.name)).all())
    assert names == {"F-1": '=HYPERLINK("http://evil.example","x")', "F-2": "+cmd", "F-3": "-already"}

    header, rows = imports.export_rows(db_session, actor, "products")
    exported = b"".join(tabular.write_csv(header, rows))
    assert b"'=HYPERLINK(" in exported and b"'+cmd" in exported
    assert run(db_session, actor, "products", exported).apply_counts["unchanged"] == 3

    header, rows = imports.export_rows(db_session, actor, "products")
    book = tabular.xlsx_bytes(header, rows)
    sheet = load_workbook(io.BytesIO(book)).worksheets[0]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=HYPERLINK")
    again = run(db_session, actor, "products", book, name="products.xlsx")
    assert again.file_format == "xlsx" and again.apply_counts["unchanged"] == 3 and again.apply_counts["rows"] == 3


def test_customers_tab_separated_with_bom_and_xlsx_export_round_trip(db_session, actor):
    header = "\t".join(imports.CUSTOMER_HEADER)
    row = {c: "" for c in imports.CUSTOMER_HEADER}
    row.update({"customerNumber": "C-1", "companyName": "Brightfield", "billingAddress.city": "Zürich",
                "defaultPriceTier": "Retail", "defaultCurrency": "USD"})
    bad = dict(row, customerNumber="C-2", companyEmail="not-an-email", defaultPriceTier="Gold")
    text = "\n".join([header, "\t".join(row.values()), "\t".join(bad.values())])
    imp = run(db_session, actor, "customers", ("\ufeff" + text).encode())
    assert (imp.apply_counts["created"], imp.apply_counts["rejected"]) == (1, 1)
    errors = rows_of(db_session, imp, "check", "rejected")[0][3]
    assert [e["column"] for e in errors] == ["companyEmail", "defaultPriceTier"]
    assert errors[1]["message"] == "must be one of the organization's price tiers: Wholesale, Retail"
    assert db_session.scalar(select(Customer.billing_address)) == {"city": "Zürich"}

    head, rows = imports.export_rows(db_session, actor, "customers")
    book = tabular.xlsx_bytes(head, rows)
    assert run(db_session, actor, "customers", book, name="c.xlsx").apply_counts["unchanged"] == 1


def order_rows(ext, number_of_lines=2, **changes):
    base = {"externalId": ext, "orderDate": "2024-03-15T10:22:00Z", "orderStatus": "Complete",
            "orderType": "Standard", "poNumber": f"PO-{ext}", "priceTier": "Wholesale", "currencyCode": "USD",
            "customer.customerNumber": "C-9", "customer.companyName": "Brightfield",
            "primarySalesRep.repNumber": "R-1", "user.userType": "rep"}
    base.update(changes)
    return [dict(base, **{"items.sku": f"S-{i}", "items.quantity": str(i + 1), "items.price": "2.50"})
            for i in range(number_of_lines)]


def order_csv(rows):
    head = imports.ORDER_HEADER
    return (",".join(head) + "\n" + "\n".join(",".join(str(r.get(h, "")) for h in head) for r in rows)).encode()


def test_order_history_groups_rows_into_orders_and_is_idempotent(db_session, actor):
    first = order_csv(order_rows("E-1") + order_rows("E-2", 3))
    imp = run(db_session, actor, "orders", first)
    assert (imp.apply_counts["created"], imp.apply_counts["items"]) == (2, 2)
    assert db_session.scalar(select(func.count()).select_from(OrderLine)) == 5

    rows = order_rows("E-1") + order_rows("E-2", 3, poNumber="PO-NEW") + order_rows("E-3", 1)
    rows[-1]["items.quantity"] = "lots"
    imp = run(db_session, actor, "orders", order_csv(rows), apply=False)
    counts = {k: imp.check_counts[k] for k in imports.STATUSES}
    assert counts == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 1}
    assert rows_of(db_session, imp, "check", "updated")[0][2] == [["poNumber", "PO-E-2", "PO-NEW"]]
    assert rows_of(db_session, imp, "check", "rejected")[0][3] == [{"column": "items.quantity",
                                                                   "message": "must be a whole number"}]
    with pytest.raises(ValidationFailed, match="All or nothing would import nothing"):
        imports.request_apply(db_session, actor, imp.id, "rejectAll")

    bulk = {"orders": [{"externalId": "E-1", "orderDate": "2024-03-15T10:22:00Z", "orderStatus": "Complete",
                        "orderType": "Standard", "poNumber": "PO-E-1", "priceTier": "Wholesale",
                        "currencyCode": "USD", "customer": {"customerNumber": "C-9", "companyName": "Brightfield"},
                        "primarySalesRep": {"repNumber": "R-1"}, "user": {"userType": "rep"},
                        "items": [{"sku": "S-0", "quantity": 1, "price": 2.5}, {"sku": "S-1", "quantity": 2, "price": 2.5}]},
                       {"externalId": "E-4", "items": []}]}
    imp = run(db_session, actor, "orders", json.dumps(bulk).encode(), name="orders.json")
    assert imp.file_format == "json"
    assert {k: imp.apply_counts[k] for k in imports.STATUSES} == {"created": 0, "updated": 0, "unchanged": 1,
                                                                  "rejected": 1}
    assert db_session.scalar(select(func.count()).select_from(Order)) == 2


def test_limits_are_refused_with_a_clear_message(db_session, actor, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_BYTES", 1000)
    with pytest.raises(FileRefused, match="larger than"):
        imports.store_upload(db_session, actor, "products", "big.csv", io.BytesIO(b"sku,name\n" + b"x,y\n" * 400))
    monkeypatch.setattr(tabular, "MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(tabular, "MAX_ROWS", 5)
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name"])
    for i in range(7):
        sheet.append([f"S{i}", "n"])
    data = io.BytesIO()
    book.save(data)
    imp = imports.store_upload(db_session, actor, "products", "rows.xlsx", io.BytesIO(data.getvalue()))
    with pytest.raises(FileRefused, match="more than 5 rows"):
        imports.run_phase(db_session, actor, imp, imports.CHECK, progress=lambda d, t: None)


def test_a_manager_imports_customers_and_orders_but_not_products(db_session, org):
    manager = Actor(organization_id=org.id, name="M", role="manager")
    assert imports.kinds_for(manager) == ["customers", "orders"]
    assert imports.kinds_for(Actor(organization_id=org.id, name="R", role="rep")) == []


def test_products_one_row_per_price_are_read_too_and_export_in_the_wide_layout(db_session, actor):
    seed_products(db_session, actor)
    text = "\n".join([
        "sku,name,minimumOrderQuantity,quantityIncrement,active,priceTier,currencyCode,price",
        "W-1,Widget,6,6,true,Wholesale,USD,4.75",    # updated: its Wholesale price
        "W-2,Gadget,1,1,true,Retail,usd,9",         # unchanged (the currency's case does not matter)
        "N-1,Nut,10,5,true,Wholesale,USD,0.08",     # created with two prices, the second row only a price
        "N-1,,,,,Retail,USD,0.12",
        "N-2,Bolt,1,1,true,Wholesale,USD,1",        # rejected: its second price names an unknown tier
        "N-2,,,,,Gold,USD,2",
        "N-3,Washer,1,1,true,,,",                   # created without a price
        "N-4,Pin,1,1,true,Wholesale,USD,1",         # rejected: contradicts its first row
        "N-4,Pins,,,,Retail,USD,2",
        "N-1,,,,,Retail,EUR,0.10",                  # rejected: N-1's rows are not together
    ]) + "\n"
    imp = run(db_session, actor, "products", text.encode(), apply=False)
    assert {k: imp.check_counts[k] for k in imports.STATUSES} == {"created": 2, "updated": 1, "unchanged": 1,
                                                                  "rejected": 3}
    assert rows_of(db_session, imp, "check", "updated") == [
        (2, "W-1", [["price Wholesale USD", "4.50", "4.75"]], None)]
    rejected = rows_of(db_session, imp, "check", "rejected")
    assert [(n, errors) for n, _, _, errors in rejected] == [
        (6, None),
        (7, [{"column": "priceTier", "message": "must be one of the organization's price tiers: Wholesale, Retail"}]),
        (9, None),
        (10, [{"column": "name", "message": "differs from the product's first row (row 9): 'Pins'"}]),
        (11, [{"column": "sku", "message": "'N-1' appears again after other products' rows; keep a product's "
                                           "price rows together (sort the file by sku)"}]),
    ]

    imports.run_phase(db_session, actor, imp, imports.APPLY, progress=lambda d, t: db_session.commit())
    nut = catalog.product_wire(catalog.get_product(db_session, actor, "N-1"))
    assert (nut["minimumOrderQuantity"], nut["quantityIncrement"]) == (10, 5)
    assert [(p["priceTier"], p["price"]) for p in nut["prices"]] == [("Retail", Decimal("0.12")),
                                                                     ("Wholesale", Decimal("0.08"))]
    assert catalog.product_wire(catalog.get_product(db_session, actor, "N-3"))["prices"] == []

    again = run(db_session, actor, "products", text.encode())
    assert {k: again.apply_counts[k] for k in imports.STATUSES} == {"created": 0, "updated": 0, "unchanged": 4,
                                                                    "rejected": 3}
    header, rows = imports.export_rows(db_session, actor, "products")
    assert header == imports.header_for(db_session.get(Organization, actor.organization_id), "products")
    assert "priceTier" not in header and "price Retail USD" in header
    exported = run(db_session, actor, "products", tabular.xlsx_bytes(header, rows), name="products.xlsx")
    assert {k: exported.apply_counts[k] for k in imports.STATUSES} == {"created": 0, "updated": 0, "unchanged": 4,
                                                                       "rejected": 0}
