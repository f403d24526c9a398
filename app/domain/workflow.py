"""The order status workflow and the edit locks that depend on status."""

from __future__ import annotations

from app.domain.errors import StateLocked

PENDING, PROCESSING, SHIPPED, COMPLETE, CANCELLED = (
    "Pending", "Processing", "Shipped", "Complete", "Cancelled",
)
STATUSES: tuple[str, ...] = (PENDING, PROCESSING, SHIPPED, COMPLETE, CANCELLED)
DEFAULT_STATUS = PENDING

TRANSITIONS: dict[str, tuple[str, ...]] = {
    PENDING: (PROCESSING, CANCELLED),
    PROCESSING: (SHIPPED, CANCELLED),
    SHIPPED: (COMPLETE,),
    COMPLETE: (),
    CANCELLED: (),
}
SHIPPING_EDITABLE = frozenset({PENDING, PROCESSING})


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def check_transition(current: str, target: str) -> None:
    """Pending → Processing → Shipped → Complete; Pending or Processing → Cancelled."""
    if target not in allowed_transitions(current):
        allowed = ", ".join(allowed_transitions(current)) or "none"
        raise StateLocked(
            f"An order in status {current} cannot move to {target}. Allowed next: {allowed}."
        )


def check_shipping_editable(status: str) -> None:
    """Shipping details may change only while the order is Pending or Processing."""
    if status not in SHIPPING_EDITABLE:
        raise StateLocked(
            f"Shipping details cannot be changed once an order is {status}; "
            "they are editable while it is Pending or Processing."
        )


def check_customer_editable(status: str) -> None:
    """Customer details may change unless the order is Cancelled."""
    if status == CANCELLED:
        raise StateLocked("Customer details cannot be changed on a Cancelled order.")
