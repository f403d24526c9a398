"""Order numbers: prefix + zero-padded per-organization sequence, never reusing a
number that already exists (for example one an import supplied)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Order, OrderSequence, Organization

PAD = 5


def format_order_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{PAD}d}"


def reserve_order_numbers(
    session: Session, org: Organization, count: int, also_taken: Iterable[str] = ()
) -> list[str]:
    """Reserve ``count`` fresh numbers. The counter row is updated atomically (a row
    lock on PostgreSQL until commit), so concurrent creators never get the same value;
    values whose number already exists are skipped."""
    taken_here = set(also_taken)
    numbers: list[str] = []
    while len(numbers) < count:
        need = count - len(numbers)
        last = session.execute(
            update(OrderSequence)
            .where(OrderSequence.organization_id == org.id)
            .values(last_value=OrderSequence.last_value + need)
            .returning(OrderSequence.last_value)
        ).scalar_one_or_none()
        if last is None:
            session.add(OrderSequence(organization_id=org.id, last_value=0))
            session.flush()
            continue
        candidates = [format_order_number(org.order_number_prefix, v) for v in range(last - need + 1, last + 1)]
        existing = set(session.scalars(
            select(Order.order_number).where(
                Order.organization_id == org.id, Order.order_number.in_(candidates)
            )
        ))
        numbers.extend(n for n in candidates if n not in existing and n not in taken_here)
    return numbers
