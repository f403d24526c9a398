"""The confirmation PDF and print view: content, pagination, escaping, caching."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from app.db.models import RenderedDocument
from app.mail import document
from app.mail.document import confirmation_pdf
from tests.mail.conftest import make_order, pdf_pages, pdf_text


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (10, 125, 59)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pdf_shows_order_number_every_sku_totals_and_branding(db_session, org, actor, tmp_path):
    org.brand_display_name, org.brand_address = "Acme Branded", "12 Mill Street\nSpringfield"
    org.brand_logo, org.brand_logo_mime, org.brand_accent_color = png_logo(), "image/png", "#0a7d3b"
    order = make_order(db_session, actor)
    text = pdf_text(confirmation_pdf(db_session, order, org).content, tmp_path)
    for expected in (order.order_number, "WDG-BLU-L", "WDG-RED-M", "$479.30", "$432.00", "$18.50", "$28.80",
                     "$12.50", "Acme Branded", "12 Mill Street", "PO-88412", "Net30", "Phone",
                     "Jordan Avery", "300 Commerce Blvd", "Customer requested delivery", "Page 1 of 1"):
        assert expected in text, expected


def test_long_order_paginates_with_the_table_header_on_every_page(db_session, org, actor, tmp_path):
    order = make_order(db_session, actor, lines=60)
    content = confirmation_pdf(db_session, order, org).content
    pages = pdf_pages(content, tmp_path)
    assert pages >= 2
    seen = set()
    for page in range(1, pages + 1):
        text = pdf_text(content, tmp_path, page)
        header = next(line for line in text.splitlines() if "SKU" in line)
        assert "Product" in header and "Unit price" in header and "Amount" in header
        assert f"Page {page} of {pages}" in text
        seen.update(f"SKU-{n:03d}" for n in range(1, 61) if f"SKU-{n:03d}" in text)
    assert seen == {f"SKU-{n:03d}" for n in range(1, 61)}
    assert order.items[-1].sku in pdf_text(content, tmp_path, pages)


def test_html_in_notes_and_company_name_is_text_in_the_pdf(db_session, org, actor, tmp_path):
    order = make_order(db_session, actor, notes="Call <b>before</b> & after", companyName="Evil <script>Co</script>")
    text = pdf_text(confirmation_pdf(db_session, order, org).content, tmp_path)
    assert "Call <b>before</b> & after" in text
    assert "Evil <script>Co</script>" in text


def test_unchanged_order_is_rendered_once_and_a_change_renders_again(db_session, org, actor, monkeypatch):
    order = make_order(db_session, actor)
    calls = []
    real = document.render_pdf
    monkeypatch.setattr(document, "render_pdf", lambda o, g: calls.append(o.id) or real(o, g))
    first = confirmation_pdf(db_session, order, org)
    db_session.commit()
    second = confirmation_pdf(db_session, order, org)
    assert calls == [order.id] and second.content == first.content
    org.brand_accent_color = "#aa0000"
    third = confirmation_pdf(db_session, order, org)
    assert len(calls) == 2 and third.fingerprint != first.fingerprint
    order.notes = "Changed"
    confirmation_pdf(db_session, order, org)
    assert len(calls) == 3
    db_session.commit()
    assert db_session.scalars(select(RenderedDocument)).one().fingerprint == document.fingerprint(order, org)


def test_a_broken_logo_is_left_out_instead_of_breaking_the_pdf(db_session, org, actor, tmp_path):
    org.brand_logo, org.brand_logo_mime = b"\x89PNG\r\n\x1a\nbroken", "image/png"
    order = make_order(db_session, actor)
    assert order.order_number in pdf_text(confirmation_pdf(db_session, order, org).content, tmp_path)
