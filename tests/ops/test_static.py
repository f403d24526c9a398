"""Static files: content-hashed names cached for years, served without a proxy."""

from __future__ import annotations

import re

from app.ops.static import build_manifest, hashed_name


def test_pages_link_hashed_names_served_with_an_immutable_cache_lifetime(client):
    html = client.get("/login").get_data(as_text=True)
    href = re.search(r'href="(/static/css/app\.([0-9a-f]{12})\.css)"', html)
    assert href, html[:500]
    response = client.get(href.group(1))
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    plain = client.get("/static/css/app.css")
    assert response.get_data() == plain.get_data()
    response.close()
    plain.close()


def test_plain_names_still_work_with_a_short_lifetime(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "max-age=300, public"
    response.close()
    assert client.get("/static/css/app.000000000000.css").status_code == 404


def test_the_hash_follows_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: red }")
    first = build_manifest(tmp_path)["css/site.css"]
    (tmp_path / "css" / "site.css").write_text("body { color: blue }")
    second = build_manifest(tmp_path)["css/site.css"]
    assert first != second and re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", second)
    assert hashed_name("vendor/htmx-2.0.11.min.js", b"x").startswith("vendor/htmx-2.0.11.min.")
