"""Imports and exports pages: upload a file, watch its dry run, apply it with a chosen
error policy, download the rejected rows, templates and exports (``services.imports``)."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from app.domain.errors import DomainError, PermissionDenied, ValidationFailed
from app.extensions import csrf, db
from app.services import imports, jobs, tabular
from app.web import bp
from app.web.auth import current_actor, role_required
from app.web.download import content_disposition
from app.web.jobs import progress_context

MANAGERS = ("manager", "admin")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _index(error: str | None = None, status: int = 200, kind: str | None = None):
    actor = current_actor()
    return render_template("imports/index.html", imports=imports.list_imports(db.session, actor),
                           kinds=imports.kinds_for(actor), labels=imports.KIND_LABELS,
                           states=imports.STATE_LABELS, error=error, chosen=kind,
                           limit_mb=tabular.MAX_BYTES // (1024 * 1024), limit_rows=tabular.MAX_ROWS), status


@bp.get("/imports")
@role_required(*MANAGERS)
def imports_page():
    return _index()


@bp.post("/imports")
@csrf.exempt
@role_required(*MANAGERS)
def imports_upload():
    # Files up to the import limit (the app's request limit is smaller); the CSRF check
    # runs here, after the limit is raised, instead of before every request.
    request.max_content_length = tabular.MAX_BYTES + 1024 * 1024
    kind = None
    try:
        csrf.protect()
        kind = request.form.get("kind", "")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed([], detail="Choose a file to import.")
        imp = imports.store_upload(db.session, current_actor(), kind, upload.filename, upload.stream)
    except RequestEntityTooLarge:
        return _index(tabular.too_big_message(), 413, kind)
    except PermissionDenied:
        raise
    except DomainError as exc:
        db.session.rollback()
        return _index(str(exc), 422, kind)
    return redirect(url_for("web.import_page", import_id=imp.id), 303)


def _job_context(job_id: str | None) -> dict:
    if not job_id:
        return {}
    return progress_context(jobs.get_job(db.session, current_actor(), job_id))


@bp.get("/imports/<import_id>")
@role_required(*MANAGERS)
def import_page(import_id: str, error: str | None = None, status: int = 200):
    actor = current_actor()
    imp = imports.get_import(db.session, actor, import_id)
    applied = imp.apply_counts is not None and imp.state in ("applied", "failed")
    phase = imports.APPLY if applied else imports.CHECK
    running = imp.apply_job_id if imp.state == "applying" else imp.check_job_id if imp.state == "checking" else None
    shown = {status_: imports.result_rows(db.session, imp, phase, status_)
             for status_ in (imports.REJECTED, imports.UPDATED, imports.CREATED)}
    counts = (imp.apply_counts if applied else imp.check_counts) or {}
    return render_template("imports/show.html", imp=imp, labels=imports.KIND_LABELS, states=imports.STATE_LABELS,
                           policies=imports.POLICY_LABELS, running=running, shown=shown, counts=counts,
                           applied=applied, error=error, **_job_context(running)), status


@bp.post("/imports/<import_id>/apply")
@role_required(*MANAGERS)
def import_apply(import_id: str):
    try:
        imports.request_apply(db.session, current_actor(), import_id, request.form.get("errorPolicy", ""))
    except ValidationFailed as exc:
        db.session.rollback()
        return import_page(import_id, error=str(exc), status=422)
    return redirect(url_for("web.import_page", import_id=import_id), 303)


@bp.get("/imports/<import_id>/rejected.csv")
@role_required(*MANAGERS)
def import_rejected(import_id: str):
    imp = imports.get_import(db.session, current_actor(), import_id)
    stem = imp.file_name.rsplit(".", 1)[0] or "import"
    return Response(stream_with_context(imports.rejected_file(db.session, imp)), mimetype=MIMETYPES["csv"],
                    headers={"Content-Disposition": content_disposition(f"{stem}-rejected.csv")})


def _file(kind: str, fmt: str, header: list[str], rows, name: str) -> Response:
    if fmt == "csv":
        body = stream_with_context(tabular.write_csv(header, rows))
    else:
        out = tabular.write_xlsx(header, rows, imports.KIND_LABELS[kind])
        body = _chunks(out)
    return Response(body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": content_disposition(name)})


def _chunks(out):
    with out:
        while piece := out.read(256 * 1024):
            yield piece


@bp.get("/imports/template/<kind>.<fmt>")
@role_required(*MANAGERS)
def import_template(kind: str, fmt: str):
    actor = current_actor()
    if kind not in imports.KINDS or fmt not in MIMETYPES:
        abort(404)
    if not imports.can_import(actor, kind):
        raise PermissionDenied("Your role does not allow importing these.")
    from app.db.models import Organization

    header = imports.header_for(db.session.get(Organization, actor.organization_id), kind)
    return _file(kind, fmt, header, [], f"{kind}-template.{fmt}")


@bp.get("/exports/<kind>.<fmt>")
@role_required(*MANAGERS)
def export_file(kind: str, fmt: str):
    if kind not in (imports.PRODUCTS, imports.CUSTOMERS) or fmt not in MIMETYPES:
        abort(404)
    header, rows = imports.export_rows(db.session, current_actor(), kind)
    return _file(kind, fmt, header, rows, f"{kind}.{fmt}")
