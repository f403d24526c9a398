"""Replays the recorded characterization corpus (``tests/api/shape_corpus.py``): every
request still gets exactly the status, error paths and messages — and for the valid ones
the order JSON — it got when the corpus was recorded."""

from __future__ import annotations

from tests.api import shape_corpus


def test_every_recorded_request_gets_the_recorded_response(client, auth):
    corpus = shape_corpus.load()
    assert len(corpus) > 2500
    differences = []
    for case, outcome in shape_corpus.run(client, auth, corpus):
        if outcome != case["expected"]:
            differences.append((case["method"], case["path"], case["body"], case["expected"], outcome))
    assert not differences, f"{len(differences)} responses differ; the first: {differences[0]}"
