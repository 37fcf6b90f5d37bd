"""Answers kept per run and image: the least recently used go first, a deleted run's all go."""

from __future__ import annotations

from app.predictions.answers import Answers


def test_the_least_recently_used_answer_is_dropped_first():
    kept = Answers(2)
    kept.put(("activations", 1, "a"), {"n": 1})
    kept.put(("activations", 1, "b"), {"n": 2})
    assert kept.get(("activations", 1, "a")) == {"n": 1}  # now the most recent
    kept.put(("saliency", 1, "c"), {"n": 3})
    assert kept.get(("activations", 1, "b")) is None
    assert kept.get(("activations", 1, "a")) == {"n": 1}


def test_a_deleted_runs_answers_are_forgotten_and_size_0_keeps_none():
    kept = Answers(8)
    kept.put(("activations", 1, "a"), {})
    kept.put(("activations", 2, "a"), {})
    kept.forget(1)
    assert kept.get(("activations", 1, "a")) is None and kept.get(("activations", 2, "a")) == {}
    none = Answers(0)
    none.put(("filters", 1), {})
    assert none.get(("filters", 1)) is None
