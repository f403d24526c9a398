"""Applying an import: "all or nothing" is one unit for the whole file, across its
batches; an apply interrupted mid-way and run again applies nothing twice."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.db.models import AuditEvent, FileImport, Organization, Product, ProductPrice
from app.services import imports

HEADER = "sku,name,minimumOrderQuantity,quantityIncrement,active,price Wholesale USD,price Wholesale EUR"
ROWS = [f"A-{i},Article {i},1,1,true,{i}.50," for i in range(1, 6)]


class Crash(Exception):
    """The worker stops (a kill, a lost connection) between two batches."""


@pytest.fixture()
def small_batches(monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)


@pytest.fixture()
def euro(db_session, org):
    current = db_session.get(Organization, org.id)
    current.currencies = ["EUR"]
    db_session.commit()
    return current


def checked(session, actor, rows: list[str]) -> FileImport:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    imp = imports.store_upload(session, actor, "products", "products.csv", io.BytesIO(data))
    imports.run_phase(session, actor, imp, imports.CHECK, progress=lambda d, t: session.commit())
    imp = session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    imp.state = "checked"
    session.commit()
    return imp


def products(session) -> int:
    return session.scalar(select(func.count()).select_from(Product))


def test_all_or_nothing_rolls_back_earlier_batches_when_a_later_one_fails(db_session, actor, euro,
                                                                          small_batches):
    # The last row passes the dry run, then EUR is dropped from the organization's
    # currencies before the apply: it fails in the third batch of two rows.
    imp = checked(db_session, actor, [*ROWS[:4], "A-5,Article 5,1,1,true,5.50,4.90"])
    assert imp.check_counts["created"] == 5 and imp.check_counts["rejected"] == 0
    euro.currencies = []
    db_session.commit()
    commits, notes = [], []

    def progress(done, total):
        commits.append(done)
        db_session.commit()

    with pytest.raises(imports.ApplyStopped, match="row 6: price Wholesale EUR: must be one of"):
        imports.run_phase(db_session, actor, imp, imports.APPLY, progress=progress, policy="rejectAll",
                          note=lambda done, total: notes.append(done))
    db_session.rollback()
    assert products(db_session) == 0  # the first two batches were rolled back with the third
    assert db_session.scalar(select(func.count()).select_from(ProductPrice)) == 0
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "product.created")) == 0
    assert commits == [0] and notes == [2, 4]  # only the start committed; batches were shown, not committed

    euro.currencies = ["EUR"]
    db_session.commit()
    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    counts = imports.run_phase(db_session, actor, imp, imports.APPLY, progress=progress, policy="rejectAll")
    assert {k: counts[k] for k in imports.STATUSES} == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert products(db_session) == 5
    assert db_session.scalar(select(func.count()).select_from(ProductPrice)) == 6


def test_all_or_nothing_interrupted_mid_file_starts_again_from_the_first_row(db_session, actor, small_batches):
    imp = checked(db_session, actor, ROWS)

    def crash_on_second_batch(done, total):
        if done == 4:
            raise Crash

    with pytest.raises(Crash):
        imports.run_phase(db_session, actor, imp, imports.APPLY, progress=lambda d, t: db_session.commit(),
                          policy="rejectAll", note=crash_on_second_batch)
    db_session.rollback()
    assert products(db_session) == 0
    # The job's recorded progress (shown, never committed with the work) says 4 rows:
    # the next attempt still starts from the first row.
    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    counts = imports.run_phase(db_session, actor, imp, imports.APPLY, done=4,
                               progress=lambda d, t: db_session.commit(), policy="rejectAll")
    assert {k: counts[k] for k in imports.STATUSES} == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert products(db_session) == 5


def test_an_apply_resumed_after_a_crash_applies_each_batch_once(db_session, actor, small_batches):
    """Import the good rows: a batch's writes commit with its progress, so a crash before
    that commit loses the batch's writes too, and the resumed job (from the last
    progress committed) counts every row once: five created, none unchanged."""
    imp = checked(db_session, actor, [*ROWS, "B-1,,1,1,true,1,"])
    committed = []

    def progress(done, total):
        if done == 4:
            raise Crash  # the second batch was written, not yet committed
        db_session.commit()
        committed.append(done)

    with pytest.raises(Crash):
        imports.run_phase(db_session, actor, imp, imports.APPLY, progress=progress)
    db_session.rollback()
    assert committed == [0, 2]
    assert sorted(db_session.scalars(select(Product.sku))) == ["A-1", "A-2"]

    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    counts = imports.run_phase(db_session, actor, imp, imports.APPLY, done=committed[-1],
                               progress=lambda d, t: db_session.commit())
    assert {k: counts[k] for k in imports.STATUSES} == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 1}
    assert products(db_session) == 5
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "product.created")) == 5
    rows = {r.row_number for r in imports.result_rows(db_session, imp, imports.APPLY, "created")}
    assert rows == {2, 3, 4, 5, 6}


def test_all_or_nothing_on_the_worker_writes_nothing_and_says_so(db_session, org, euro, small_batches):
    from app.db.models import Job
    from app.extensions import db
    from app.services import jobs
    from app.services.context import Actor
    from tests.web.helpers import make_user

    user = make_user(db_session, org, "admin", "ada@acme.example")
    admin = Actor(organization_id=org.id, name=user.display_name, role="admin", user_id=user.id)
    data = ("\n".join([HEADER, *ROWS[:4], "A-5,Article 5,1,1,true,5.50,4.90"]) + "\n").encode()

    def upload_and_check() -> FileImport:
        imp = imports.store_upload(db_session, admin, "products", "products.csv", io.BytesIO(data))
        assert jobs.run_claimed(db_session, db.engine, jobs.claim_next(db_session, "test")) == "succeeded"
        return db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)

    imp = upload_and_check()
    assert imp.state == "checked" and imp.check_counts["created"] == 5
    euro.currencies = []
    db_session.commit()
    imports.request_apply(db_session, admin, imp.id, "rejectAll")
    assert jobs.run_claimed(db_session, db.engine, jobs.claim_next(db_session, "test")) == "succeeded"
    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    assert imp.state == "failed" and "Nothing was imported" in imp.error and "row 6" in imp.error
    assert imp.apply_counts is None and imp.check_counts["created"] == 5
    assert products(db_session) == 0
    job = db_session.get(Job, (imp.organization_id, imp.apply_job_id), populate_existing=True)
    # PostgreSQL showed the batches' progress while the transaction was open; SQLite's
    # single writer could not, so its bar stayed at the start.
    assert job.progress_done == (4 if db.engine.dialect.name == "postgresql" else 0)

    euro.currencies = ["EUR"]
    db_session.commit()
    imp = upload_and_check()
    imports.request_apply(db_session, admin, imp.id, "rejectAll")
    assert jobs.run_claimed(db_session, db.engine, jobs.claim_next(db_session, "test")) == "succeeded"
    imp = db_session.get(FileImport, (imp.organization_id, imp.id), populate_existing=True)
    assert imp.state == "applied" and imp.apply_counts["created"] == 5 and products(db_session) == 5
    job = db_session.get(Job, (imp.organization_id, imp.apply_job_id), populate_existing=True)
    assert (job.progress_done, job.progress_total) == (5, 5)
