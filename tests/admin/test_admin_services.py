"""The administration services on a real database: settings and lists, branding checks,
users with the last-admin guard, API tokens with scope and expiry, and the audit log."""

from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app.db.models import AuditEvent, Customer, Order, Product, ProductPrice, utcnow
from app.domain.errors import NotFound, PermissionDenied, ValidationFailed
from app.services import accounts, branding, org_settings, users
from app.services.context import Actor
from tests.api.helpers import order_body
from tests.web.helpers import make_user


@contextmanager
def refused(text: str):
    """The block is refused with a field error whose message holds ``text``."""
    with pytest.raises(ValidationFailed) as info:
        yield
    assert any(text in e.message for e in info.value.errors), info.value.errors


def _admin(org) -> Actor:
    return Actor(organization_id=org.id, name="Ada Admin", role="admin")


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_lists_start_with_the_constants_the_code_used_to_hold(org):
    lists = org.settings_lists
    assert lists.names("priceTier") == ["Wholesale", "Retail"]
    assert lists.term_days("Net30") == 30 and lists.term_days("COD") == 0
    assert "In person" in lists.names("channel") and "FedEx Ground" in lists.names("shippingMethod")


def test_adding_renaming_retiring_and_restoring_entries(db_session, org):
    admin = _admin(org)
    org_settings.change_list(db_session, admin, "shippingMethod", "add", new_name="  DHL   Express ")
    assert org.settings_lists.names("shippingMethod")[-1] == "DHL Express"
    org_settings.change_list(db_session, admin, "terms", "add", new_name="Net45", days="45")
    assert org.settings_lists.term_days("Net45") == 45
    with refused("already in the"):
        org_settings.change_list(db_session, admin, "shippingMethod", "add", new_name="dhl express")
    with pytest.raises(ValidationFailed) as info:
        org_settings.change_list(db_session, admin, "terms", "add", new_name="Net999", days="999")
    assert info.value.errors[0].field == "days"
    org_settings.change_list(db_session, admin, "channel", "retire", name="Phone")
    assert "Phone" not in org.settings_lists.names("channel")
    assert "Phone" in org.settings_lists.names("channel", include_retired=True)
    org_settings.change_list(db_session, admin, "channel", "restore", name="Phone")
    assert "Phone" in org.settings_lists.names("channel")
    org_settings.change_list(db_session, admin, "channel", "up", name="Email")
    assert org.settings_lists.names("channel")[0] == "Email"
    retire = _events(db_session, "settings.channel.retire")[0]
    assert retire.actor == "Ada Admin" and retire.changes == {"retired": [False, True]}


def test_renaming_a_price_tier_renames_it_on_catalog_prices_and_customer_defaults(db_session, org, actor):
    product = Product(organization_id=org.id, sku="W-1", name="Widget")
    db_session.add(product)
    db_session.flush()
    db_session.add(ProductPrice(product_id=product.id, price_tier="Wholesale", currency_code="USD", price=5))
    db_session.add(Customer(organization_id=org.id, customer_number="C-1", company_name="Co",
                            default_price_tier="Wholesale"))
    db_session.commit()
    from app.services.orders import create_order

    order_id = create_order(db_session, actor, order_body(externalId="E-T")).id
    org_settings.change_list(db_session, _admin(org), "priceTier", "rename", name="Wholesale", new_name="Trade")
    assert org.price_tiers == ["Trade", "Retail"]
    assert db_session.scalar(select(ProductPrice.price_tier)) == "Trade"
    assert db_session.scalar(select(Customer.default_price_tier)) == "Trade"
    assert db_session.get(Order, order_id).price_tier == "Wholesale"  # history keeps its name
    assert _events(db_session, "settings.priceTier.rename")[0].changes == {"name": ["Wholesale", "Trade"]}


def test_an_entry_in_use_cannot_be_removed_only_retired(db_session, org, actor):
    from app.services.orders import create_order

    create_order(db_session, actor, order_body(externalId="E-C", channel="Phone"))
    with refused("used by 1 order"):
        org_settings.change_list(db_session, _admin(org), "channel", "remove", name="Phone")
    org_settings.change_list(db_session, _admin(org), "channel", "remove", name="In person")
    assert "In person" not in org.settings_lists.names("channel", include_retired=True)
    with refused("at least one price tier"):
        admin = _admin(org)
        org_settings.change_list(db_session, admin, "priceTier", "retire", name="Retail")
        org_settings.change_list(db_session, admin, "priceTier", "retire", name="Wholesale")


def test_only_admins_change_settings(db_session, org):
    manager = Actor(organization_id=org.id, name="M", role="manager")
    with pytest.raises(PermissionDenied):
        org_settings.change_list(db_session, manager, "channel", "add", new_name="Fax")
    with pytest.raises(PermissionDenied):
        org_settings.update_profile(db_session, manager, {})


def test_the_profile_is_validated_field_by_field_and_audited(db_session, org):
    admin = _admin(org)
    good = {"brand_display_name": "Acme", "brand_address": "1 Main St\nSalem", "reply_to_email": "Sales@Acme.example",
            "time_zone": "Europe/Berlin", "locale": "de_DE", "default_currency": "eur", "currencies": "usd, CHF",
            "order_number_prefix": "AC-"}
    org_settings.update_profile(db_session, admin, good)
    assert (org.time_zone, org.locale, org.default_currency, org.currencies) == ("Europe/Berlin", "de_DE", "EUR",
                                                                                ["USD", "CHF"])
    assert org.reply_to_email == "sales@acme.example" and org.order_number_prefix == "AC-"
    event = _events(db_session, "settings.profile")[0]
    assert event.changes["time_zone"] == ["UTC", "Europe/Berlin"] and event.changes["locale"] == ["en_US", "de_DE"]
    with pytest.raises(ValidationFailed) as info:
        org_settings.update_profile(db_session, admin, {**good, "time_zone": "Mars/Base", "locale": "xx_YY",
                                                        "default_currency": "ABC", "reply_to_email": "nope",
                                                        "order_number_prefix": "", "currencies": "EUR, XXQ"})
    assert {e.field for e in info.value.errors} == {"time_zone", "locale", "default_currency", "reply_to_email",
                                                    "order_number_prefix", "currencies"}


def test_a_new_prefix_applies_to_new_order_numbers_only(db_session, org, actor):
    from app.services.orders import create_order

    first = create_order(db_session, actor, order_body(externalId="E-1")).order_number
    org_settings.update_profile(db_session, _admin(org), {**org_settings.profile(org), "order_number_prefix": "NEW-",
                                                          "currencies": ""})
    second = create_order(db_session, actor, order_body(externalId="E-2")).order_number
    assert first.startswith("ORD-") and second.startswith("NEW-")
    assert db_session.scalar(select(Order.order_number).where(Order.external_id == "E-1")) == first


def _png(width=1, height=1) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("data", "name", "said"), [
    (b"\x89PNG" + b"0" * (10 * 1024 * 1024), "huge.png", "at most 1 MB"),
    (b"just some text, renamed", "logo.png", "not a PNG or JPEG image that can be read"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.png", "SVG logos are not accepted"),
    (b"<svg onload='x'></svg>", "logo.svg", "SVG logos are not accepted"),
    (b"", "empty.png", "empty"),
])
def test_a_logo_that_cannot_be_used_is_refused_with_the_reason(data, name, said):
    with pytest.raises(ValidationFailed) as info:
        branding.checked_logo(data, name)
    assert said in info.value.errors[0].message


def test_a_gif_is_refused_and_a_one_pixel_png_or_jpeg_is_accepted():
    gif = io.BytesIO()
    Image.new("RGB", (2, 2)).save(gif, format="GIF")
    with refused("GIF image"):
        branding.checked_logo(gif.getvalue(), "logo.gif")
    assert branding.checked_logo(_png(), "tiny.png") == "image/png"
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    assert branding.checked_logo(jpeg.getvalue(), "photo.jpg") == "image/jpeg"


def test_saving_a_logo_is_audited_without_its_bytes(db_session, org):
    branding.save_logo(db_session, _admin(org), _png(), "tiny.png")
    assert org.brand_logo_mime == "image/png"
    event = _events(db_session, "branding.logo")[0]
    assert event.changes["logo"] == ["(hidden)", "(changed)"] and "tiny.png" in event.changes["file"][1]


def test_accent_contrast_is_checked_against_white():
    assert branding.contrast_with_white("#000000") == 21.0
    assert branding.checked_accent("#1f4e79").warning is None
    pale = branding.checked_accent("#FFD700")
    assert pale.ratio < 4.5 and "below the 4.5:1" in pale.warning and pale.colour == "#ffd700"
    with pytest.raises(ValidationFailed):
        branding.checked_accent("red")


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(db_session, org):
    admin = make_user(db_session, org, "admin", "ada@acme.example")
    actor = _admin(org)
    with refused("last active admin"):
        users.change_role(db_session, actor, admin.id, "manager")
    with refused("last active admin"):
        users.set_active(db_session, actor, admin.id, False)
    second = make_user(db_session, org, "manager", "max@acme.example")
    users.change_role(db_session, actor, second.id, "admin")
    users.set_active(db_session, actor, admin.id, False)
    assert not admin.active
    with refused("last active admin"):
        users.change_role(db_session, actor, second.id, "rep")


def test_created_users_must_choose_their_password_and_reps_need_a_number(db_session, org):
    actor = _admin(org)
    with refused("required for a rep"):
        users.create(db_session, actor, email="r@acme.example", name="R", role="rep", password="long-enough")
    user = users.create(db_session, actor, email="R@Acme.example", name="Rae", role="rep", password="long-enough",
                        rep_number="REP-9")
    assert user.must_change_password and user.sales_rep.rep_number == "REP-9" and user.email == "r@acme.example"
    assert "password" not in str(_events(db_session, "users.create")[0].changes)


def test_a_rep_known_only_from_imported_orders_is_listed_and_linked(db_session, org, actor):
    from app.services.orders import create_order

    create_order(db_session, actor, order_body(externalId="E-R", primarySalesRep={"repNumber": "REP-77"}))
    user = make_user(db_session, org, "manager", "m@acme.example")
    assert [r.rep_number for r in users.reps_without_users(db_session, org.id)] == ["REP-77"]
    users.link_rep(db_session, _admin(org), user.id, "REP-77")
    assert users.reps_without_users(db_session, org.id) == []
    other = make_user(db_session, org, "manager", "n@acme.example")
    with refused("already linked"):
        users.link_rep(db_session, _admin(org), other.id, "REP-77")


def test_users_of_another_organization_are_not_found(db_session, org):
    other = accounts.create_organization(db_session, "Other Org")
    stranger = make_user(db_session, other, "admin", "s@other.example")
    with pytest.raises(NotFound):
        users.set_active(db_session, _admin(org), stranger.id, False)


def test_tokens_carry_scope_expiry_and_where_they_were_last_used(db_session, org):
    issued = accounts.create_token(db_session, org, "Reports", scope="read",
                                   expires_at=utcnow() + timedelta(days=1), created_by="Ada")
    token = accounts.authenticate_token(db_session, issued.secret, "203.0.113.5")
    assert token.scope == "read" and token.last_used_address == "203.0.113.5" and token.last_used_at
    assert accounts.actor_for_token(token).read_only
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert accounts.authenticate_token(db_session, issued.secret) is None
    with pytest.raises(ValidationFailed) as info:
        accounts.create_token(db_session, org, "", scope="admin", expires_at=utcnow() - timedelta(days=1))
    assert {e.field for e in info.value.errors} == {"name", "scope", "expires"}
