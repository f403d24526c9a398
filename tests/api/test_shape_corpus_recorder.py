"""The corpus recorder's document editing (``tests.api.shape_corpus.with_value``)."""

from __future__ import annotations

import pytest

from tests.api.shape_corpus import with_value


def test_a_path_through_a_list_or_a_scalar_is_refused_as_a_type_error():
    # The generator replaces fields by arbitrary values, then edits paths inside them;
    # such an edit is skipped (TypeError), not a crash of the recorder.
    with pytest.raises(TypeError):
        with_value({"customer": [1, 2]}, "customer.billingAddress.city", "x")
    with pytest.raises(TypeError):
        with_value({"items": [7]}, "items[0].price.amount", "x")


def test_a_path_is_set_and_missing_parents_are_made():
    doc = {"items": [{"sku": "A"}], "customer": "text"}
    assert with_value(doc, "items[0].sku", "B") == {"items": [{"sku": "B"}], "customer": "text"}
    assert with_value(doc, "customer.companyName", "Co")["customer"] == {"companyName": "Co"}
    assert with_value(doc, "items[0].sku", None, delete=True)["items"] == [{}]
    assert doc == {"items": [{"sku": "A"}], "customer": "text"}
