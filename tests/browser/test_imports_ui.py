"""Imports in Chromium: each kind's dry run with good, changed, unchanged and rejected
rows, then the apply and the same file again; an XLSX export imported back unchanged;
Windows-1252 accents and =HYPERLINK(...) cells; a 50,000-row file's progress bar
through a reload."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db.models import Customer, FileImport, Job, Order, Product
from app.services import catalog, imports, jobs
from app.services.context import Actor
from app.services.orders import import_orders
from tests.browser.conftest import axe_violations
from tests.web.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture()
def admin(db_session, org):
    user = make_user(db_session, org, "admin", "admin@acme.example")
    return Actor(organization_id=org.id, name=user.display_name, role="admin", user_id=user.id)


def upload(page, kind_label, path):
    page.goto("/imports")
    page.select_option("#kind", label=kind_label)
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("link", name="Review the rows").click(timeout=30_000)
    expect(page.locator("h2", has_text="Dry run: nothing has been written yet")).to_be_visible()


def counts(page):
    return {k: int(page.locator(f"[data-count={k}]").first.inner_text().replace(",", ""))
            for k in ("created", "updated", "unchanged", "rejected")}


def apply(page, policy="Import the good rows"):
    page.get_by_label(re.compile(policy)).check()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_role("link", name="See the import").click(timeout=30_000)
    expect(page.locator("h2", has_text="Imported")).to_be_visible()


def test_products_with_formula_cells_dry_run_apply_and_again(open_page, db_session, admin, tmp_path, worker):
    catalog.upsert_products(db_session, admin, [
        {"sku": "P-1", "name": "Widget", "prices": [{"priceTier": "Wholesale", "currencyCode": "USD", "price": 4}]},
        {"sku": "P-2", "name": "Gadget"}])
    path = tmp_path / "products.csv"
    path.write_text("sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD\n"
                    "P-1,Widget,1,1,true,4.25\n"
                    "P-2,Gadget,1,1,true,\n"
                    'P-3,"=HYPERLINK(""http://evil.example"",""click"")",2,2,true,3\n'
                    "P-4,Broken,1,1,true,abc\n", encoding="utf-8")
    page = open_page("admin@acme.example", PASSWORD, bypass_csp=True)
    upload(page, "Products with prices", path)
    assert counts(page) == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    rejected = page.locator("table.import-rejected").inner_text()
    assert "Row 5" in rejected and "price Wholesale USD" in rejected and "must be a number" in rejected
    updated = page.locator("table.import-updated").inner_text()
    assert re.search(r"price Wholesale USD\s+4\.00\s+4\.25", updated)
    assert axe_violations(page) == []

    page.get_by_label(re.compile("All or nothing")).check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#apply-error")).to_contain_text("1 row is rejected")
    apply(page)
    assert counts(page) == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    db_session.expire_all()
    assert db_session.scalar(select(Product.name).where(Product.sku == "P-3")) == \
        '=HYPERLINK("http://evil.example","click")'
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the rejected rows")).click()
    with open(download.value.path(), encoding="utf-8-sig") as rejected_file:
        assert "P-4,Broken,1,1,true,abc,price Wholesale USD: must be a number" in rejected_file.read()

    upload(page, "Products with prices", path)
    assert counts(page) == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 1}
    page.goto("/imports")
    expect(page.locator(".imports-table tbody tr")).to_have_count(2)
    assert axe_violations(page) == []


def test_customers_in_windows_1252_then_the_xlsx_export_back_unchanged(open_page, db_session, admin, tmp_path,
                                                                       worker):
    catalog.upsert_customers(db_session, admin, [
        {"customerNumber": "C-1", "companyName": "Old name"},
        {"customerNumber": "C-2", "companyName": "Same"}])
    path = tmp_path / "customers.csv"
    path.write_bytes(("customerNumber;companyName;companyEmail;billingAddress.city;defaultPriceTier\r\n"
                      "C-1;Société Générale;;Besançon;\r\n"
                      "C-2;Same;;;\r\n"
                      "C-3;Müller & Söhne;kontakt@mueller.example;Köln;Retail\r\n"
                      "C-4;Bad;not-an-email;;Gold\r\n").encode("cp1252"))
    page = open_page("admin@acme.example", PASSWORD, bypass_csp=True)
    upload(page, "Customers", path)
    assert counts(page) == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    text = page.locator("table.import-updated").inner_text()
    assert "Old name" in text and "Société Générale" in text and "Besançon" in text
    rejected = page.locator("table.import-rejected").inner_text()
    assert "companyEmail" in rejected and "must be one of the organization's price tiers: Wholesale, Retail" in rejected
    apply(page)
    db_session.expire_all()
    assert db_session.scalar(select(Customer.company_name).where(Customer.customer_number == "C-3")) == "Müller & Söhne"

    page.goto("/imports")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX of customers").click()
    exported = tmp_path / "customers.xlsx"
    download.value.save_as(exported)
    upload(page, "Customers", exported)
    assert counts(page) == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    apply(page, "All or nothing")
    assert counts(page)["unchanged"] == 3


def order(ext, po, lines):
    return {"externalId": ext, "orderDate": "2024-03-15T10:22:00Z", "orderStatus": "Complete", "orderType": "Standard",
            "poNumber": po, "priceTier": "Wholesale", "currencyCode": "USD",
            "customer": {"customerNumber": "C-9", "companyName": "Brightfield"},
            "primarySalesRep": {"repNumber": "R-1"}, "user": {"userType": "rep"},
            "items": [{"sku": f"S-{i}", "quantity": i + 1, "price": Decimal("2.50")} for i in range(lines)]}


def test_order_history_rows_grouped_into_orders(open_page, db_session, admin, tmp_path, worker):
    import_orders(db_session, admin, [order("E-1", "PO-1", 2), order("E-2", "PO-2", 1)])
    header = ("externalId,orderDate,orderStatus,orderType,poNumber,priceTier,currencyCode,customer.customerNumber,"
              "customer.companyName,primarySalesRep.repNumber,user.userType,items.sku,items.quantity,items.price")
    common = "2024-03-15T10:22:00Z,Complete,Standard"
    rows = [f"E-1,{common},PO-1,Wholesale,USD,C-9,Brightfield,R-1,rep,S-0,1,2.50",
            f"E-1,{common},PO-1,Wholesale,USD,C-9,Brightfield,R-1,rep,S-1,2,2.50",
            f"E-2,{common},PO-2-B,Wholesale,USD,C-9,Brightfield,R-1,rep,S-0,1,2.50",
            f"E-3,{common},PO-3,Wholesale,USD,C-9,Brightfield,R-1,rep,S-0,4,1.00",
            f"E-3,{common},PO-3,Wholesale,USD,C-9,Brightfield,R-1,rep,S-1,5,1.00",
            f"E-4,{common},PO-4,Wholesale,USD,C-9,Brightfield,R-1,rep,S-0,0,1.00"]
    path = tmp_path / "history.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    page = open_page("admin@acme.example", PASSWORD, bypass_csp=True)
    upload(page, "Order history", path)
    assert counts(page) == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    assert re.search(r"poNumber\s+PO-2\s+PO-2-B", page.locator("table.import-updated").inner_text())
    rejected = page.locator("table.import-rejected").inner_text()
    assert "Row 7" in rejected and "items.quantity" in rejected and "must be at least 1" in rejected
    apply(page)
    db_session.expire_all()
    assert db_session.scalar(select(Order.po_number).where(Order.external_id == "E-2")) == "PO-2-B"
    upload(page, "Order history", path)
    assert counts(page) == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 1}


def test_a_50000_row_file_shows_its_progress_through_a_reload(open_page, db_session, admin, tmp_path, worker):
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write("sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD\n")
        out.writelines(f"B-{i:05d},Bulk item {i},1,1,true,{i % 90 + 1}.25\n" for i in range(50_000))
    page = open_page("admin@acme.example", PASSWORD, bypass_csp=True)
    page.goto("/imports")
    page.select_option("#kind", label="Products with prices")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and check").click()
    figures = page.locator(".job-progress-figures")
    figures.filter(has_text=re.compile(r"[1-9][\d,]* of 50,000 done .* a second .*left")).wait_for(timeout=30_000)
    first = int(re.search(r"([\d,]+) of", figures.inner_text()).group(1).replace(",", ""))
    assert axe_violations(page) == []

    page.reload()  # the dry run goes on and the page picks it up where it stands
    figures.filter(has_text=re.compile(r"of 50,000 done")).wait_for()
    later = re.compile(r"([\d,]+) of 50,000")
    deadline_text = None
    for _ in range(40):
        deadline_text = figures.inner_text()
        if int(later.search(deadline_text).group(1).replace(",", "")) > first:
            break
        page.wait_for_timeout(250)
    assert int(later.search(deadline_text).group(1).replace(",", "")) > first
    imp = db_session.scalar(select(FileImport).where(FileImport.file_name == "big.csv"))
    assert imp.check_counts["rows"] == 50_000
    # The rest is the benchmark's: stop the dry run here.
    jobs.cancel_job(db_session, admin, imp.check_job_id)
    for _ in range(100):
        db_session.expire_all()
        if db_session.get(Job, (imp.organization_id, imp.check_job_id)).state == "cancelled":
            break
        page.wait_for_timeout(100)
    expect(page.locator(".job-progress-title")).to_have_text("Cancelled", timeout=10_000)
    assert imports.STATE_LABELS[imp.state] == "Dry run running"
