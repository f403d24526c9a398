"""Replays the recorded characterization corpus (``tests/api/shape_corpus.py``): every
request still gets exactly the status, error paths and messages — and for the valid ones
the order JSON — it got when the corpus was recorded.

Fields added to the order JSON since the recording, additively as the seed allows
(``approval``), are left out of the comparison where the recording has none."""

from __future__ import annotations

from typing import Any

from tests.api import shape_corpus

ADDED_SINCE_RECORDING = frozenset({"approval"})


def _without_added(outcome: Any, expected: Any) -> Any:
    if isinstance(outcome, dict) and isinstance(expected, dict):
        return {key: _without_added(value, expected.get(key)) for key, value in outcome.items()
                if key in expected or key not in ADDED_SINCE_RECORDING}
    if isinstance(outcome, list) and isinstance(expected, list) and len(outcome) == len(expected):
        return [_without_added(a, b) for a, b in zip(outcome, expected, strict=True)]
    return outcome


def test_every_recorded_request_gets_the_recorded_response(client, auth):
    corpus = shape_corpus.load()
    assert len(corpus) > 2500
    differences = []
    for case, outcome in shape_corpus.run(client, auth, corpus):
        if _without_added(outcome, case["expected"]) != case["expected"]:
            differences.append((case["method"], case["path"], case["body"], case["expected"], outcome))
    assert not differences, f"{len(differences)} responses differ; the first: {differences[0]}"
