"""The organization's lists that the whole product draws on: price tiers, payment terms
(with their days), shipping methods, channels and order types.

An entry is never deleted once something may use it: it is retired, so it leaves the
choice lists (builder, forms) but stays valid on old orders and in filters, and can be
restored. Names are unique within a list, compared without case. Plain values, no
database: the service layer loads and stores them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from app.domain.errors import FieldError, ValidationFailed

KINDS: dict[str, str] = {
    "priceTier": "Price tiers",
    "terms": "Payment terms",
    "shippingMethod": "Shipping methods",
    "channel": "Channels",
    "orderType": "Order types",
}
SINGULAR = {"priceTier": "price tier", "terms": "payment term", "shippingMethod": "shipping method",
            "channel": "channel", "orderType": "order type"}
# As long as the order columns that carry them.
MAX_NAME = {"priceTier": 50, "terms": 50, "shippingMethod": 100, "channel": 50, "orderType": 50}
MAX_ENTRIES = 200
MAX_TERM_DAYS = 365

DEFAULTS: dict[str, list[dict[str, Any]]] = {
    "priceTier": [{"name": "Wholesale"}, {"name": "Retail"}],
    "terms": [{"name": "Net30", "days": 30}, {"name": "Net60", "days": 60}, {"name": "COD", "days": 0},
              {"name": "Prepaid", "days": 0}, {"name": "Due on receipt", "days": 0}],
    "shippingMethod": [{"name": n} for n in ("FedEx Ground", "UPS Ground", "UPS 2nd Day Air", "Freight",
                                             "Customer pickup")],
    "channel": [{"name": n} for n in ("Phone", "Email", "Web", "EDI", "In person")],
    "orderType": [{"name": n} for n in ("Direct", "Web", "EDI")],
}


@dataclass(frozen=True)
class Entry:
    name: str
    days: int | None = None
    retired: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.days is not None:
            out["days"] = self.days
        if self.retired:
            out["retired"] = True
        return out


@dataclass(frozen=True)
class OrgLists:
    """Every list of one organization, in the order an admin arranged them."""

    entries: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None, *, tiers: Iterable[str] | None = None) -> OrgLists:
        """From the stored JSON; a kind missing there takes the defaults (tiers given
        explicitly win, as when an organization is created with its own)."""
        raw = raw or {}
        out: dict[str, tuple[Entry, ...]] = {}
        for kind in KINDS:
            items = raw.get(kind)
            if items is None:
                items = [{"name": t} for t in tiers] if kind == "priceTier" and tiers is not None else DEFAULTS[kind]
            out[kind] = tuple(Entry(str(i["name"]), i.get("days"), bool(i.get("retired"))) for i in items)
        return cls(out)

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: [e.as_dict() for e in self.entries.get(kind, ())] for kind in KINDS}

    def all(self, kind: str) -> tuple[Entry, ...]:
        return self.entries.get(kind, ())

    def names(self, kind: str, *, include_retired: bool = False) -> list[str]:
        """The names offered for new work (active ones), or every name ever in the list."""
        return [e.name for e in self.all(kind) if include_retired or not e.retired]

    def find(self, kind: str, name: str) -> Entry | None:
        key = name.strip().casefold()
        return next((e for e in self.all(kind) if e.name.casefold() == key), None)

    def term_days(self, name: str | None) -> int | None:
        entry = self.find("terms", name) if name else None
        return entry.days if entry is not None else None

    # ------------------------------------------------------------------ changes

    def _with(self, kind: str, entries: tuple[Entry, ...]) -> OrgLists:
        return OrgLists({**self.entries, kind: entries})

    def add(self, kind: str, name: str, days: Any = None) -> OrgLists:
        name = _checked_name(kind, name)
        if self.find(kind, name) is not None:
            raise ValidationFailed([FieldError("name", f"{name!r} is already in the {SINGULAR[kind]} list"
                                                       " (restore it if it was retired)")])
        if len(self.all(kind)) >= MAX_ENTRIES:
            raise ValidationFailed([FieldError("name", f"a list holds at most {MAX_ENTRIES} entries")])
        return self._with(kind, (*self.all(kind), Entry(name, _checked_days(kind, days))))

    def rename(self, kind: str, old: str, new: str, days: Any = None) -> OrgLists:
        entry = self._existing(kind, old)
        new = _checked_name(kind, new)
        clash = self.find(kind, new)
        if clash is not None and clash is not entry:
            raise ValidationFailed([FieldError("name", f"{new!r} is already in the {SINGULAR[kind]} list")])
        changed = replace(entry, name=new, days=_checked_days(kind, days if days is not None else entry.days))
        return self._with(kind, tuple(changed if e is entry else e for e in self.all(kind)))

    def set_retired(self, kind: str, name: str, retired: bool) -> OrgLists:
        entry = self._existing(kind, name)
        if retired and not entry.retired and len(self.names(kind)) == 1 and kind in ("priceTier", "orderType"):
            raise ValidationFailed([FieldError("name", f"at least one {SINGULAR[kind]} must stay in use")])
        return self._with(kind, tuple(replace(e, retired=retired) if e is entry else e for e in self.all(kind)))

    def remove(self, kind: str, name: str) -> OrgLists:
        """Only for an entry nothing uses (the service checks); otherwise retire it."""
        entry = self._existing(kind, name)
        if not entry.retired and len(self.names(kind)) == 1 and kind in ("priceTier", "orderType"):
            raise ValidationFailed([FieldError("name", f"at least one {SINGULAR[kind]} must stay in use")])
        return self._with(kind, tuple(e for e in self.all(kind) if e is not entry))

    def move(self, kind: str, name: str, offset: int) -> OrgLists:
        entry = self._existing(kind, name)
        items = list(self.all(kind))
        i = items.index(entry)
        j = max(0, min(len(items) - 1, i + offset))
        items.insert(j, items.pop(i))
        return self._with(kind, tuple(items))

    def _existing(self, kind: str, name: str) -> Entry:
        if kind not in KINDS:
            raise ValidationFailed([FieldError("kind", f"must be one of {', '.join(KINDS)}")])
        entry = self.find(kind, name or "")
        if entry is None:
            raise ValidationFailed([FieldError("name", f"there is no {SINGULAR[kind]} {name!r}")])
        return entry


def _checked_name(kind: str, name: Any) -> str:
    if kind not in KINDS:
        raise ValidationFailed([FieldError("kind", f"must be one of {', '.join(KINDS)}")])
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailed([FieldError("name", "is required")])
    if len(text) > MAX_NAME[kind]:
        raise ValidationFailed([FieldError("name", f"must be at most {MAX_NAME[kind]} characters")])
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationFailed([FieldError("name", "must not contain control characters")])
    return text


def _checked_days(kind: str, days: Any) -> int | None:
    if kind != "terms":
        return None
    if days is None or (isinstance(days, str) and not days.strip()):
        raise ValidationFailed([FieldError("days", "is required for payment terms (0 for due at once)")])
    try:
        value = int(str(days).strip())
    except ValueError:
        raise ValidationFailed([FieldError("days", "must be a whole number of days")]) from None
    if not 0 <= value <= MAX_TERM_DAYS:
        raise ValidationFailed([FieldError("days", f"must be between 0 and {MAX_TERM_DAYS}")])
    return value


# --------------------------------------------------------------------------- review rules

REVIEW_DEFAULTS = {"pendingDays": 3, "belowListPercent": "10", "discountPercent": "15"}
MAX_PENDING_DAYS = 365


@dataclass(frozen=True)
class ReviewSettings:
    """What puts an order in the managers' needs-attention queue, and which orders need a
    manager's approval before they may move to Processing (or be emailed as confirmed,
    unless ``approval_allows_email``). An approval rule left empty does not apply."""

    pending_days: int = 3
    below_list_percent: Decimal = Decimal(10)
    discount_percent: Decimal = Decimal(15)
    approval_totals: dict[str, Decimal] = field(default_factory=dict)
    approval_discount_percent: Decimal | None = None
    approval_below_list_percent: Decimal | None = None
    approval_allows_email: bool = False

    @property
    def approvals_on(self) -> bool:
        return bool(self.approval_totals) or self.approval_discount_percent is not None \
            or self.approval_below_list_percent is not None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ReviewSettings:
        data = data or {}

        def dec(key: str) -> Decimal | None:
            value = data.get(key)
            return None if value in (None, "") else Decimal(str(value))

        return cls(
            pending_days=int(data.get("pendingDays", REVIEW_DEFAULTS["pendingDays"])),
            below_list_percent=dec("belowListPercent") if data.get("belowListPercent") is not None
            else Decimal(REVIEW_DEFAULTS["belowListPercent"]),
            discount_percent=dec("discountPercent") if data.get("discountPercent") is not None
            else Decimal(REVIEW_DEFAULTS["discountPercent"]),
            approval_totals={k: Decimal(str(v)) for k, v in (data.get("approvalTotals") or {}).items()},
            approval_discount_percent=dec("approvalDiscountPercent"),
            approval_below_list_percent=dec("approvalBelowListPercent"),
            approval_allows_email=bool(data.get("approvalAllowsEmail", False)),
        )

    def to_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value.normalize(), "f")

        return {
            "pendingDays": self.pending_days, "belowListPercent": text(self.below_list_percent),
            "discountPercent": text(self.discount_percent),
            "approvalTotals": {k: text(v) for k, v in sorted(self.approval_totals.items())},
            "approvalDiscountPercent": text(self.approval_discount_percent),
            "approvalBelowListPercent": text(self.approval_below_list_percent),
            "approvalAllowsEmail": self.approval_allows_email,
        }


def parse_percent(value: Any, field_name: str, errors: list[FieldError], *, optional: bool) -> Decimal | None:
    """A percentage from 0 to 100 with at most two decimals; empty means "no rule" when optional."""
    text = str(value or "").strip().rstrip("%").strip()
    if not text:
        if optional:
            return None
        errors.append(FieldError(field_name, "is required: a percentage from 0 to 100"))
        return None
    try:
        number = Decimal(text)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 100 or number != round(number, 2):
        errors.append(FieldError(field_name, "must be a percentage from 0 to 100 with at most 2 decimals"))
        return None
    return number
