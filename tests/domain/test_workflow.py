import pytest

from app.domain import workflow
from app.domain.errors import StateLocked


@pytest.mark.parametrize(("current", "target"), [
    ("Pending", "Processing"), ("Processing", "Shipped"), ("Shipped", "Complete"),
    ("Pending", "Cancelled"), ("Processing", "Cancelled"),
])
def test_allowed_transitions(current, target):
    workflow.check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("Pending", "Shipped"), ("Shipped", "Cancelled"), ("Complete", "Pending"),
    ("Cancelled", "Pending"), ("Processing", "Pending"),
])
def test_refused_transitions_say_why(current, target):
    with pytest.raises(StateLocked) as info:
        workflow.check_transition(current, target)
    assert current in info.value.detail and target in info.value.detail


def test_shipping_locks_after_processing_and_customer_locks_when_cancelled():
    for status in ("Pending", "Processing"):
        workflow.check_shipping_editable(status)
    for status in ("Shipped", "Complete", "Cancelled"):
        with pytest.raises(StateLocked):
            workflow.check_shipping_editable(status)
    for status in ("Pending", "Processing", "Shipped", "Complete"):
        workflow.check_customer_editable(status)
    with pytest.raises(StateLocked):
        workflow.check_customer_editable("Cancelled")
