"""Admin pages: the organization's settings and lists, branding, users, API tokens and
the audit log. Views translate forms to the settings services and back; every page is
for admins only (403 for everyone else, crafted POSTs included), and every form answers
in place with its errors beside the fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy import select

from app.db.models import Order
from app.domain.errors import FieldError, ValidationFailed
from app.domain.settings import KINDS, SINGULAR
from app.extensions import db
from app.mail.document import render_pdf
from app.services import accounts, audit, branding, org_settings, summaries, users
from app.services.context import ROLES
from app.web.auth import current_actor, role_required
from app.web.htmx import is_fragment_request

bp = Blueprint("admin", __name__, url_prefix="/settings")

SECTIONS = (
    ("admin.organization", "Organization"), ("admin.lists", "Lists"), ("admin.branding_page", "Branding"),
    ("admin.users_page", "Users"), ("admin.tokens_page", "API tokens"), ("mail.template_editor", "Email template"),
    ("admin.review", "Review and approvals"), ("admin.audit_page", "Audit log"),
)
MAX_UPLOAD = 12 * 1024 * 1024
SECTION_OF = {"admin.organization": "admin.organization", "admin.lists": "admin.lists",
              "admin.change_list": "admin.lists", "admin.branding": "admin.branding_page", "admin.users": "admin.users_page",
              "admin.tokens": "admin.tokens_page", "admin.audit": "admin.audit_page",
              "admin.review": "admin.review"}


def admin_only(view: Callable) -> Callable:
    @role_required("admin")
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        return view(*args, **kwargs)

    return wrapper


def errors_by_field(errors: list[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(error.field, []).append(error.message)
    return out


def _org():
    return accounts.load_organization(db.session, current_actor().organization_id)


def _page(template: str, fragment: str | None = None, status: int = 200, **context: Any):
    context.setdefault("sections", SECTIONS)
    endpoint = request.endpoint or ""
    context["current_section"] = next((v for k, v in SECTION_OF.items() if endpoint.startswith(k)), "")
    name = fragment if fragment and is_fragment_request() else template
    return render_template(name, **context), status


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, values: dict | None) -> None:
    """A logo upload may be larger than the app-wide body limit, so that a 10 MB file is
    refused beside the field ("at most 1 MB") instead of by a bare 413. This runs before
    the CSRF check reads the form."""
    if endpoint == "admin.branding_logo":
        request.max_content_length = MAX_UPLOAD


@bp.get("")
@admin_only
def index():
    return redirect(url_for("admin.organization"))


# --------------------------------------------------------------------------- organization


@bp.route("/organization", methods=["GET", "POST"])
@admin_only
def organization():
    org = _org()
    values, errors, saved, status = org_settings.profile(org), {}, False, 200
    if request.method == "POST":
        values = {**values, **{k: request.form.get(k, "") for k in org_settings.PROFILE_FIELDS}}
        values["currencies"] = request.form.get("currencies", "")
        try:
            org_settings.update_profile(db.session, current_actor(), values)
            values, saved = org_settings.profile(_org()), True
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = errors_by_field(exc.errors), 422
    if isinstance(values.get("currencies"), list):
        values["currencies"] = ", ".join(values["currencies"])
    return _page("admin/organization.html", "admin/_organization_form.html", status, values=values,
                 errors=errors, saved=saved, time_zones=org_settings.time_zones(),
                 recount=summaries.recount(db.session, _org()))


# --------------------------------------------------------------------------- review and approvals


def _review_values(org) -> dict[str, Any]:
    rules = org_settings.review_settings(org).to_json()
    values = {"pending_days": rules["pendingDays"], "below_list_percent": rules["belowListPercent"],
              "discount_percent": rules["discountPercent"],
              "approval_discount_percent": rules["approvalDiscountPercent"] or "",
              "approval_below_list_percent": rules["approvalBelowListPercent"] or "",
              "approval_allows_email": rules["approvalAllowsEmail"]}
    for code in org_settings.org_currencies(org):
        values[f"approval_total_{code}"] = rules["approvalTotals"].get(code) or ""
    return values


@bp.route("/review", methods=["GET", "POST"])
@admin_only
def review():
    """Needs-attention thresholds and approval rules."""
    org = _org()
    values, errors, saved, status = _review_values(org), {}, False, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        try:
            org_settings.update_review(db.session, current_actor(), values)
            values, saved = _review_values(_org()), True
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = errors_by_field(exc.errors), 422
    return _page("admin/review.html", "admin/_review_form.html", status, values=values, errors=errors,
                 saved=saved, currencies=org_settings.org_currencies(org))


# --------------------------------------------------------------------------- lists


def _list_context(kind: str, **extra: Any) -> dict[str, Any]:
    org = _org()
    return {"kind": kind, "title": KINDS[kind], "singular": SINGULAR[kind],
            "rows": org_settings.list_rows(db.session, org, kind), "errors": {}, **extra}


@bp.get("/lists")
@admin_only
def lists():
    return _page("admin/lists.html", sections=SECTIONS,
                 kinds=[_list_context(kind) for kind in KINDS])


@bp.post("/lists/<kind>")
@admin_only
def change_list(kind: str):
    """One change to one list (add, rename, retire, restore, remove, up, down); the
    list's section is re-rendered in place."""
    if kind not in KINDS:
        return render_template("errors/_message.html", status=404, title="Not found",
                               detail="There is no such list."), 404
    op = request.form.get("op", "")
    name, new_name = request.form.get("name", ""), request.form.get("new_name", "")
    days = request.form.get("days")
    status, message, errors, form = 200, None, {}, {}
    try:
        org_settings.change_list(db.session, current_actor(), kind, op, name, new_name, days)
        message = _list_message(op, name, new_name, kind)
    except ValidationFailed as exc:
        db.session.rollback()
        status, errors = 422, errors_by_field(exc.errors)
        form = {"op": op, "name": name, "new_name": new_name, "days": days or ""}
    context = _list_context(kind, message=message, errors=errors, form=form)
    if is_fragment_request():
        return render_template("admin/_list.html", **context), status
    if status != 200:
        return _page("admin/lists.html", status=status,
                     kinds=[context if k == kind else _list_context(k) for k in KINDS])
    return redirect(url_for("admin.lists") + f"#list-{kind}", code=303)


def _list_message(op: str, name: str, new_name: str, kind: str) -> str:
    what = SINGULAR[kind].capitalize()
    return {
        "add": f"{what} “{new_name or name}” added.",
        "rename": f"{what} “{name}” is now “{new_name}”.",
        "retire": f"{what} “{name}” retired: it stays on existing orders and leaves the choice lists.",
        "restore": f"{what} “{name}” is offered again.",
        "remove": f"{what} “{name}” removed.",
    }.get(op, f"{what} “{name}” moved.")


# --------------------------------------------------------------------------- branding


def _preview_orders(org_id: str) -> list[tuple[str, str]]:
    return list(db.session.execute(
        select(Order.id, Order.order_number).where(Order.organization_id == org_id)
        .order_by(Order.created_at.desc()).limit(20)).all())


def _branding_context(**extra: Any) -> dict[str, Any]:
    org = _org()
    accent = org.brand_accent_color or "#1f4e79"
    return {"org": org, "accent": accent, "check": branding.checked_accent(accent), "errors": {},
            "orders": _preview_orders(org.id), **extra}


@bp.get("/branding")
@admin_only
def branding_page():
    return _page("admin/branding.html", **_branding_context())


@bp.post("/branding/accent")
@admin_only
def branding_accent():
    try:
        check = branding.save_accent(db.session, current_actor(), request.form.get("accent", ""))
        context = _branding_context(saved="Accent colour saved.", check=check)
        status = 200
    except ValidationFailed as exc:
        db.session.rollback()
        context, status = _branding_context(errors=errors_by_field(exc.errors),
                                            accent=request.form.get("accent", "")), 422
    return _page("admin/branding.html", "admin/_accent_form.html", status, **context)


@bp.post("/branding/accent/check")
@admin_only
def branding_accent_check():
    """The contrast check as the colour is picked (nothing saved)."""
    try:
        check = branding.checked_accent(request.form.get("accent", ""))
    except ValidationFailed as exc:
        return render_template("admin/_contrast.html", check=None, error=exc.errors[0].message), 422
    return render_template("admin/_contrast.html", check=check, error=None)


@bp.post("/branding/logo")
@admin_only
def branding_logo():
    upload = request.files.get("logo")
    status = 200
    try:
        if request.form.get("op") == "remove":
            branding.remove_logo(db.session, current_actor())
            context = _branding_context(saved="Logo removed.")
        else:
            if upload is None or not upload.filename:
                raise ValidationFailed([FieldError("logo", "choose a PNG or JPEG file to upload")])
            data = upload.stream.read(branding.MAX_LOGO_BYTES + 1)
            if len(data) > branding.MAX_LOGO_BYTES:
                raise ValidationFailed([FieldError("logo", "the file is larger than 1 MB; a logo may be at most 1 MB")])
            branding.save_logo(db.session, current_actor(), data, upload.filename)
            context = _branding_context(saved="Logo saved.")
    except ValidationFailed as exc:
        db.session.rollback()
        context, status = _branding_context(errors=errors_by_field(exc.errors)), 422
    return _page("admin/branding.html", status=status, **context)


@bp.get("/branding/preview.png")
@admin_only
def branding_preview():
    """The confirmation PDF's first page for a real order, with the colour being picked
    (not saved: the change is rolled back after rendering)."""
    org = _org()
    order_id = request.args.get("order") or ""
    order = db.session.scalar(select(Order).where(Order.organization_id == org.id, Order.id == order_id)) \
        if order_id else None
    if order is None:
        order = db.session.scalar(select(Order).where(Order.organization_id == org.id)
                                  .order_by(Order.created_at.desc()).limit(1))
    if order is None:
        return Response("No order to preview yet.", status=404, mimetype="text/plain")
    accent = request.args.get("accent", "")
    try:
        org.brand_accent_color = branding.checked_accent(accent).colour
    except ValidationFailed:
        pass
    try:
        png = branding.first_page_png(render_pdf(order, org))
    finally:
        db.session.rollback()
    return Response(png, mimetype="image/png")


# --------------------------------------------------------------------------- users


def _users_context(**extra: Any) -> dict[str, Any]:
    org = _org()
    return {"users": users.organization_users(db.session, org.id),
            "unlinked": users.reps_without_users(db.session, org.id), "roles": ROLES,
            "errors": {}, "form": {}, "row_errors": {}, **extra}


@bp.get("/users")
@admin_only
def users_page():
    return _page("admin/users.html", **_users_context())


@bp.post("/users")
@admin_only
def users_create():
    form = {k: request.form.get(k, "") for k in ("email", "name", "role", "rep_number", "password")}
    try:
        user = users.create(db.session, current_actor(), **form)
        context, status = _users_context(saved=f"{user.email} can now sign in; they choose their own password"
                                               " at first sign-in."), 200
    except ValidationFailed as exc:
        db.session.rollback()
        form.pop("password")
        context, status = _users_context(errors=errors_by_field(exc.errors), form=form), 422
    return _page("admin/users.html", "admin/_users.html", status, **context)


USER_ACTIONS: dict[str, Callable[..., Any]] = {
    "role": lambda actor, uid, form: users.change_role(db.session, actor, uid, form.get("role", "")),
    "deactivate": lambda actor, uid, form: users.set_active(db.session, actor, uid, False),
    "activate": lambda actor, uid, form: users.set_active(db.session, actor, uid, True),
    "password": lambda actor, uid, form: users.reset_password(db.session, actor, uid, form.get("password", "")),
    "rep": lambda actor, uid, form: users.link_rep(db.session, actor, uid, form.get("rep_number", "")),
}
USER_DONE = {"role": "Role changed.", "deactivate": "Deactivated and signed out everywhere.",
             "activate": "Activated.", "password": "New password set; they must change it at next sign-in.",
             "rep": "Rep number linked."}


@bp.post("/users/<user_id>/<any(role, deactivate, activate, password, rep):action>")
@admin_only
def users_action(user_id: str, action: str):
    status, row_errors, saved = 200, {}, None
    try:
        user = USER_ACTIONS[action](current_actor(), user_id, request.form)
        saved = f"{user.email}: {USER_DONE[action]}"
    except ValidationFailed as exc:
        db.session.rollback()
        status, row_errors = 422, {user_id: [e.message for e in exc.errors]}
    return _page("admin/users.html", "admin/_users.html", status,
                 **_users_context(saved=saved, row_errors=row_errors))


# --------------------------------------------------------------------------- tokens


def _tokens_context(**extra: Any) -> dict[str, Any]:
    return {"tokens": accounts.organization_tokens(db.session, current_actor().organization_id),
            "scopes": accounts.TOKEN_SCOPES, "errors": {}, "form": {}, "now": datetime.now(UTC), **extra}


@bp.get("/tokens")
@admin_only
def tokens_page():
    return _page("admin/tokens.html", **_tokens_context())


@bp.post("/tokens")
@admin_only
def tokens_create():
    actor = current_actor()
    form = {k: request.form.get(k, "") for k in ("name", "scope", "expires")}
    try:
        expires = _end_of_day(form["expires"])
        issued = accounts.create_token(db.session, _org(), form["name"], scope=form["scope"] or "write",
                                       expires_at=expires, created_by=actor.name)
        audit.record(db.session, actor, "tokens.create", f"{issued.token.name} ({issued.token.prefix}…)",
                     {"scope": [None, issued.token.scope],
                      "expires": [None, issued.token.expires_at.isoformat() if issued.token.expires_at else None]})
        db.session.commit()
        context, status = _tokens_context(issued=issued), 200
    except ValidationFailed as exc:
        db.session.rollback()
        context, status = _tokens_context(errors=errors_by_field(exc.errors), form=form), 422
    return _page("admin/tokens.html", "admin/_tokens.html", status, **context)


def _end_of_day(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed([FieldError("expires", "must be a date such as 2027-06-30")]) from None
    if day.year > 2999:
        raise ValidationFailed([FieldError("expires", "must be a date before the year 3000")])
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@bp.post("/tokens/<token_id>/revoke")
@admin_only
def tokens_revoke(token_id: str):
    actor = current_actor()
    token = accounts.revoke_token(db.session, _org(), token_id)
    audit.record(db.session, actor, "tokens.revoke", f"{token.name} ({token.prefix}…)", {"revoked": [False, True]})
    db.session.commit()
    return _page("admin/tokens.html", "admin/_tokens.html",
                 **_tokens_context(saved=f"“{token.name}” is revoked: its next request is refused."))


# --------------------------------------------------------------------------- audit


@bp.get("/audit")
@admin_only
def audit_page():
    args = request.args
    errors: dict[str, list[str]] = {}
    since = until = None
    for key in ("from", "to"):
        text = (args.get(key) or "").strip()
        if not text:
            continue
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            if not 1900 <= day.year <= 2999:
                raise ValueError
        except ValueError:
            errors[key] = ["must be a date such as 2026-11-30"]
            continue
        if key == "from":
            since = day
        else:
            until = day + timedelta(days=1)
    page = args.get("page", "1")
    filters = audit.AuditFilters(action=(args.get("action") or "")[:50], actor=(args.get("actor") or "")[:200],
                                 since=since, until=until, page=int(page) if page.isdigit() and len(page) < 6 else 1)
    rows, total = audit.events(db.session, current_actor().organization_id, filters)
    return _page("admin/audit.html", "admin/_audit_results.html", 400 if errors else 200, rows=rows, total=total,
                 filters=filters, args=args, errors=errors,
                 actions=audit.actions(db.session, current_actor().organization_id), page_size=audit.PAGE_SIZE)
