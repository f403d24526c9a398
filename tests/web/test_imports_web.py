"""The imports pages over HTTP: upload, the dry run on the worker, apply, the rejected
rows, templates, exports, limits and who may import what."""

from __future__ import annotations

import io
import time

from openpyxl import load_workbook
from sqlalchemy import select

from app.db.models import FileImport, Product
from app.services import tabular
from tests.web.helpers import csrf_from, login, make_user

FILE = (b"sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD\n"
        b"A-1,Anvil,1,1,true,10\n"
        b"A-2,Bad,0,1,true,5\n")


def signed_in(app, db_session, org, role="admin"):
    make_user(db_session, org, role, f"{role}@acme.example")
    client = app.test_client()
    assert login(client, f"{role}@acme.example").status_code == 302
    return client


def upload(client, kind, data, name="file.csv"):
    token = csrf_from(client.get("/imports").get_data(as_text=True))
    return client.post("/imports", data={"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def wait_state(db_session, import_id, states, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        imp = db_session.scalar(select(FileImport).where(FileImport.id == import_id)
                                .execution_options(populate_existing=True))
        db_session.commit()
        if imp.state in states:
            return imp
        time.sleep(0.1)
    raise AssertionError(f"import stayed {imp.state}")


def test_upload_dry_run_apply_and_rejected_rows(app, db_session, org, worker):
    client = signed_in(app, db_session, org)
    response = upload(client, "products", FILE)
    assert response.status_code == 303
    import_id = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Import of file.csv" in page
    imp = wait_state(db_session, import_id, {"checked"})
    assert (imp.check_counts["created"], imp.check_counts["rejected"]) == (1, 1)
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Dry run: nothing has been written yet" in page and "must be at least 1" in page
    assert db_session.scalar(select(Product.sku)) is None

    token = csrf_from(page)
    refused = client.post(f"/imports/{import_id}/apply", data={"csrf_token": token, "errorPolicy": "rejectAll"})
    assert refused.status_code == 422 and "All or nothing would import nothing: 1 row is rejected" in refused.get_data(as_text=True)
    assert client.post(f"/imports/{import_id}/apply", data={"csrf_token": token, "errorPolicy": "rejectFailed"}).status_code == 303
    wait_state(db_session, import_id, {"applied"})
    assert db_session.scalars(select(Product.sku)).all() == ["A-1"]

    rejected = client.get(f"/imports/{import_id}/rejected.csv")
    assert rejected.headers["Content-Disposition"] == 'attachment; filename="file-rejected.csv"'
    assert rejected.get_data().decode("utf-8-sig").splitlines()[1] == "A-2,Bad,0,1,true,5,minimumOrderQuantity: must be at least 1"
    listing = client.get("/imports").get_data(as_text=True)
    assert "file.csv" in listing and "Imported" in listing


def test_templates_exports_and_limits(app, db_session, org, monkeypatch):
    client = signed_in(app, db_session, org)
    template = client.get("/imports/template/products.csv").get_data().decode("utf-8-sig")
    assert template.strip() == ("sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD,"
                                "price Retail USD")
    book = load_workbook(io.BytesIO(client.get("/imports/template/customers.xlsx").get_data()))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["customerNumber", "companyName", "companyEmail"]
    assert client.get("/exports/products.xlsx").status_code == 200
    assert client.get("/exports/orders.csv").status_code == 404

    monkeypatch.setattr(tabular, "MAX_BYTES", 100)
    response = upload(client, "products", FILE * 10)
    assert response.status_code == 422 and "The file is larger than" in response.get_data(as_text=True)
    assert "split it into smaller files" in response.get_data(as_text=True)
    assert upload(client, "products", b"").status_code == 422


def test_who_may_import_what(app, db_session, org):
    manager = signed_in(app, db_session, org, "manager")
    assert upload(manager, "products", FILE).status_code == 403
    assert upload(manager, "customers", b"customerNumber,companyName\nC-1,Acme\n").status_code == 303
    assert manager.get("/imports/template/products.csv").status_code == 403
    rep = signed_in(app, db_session, org, "rep")
    assert rep.get("/imports").status_code == 403
