"""SQLAlchemy 2.0 models. Every tenant-owned row carries ``organization_id`` and every
lookup index starts with it, so a query scoped to one organization uses the index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import GUID, Money, UTCDateTime, guid
from app.domain.settings import OrgLists

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _org_fk() -> Mapped[str]:
    return mapped_column(GUID, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # The lists the whole product draws on (price tiers, terms, shipping methods,
    # channels, order types), as ``domain.settings.OrgLists`` JSON.
    lists: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Currencies offered besides the default (ISO 4217 codes).
    currencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(20), default="en_US")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The zone the dashboard's per-day summaries are keyed in: ``time_zone`` once the
    # rebuild that follows a change of it has run (app/services/summaries.py).
    summary_time_zone: Mapped[str | None] = mapped_column(
        String(64), default=lambda ctx: ctx.get_current_parameters().get("time_zone") or "UTC")
    order_number_prefix: Mapped[str] = mapped_column(String(20), default="ORD-")
    invoice_number_prefix: Mapped[str] = mapped_column(String(20), default="INV-", server_default="INV-")
    brand_display_name: Mapped[str | None] = mapped_column(String(200))
    brand_logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    brand_logo_mime: Mapped[str | None] = mapped_column(String(50))
    brand_accent_color: Mapped[str | None] = mapped_column(String(7))
    brand_address: Mapped[str | None] = mapped_column(Text)
    reply_to_email: Mapped[str | None] = mapped_column(String(254))
    email_subject_template: Mapped[str | None] = mapped_column(Text)
    email_body_template: Mapped[str | None] = mapped_column(Text)
    # Needs-attention thresholds and approval rules (``domain.settings.ReviewSettings`` JSON).
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        return self.brand_display_name or self.name

    @property
    def settings_lists(self) -> OrgLists:
        return OrgLists.from_json(self.lists)

    @property
    def price_tiers(self) -> list[str]:
        """The price tiers in use (retired ones are left out)."""
        return self.settings_lists.names("priceTier")


class OrderSequence(Base):
    """The last order-number sequence value handed out per organization."""

    __tablename__ = "order_sequences"

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceSequence(Base):
    """The last invoice-number sequence value handed out per organization."""

    __tablename__ = "invoice_sequences"

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class SalesRep(Base):
    __tablename__ = "sales_reps"
    __table_args__ = (UniqueConstraint("organization_id", "rep_number"),)

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    rep_number: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))

    @property
    def full_name(self) -> str | None:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or None


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sales_rep_id: Mapped[str | None] = mapped_column(
        GUID, ForeignKey("sales_reps.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin gives the user a password: they choose their own at next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(lazy="joined")
    sales_rep: Mapped[SalesRep | None] = relationship(lazy="joined")

    # The session-user protocol Flask-Login expects, without importing it here.
    is_authenticated = True
    is_anonymous = False
    # The signed-in session's token (see ``UserSession``), set when the user is loaded
    # for a request; it is what the session and remember-me cookies carry.
    session_token = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token or ""


class UserSession(Base):
    """A signed-in browser session, revocable on the server: the session and remember-me
    cookies carry only ``<organization id>.<random token>``, and this row (keyed by the
    token's SHA-256) decides whether it is still good. Signing out revokes the row, so a
    copied cookie stops working too."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_org_user", "organization_id", "user_id"),)

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"))
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """A failed sign-in, kept for throttling by account and by client address."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "read" tokens may only GET; "write" tokens may also create and change.
    scope: Mapped[str] = mapped_column(String(10), default="write")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))

    organization: Mapped[Organization] = relationship(lazy="joined")


class AuditEvent(Base):
    """An administrative change: who, when, what, and each changed value old → new
    (secrets never)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "organization_id", "at", "id"),)

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("organization_id", "customer_number"),
        Index("ix_customers_org_company", "organization_id", "company_name"),
    )

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    customer_number: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(200))
    company_email: Mapped[str | None] = mapped_column(String(254))
    company_phone: Mapped[str | None] = mapped_column(String(50))
    company_fax: Mapped[str | None] = mapped_column(String(50))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    default_price_tier: Mapped[str | None] = mapped_column(String(50))
    default_terms: Mapped[str | None] = mapped_column(String(50))
    default_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("organization_id", "sku"),
        Index("ix_products_org_name", "organization_id", "name"),
    )

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    minimum_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    quantity_increment: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    prices: Mapped[list[ProductPrice]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin"
    )


class ProductPrice(Base):
    __tablename__ = "product_prices"

    product_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    price_tier: Mapped[str] = mapped_column(String(50), primary_key=True)
    currency_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Money)

    product: Mapped[Product] = relationship(back_populates="prices")


OPEN_ORDERS = "order_status IN ('Pending', 'Processing')"
AWAITING_APPROVAL = "approval_state = 'pending'"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("organization_id", "order_number"),
        UniqueConstraint("organization_id", "external_id"),
        Index("ix_orders_org_created", "organization_id", "created_at", "id"),
        Index("ix_orders_org_updated", "organization_id", "updated_at", "id"),
        Index("ix_orders_org_date", "organization_id", "order_date", "id"),
        Index("ix_orders_org_total", "organization_id", "order_total", "id"),
        Index("ix_orders_org_status", "organization_id", "order_status", "id"),
        Index("ix_orders_org_po", "organization_id", "po_number", "id"),
        Index("ix_orders_org_company", "organization_id", "company_name", "id"),
        Index("ix_orders_org_customer", "organization_id", "customer_number", "id"),
        Index("ix_orders_org_type", "organization_id", "order_type", "created_at"),
        Index("ix_orders_org_channel", "organization_id", "channel", "created_at"),
        Index("ix_orders_org_tier", "organization_id", "price_tier", "created_at"),
        Index("ix_orders_org_currency", "organization_id", "currency_code", "created_at"),
        Index("ix_orders_org_terms", "organization_id", "terms", "created_at"),
        Index("ix_orders_org_primary_rep", "organization_id", "primary_rep_number", "created_at"),
        Index("ix_orders_org_taken_rep", "organization_id", "taken_by_rep_number", "created_at"),
        Index("ix_orders_org_approval", "organization_id", "approval_state", "id"),
        # Period aggregates (dashboard, rep performance) read only this index on PostgreSQL.
        Index("ix_orders_org_date_facts", "organization_id", "order_date",
              postgresql_include=["currency_code", "order_status", "order_total", "channel", "order_type",
                                  "primary_rep_number", "customer_number", "overridden_lines", "approval_state",
                                  "units"]),
        # The needs-attention queue reads each reason from an index of the few orders concerned.
        Index("ix_orders_open", "organization_id", "order_status", "order_date", "id",
              postgresql_where=text(OPEN_ORDERS), sqlite_where=text(OPEN_ORDERS),
              postgresql_include=["below_list_pct", "discount_pct", "po_number", "customer_number",
                                  "shipping_method"]),
        Index("ix_orders_awaiting_approval", "organization_id", "order_date", "id",
              postgresql_where=text(AWAITING_APPROVAL), sqlite_where=text(AWAITING_APPROVAL)),
    )

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    order_number: Mapped[str] = mapped_column(String(50))
    order_date: Mapped[datetime] = mapped_column(UTCDateTime)
    order_status: Mapped[str] = mapped_column(String(20))
    order_type: Mapped[str] = mapped_column(String(50))
    po_number: Mapped[str] = mapped_column(String(100))
    price_tier: Mapped[str] = mapped_column(String(50))
    currency_code: Mapped[str] = mapped_column(String(3))
    terms: Mapped[str | None] = mapped_column(String(50))
    channel: Mapped[str | None] = mapped_column(String(50))
    external_id: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    origination_cart_id: Mapped[str | None] = mapped_column(String(100))

    customer_number: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(200))
    company_email: Mapped[str | None] = mapped_column(String(254))
    company_phone: Mapped[str | None] = mapped_column(String(50))
    company_fax: Mapped[str | None] = mapped_column(String(50))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    primary_rep_number: Mapped[str] = mapped_column(String(64))
    primary_rep_first_name: Mapped[str | None] = mapped_column(String(100))
    primary_rep_last_name: Mapped[str | None] = mapped_column(String(100))
    primary_rep_email: Mapped[str | None] = mapped_column(String(254))
    taken_by_rep_number: Mapped[str | None] = mapped_column(String(64))
    taken_by_rep_first_name: Mapped[str | None] = mapped_column(String(100))
    taken_by_rep_last_name: Mapped[str | None] = mapped_column(String(100))
    taken_by_rep_email: Mapped[str | None] = mapped_column(String(254))

    user_id: Mapped[str | None] = mapped_column(String(100))
    user_type: Mapped[str | None] = mapped_column(String(50))

    shipping_method: Mapped[str | None] = mapped_column(String(100))
    shipping_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    order_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by every write (edit, status change, re-import, invoice issued or voided): an
    # edit made on an older version is refused instead of overwriting what someone else
    # saved meanwhile. The API's ETag.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Approval (services.approvals): None when not needed, else pending/approved/rejected.
    approval_state: Mapped[str | None] = mapped_column(String(20))
    approval_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    approval_decided_by: Mapped[str | None] = mapped_column(String(200))
    approval_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_note: Mapped[str | None] = mapped_column(Text)
    # Fingerprint of lines, prices, discount and total when decided: a change lapses it.
    approval_basis: Mapped[str | None] = mapped_column(String(64))
    # Figures the review rules read, kept by every write of the order's lines.
    overridden_lines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    below_list_pct: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal(0), server_default="0")
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal(0), server_default="0")
    # Σ line quantities, for units per customer without reading the lines.
    units: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    items: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no",
        lazy="selectin",
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "line_no", unique=True),
        Index("ix_order_lines_org_sku", "organization_id", "sku", "order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = _org_fk()
    order_id: Mapped[str] = mapped_column(GUID, ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    product_name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Money)
    discount_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    sub_total: Mapped[Decimal] = mapped_column(Money)
    minimum_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    quantity_increment: Mapped[int] = mapped_column(Integer, default=1)

    order: Mapped[Order] = relationship(back_populates="items")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("organization_id", "invoice_number"),
        Index("ix_invoices_order", "order_id", "invoice_number"),
        Index("uq_invoices_idempotency_key", "organization_id", "idempotency_key", unique=True),
    )

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    order_id: Mapped[str] = mapped_column(GUID, ForeignKey("orders.id", ondelete="CASCADE"))
    invoice_number: Mapped[str] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Money)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set for invoices issued here; invoices that came with imported orders carry only
    # number, amount and date.
    currency_code: Mapped[str | None] = mapped_column(String(3))
    terms: Mapped[str | None] = mapped_column(String(50))
    due_date: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[str | None] = mapped_column(String(200))
    # What the invoice bills, frozen when it was issued (later order edits leave it be).
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str | None] = mapped_column(String(200))
    void_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the issuer may be run again for the same invoice (a resumed bulk job):
    # the second run finds this invoice instead of issuing another.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class OrderEvent(Base):
    """One entry of an order's history: who did what, and which fields changed."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "occurred_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = _org_fk()
    order_id: Mapped[str] = mapped_column(GUID, ForeignKey("orders.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The order's version this change produced (empty for events that change nothing).
    order_version: Mapped[int | None] = mapped_column(Integer)


class OutboxEmail(Base):
    """An email waiting to be delivered, delivered, or failed for good."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_due", "status", "next_attempt_at"),
        Index("ix_outbox_emails_org", "organization_id", "created_at"),
        Index("uq_outbox_emails_idempotency_key", "organization_id", "idempotency_key", unique=True),
        Index("ix_outbox_emails_order", "order_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    organization_id: Mapped[str] = _org_fk()
    order_id: Mapped[str | None] = mapped_column(
        GUID, ForeignKey("orders.id", ondelete="SET NULL")
    )
    recipients: Mapped[list[str]] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    html_body: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # Set while one process delivers the email; another may claim it only after it lapses.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which worker (host:pid) claimed it last: who to look at when a lease is held.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    # Set when the queuer may be run again for the same email (a resumed bulk job):
    # the second run finds this email instead of queueing another.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class RenderedDocument(Base):
    """A rendered confirmation PDF, reused while the order's fingerprint is unchanged."""

    __tablename__ = "rendered_documents"

    order_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderFacetCount(Base):
    """How many of an organization's orders have each value of a list filter (status,
    type, channel, tier, currency, terms, rep), plus the total under facet "". Kept in
    step by every write, so an order list's total count is one row read, not a scan."""

    __tablename__ = "order_facet_counts"

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class OrderDayFigure(Base):
    """Per local day of the organization, currency and facet value ("" for all orders;
    status, channel, primary rep, order type): the dashboard's figures, kept in step by
    every write (app/services/summaries.py)."""

    __tablename__ = "order_day_figures"

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    currency_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    overridden_lines: Mapped[int] = mapped_column(BigInteger, default=0)
    approvals_asked: Mapped[int] = mapped_column(Integer, default=0)


def _cover(table: str, key: str, name: str) -> tuple[Index]:
    # A period's top ten are summed from this index alone (PostgreSQL).
    return (Index(f"ix_{table}_cover", "organization_id", "currency_code", "day",
                  postgresql_include=[key, "orders", "units", "revenue", name]),)


class _DayTotals:
    """Per organization, currency and local day, for one key (customer or SKU): the orders
    not cancelled, their units and revenue, and the key's name as last written."""

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, sort_order=-3
    )
    currency_code: Mapped[str] = mapped_column(String(3), primary_key=True, sort_order=-2)
    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-1)
    orders: Mapped[int] = mapped_column(Integer, default=0, sort_order=1)
    units: Mapped[int] = mapped_column(BigInteger, default=0, sort_order=1)
    revenue: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), sort_order=1)


class OrderDayCustomer(_DayTotals, Base):
    """Per local day, currency and customer: the orders not cancelled, their units and revenue."""

    __tablename__ = "order_day_customers"
    __table_args__ = _cover(__tablename__, "customer_number", "company_name")

    customer_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), sort_order=2)


class OrderDayProduct(_DayTotals, Base):
    """Per local day, currency and SKU, over the lines of orders not cancelled: the
    orders with the SKU, its units and its revenue (line subtotals)."""

    __tablename__ = "order_day_products"
    __table_args__ = _cover(__tablename__, "sku", "product_name")

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_name: Mapped[str] = mapped_column(String(300), sort_order=2)


class Job(Base):
    """A unit of background work (a bulk action, a file import, …) run by a worker.

    Claimed like an outbox email: a worker takes a due row with ``SKIP LOCKED`` and a
    conditional update that sets a lease (``lease_owner``, ``lease_expires_at``); a
    worker that dies lets its lease lapse and another one resumes the job from its
    recorded progress. ``idempotency_key`` is unique per organization, so a repeated
    click or a retried request never enqueues the same work twice. The primary and
    unique keys lead with ``organization_id`` (ready for distribution by it)."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("organization_id", "idempotency_key"),
        Index("ix_jobs_queued", "state", "run_after"),
        Index("ix_jobs_lease", "state", "lease_expires_at"),
        Index("ix_jobs_org_created", "organization_id", "created_at"),
    )

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    kind: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiRateLimit(Base):
    """Requests an API token made in one fixed window (``window_start`` in epoch
    seconds), shared by every process through the database."""

    __tablename__ = "api_rate_limits"
    __table_args__ = (Index("ix_api_rate_limits_window", "window_start"),)

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    token_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer, default=0)


class SavedView(Base):
    """A named orders-list view (search, filters, sort, columns), personal to its owner
    or shared with the organization. Opening it always searches as the person opening
    it, so a shared view never shows a rep more than they may see."""

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("organization_id", "owner_user_id", "name"),
        Index("ix_saved_views_org_shared", "organization_id", "shared"),
    )

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    name: Mapped[str] = mapped_column(String(80))
    # The owner by id (users are never deleted, only deactivated) and by name as shown.
    owner_user_id: Mapped[str] = mapped_column(GUID)
    owner_name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # The list's URL state (q, filters, sort, dir) and the columns shown, in order.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BulkItem(Base):
    """One order of a bulk action job: resolved when the job starts (so a resumed job
    works through the same orders), then its outcome, committed with the order's change."""

    __tablename__ = "bulk_items"
    __table_args__ = (Index("ix_bulk_items_pending", "organization_id", "job_id", "outcome", "seq"),)

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    job_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    order_id: Mapped[str] = mapped_column(GUID)
    order_number: Mapped[str | None] = mapped_column(String(50))
    # None while still to do; then "done", "unchanged" or "refused".
    outcome: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)


class FileImport(Base):
    """A file uploaded to be imported (products, customers or order history): who sent
    it, the dry run's and the apply's counts, and the jobs doing the work. The file's
    bytes are in ``import_chunks``, so any web process or worker host can read them."""

    __tablename__ = "file_imports"
    __table_args__ = (Index("ix_file_imports_org_created", "organization_id", "created_at"),)

    organization_id: Mapped[str] = mapped_column(
        GUID, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(GUID, primary_key=True, default=guid)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default="uploaded")
    error_policy: Mapped[str | None] = mapped_column(String(20))
    check_job_id: Mapped[str | None] = mapped_column(GUID)
    apply_job_id: Mapped[str | None] = mapped_column(GUID)
    check_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    apply_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[str | None] = mapped_column(GUID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportChunk(Base):
    """One piece (up to 1 MiB) of an uploaded file, read back in order and streamed."""

    __tablename__ = "import_chunks"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "import_id"], ["file_imports.organization_id", "file_imports.id"],
                             ondelete="CASCADE"),
    )

    organization_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    import_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRow(Base):
    """What the dry run (``phase`` "check") or the apply found for one row of a file:
    created, updated (with each field's old → new), or rejected (with its errors and
    the row's cells, for the rejected-rows file). Unchanged rows are only counted."""

    __tablename__ = "import_rows"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "import_id"], ["file_imports.organization_id", "file_imports.id"],
                             ondelete="CASCADE"),
    )

    organization_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    import_id: Mapped[str] = mapped_column(GUID, primary_key=True)
    phase: Mapped[str] = mapped_column(String(10), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(10))
    key: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[list[Any] | None] = mapped_column(JSON)
    errors: Mapped[list[Any] | None] = mapped_column(JSON)
    cells: Mapped[dict[str, Any] | None] = mapped_column(JSON)
