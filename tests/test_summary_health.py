"""Health monitors from per-item counters: what a summary of a big run reads instead of outputs."""

from __future__ import annotations

from sparring.run._summary import _health, item_health


def test_item_health_counts_distinct_pass_auc_and_length() -> None:
    output = {
        "candidates": [
            {"answer": "4", "correct": True, "score": 5.0},
            {"answer": "5", "correct": False, "score": 2.0},
            {"answer": "4", "correct": True, "score": 4.0},
        ]
    }
    pairs = [{"meta": {"chosen_len": 300, "rejected_len": 200}}]
    counters = item_health(output, "4", pairs)
    assert counters["health/distinct"] == 2 and counters["health/passed"] == 1
    assert counters["health/auc_micro"] == 1_000_000 and counters["health/len_pairs"] == 1
    exploration, exploitation, length = _health(counters)
    assert exploration == {"distinct_answers_per_item": 2.0, "pass_at_k": 1.0}
    assert exploitation["judge_auc"] == 1.0 and length == 1.5


def test_zero_counters_are_absent_and_read_as_zero() -> None:
    # Open-ended candidates: no answer to extract, so no distinct answers and no pass flag.
    counters = item_health({"candidates": [{"answer": None}, {"answer": None}]}, None, [])
    assert "health/distinct" not in counters and counters["health/candidate_items"] == 1
    exploration, exploitation, length = _health(counters)
    assert exploration == {"distinct_answers_per_item": 0.0}
    assert exploitation == {} and length is None


def test_a_single_candidate_adds_no_exploration_or_ranking_monitor() -> None:
    one = item_health({"candidates": [{"answer": "4", "correct": True, "score": 0.9}]}, "4", [])
    assert not any(k.startswith(("health/distinct", "health/pass", "health/auc")) for k in one)
    assert one.get("health/candidate_items") is None
    two = item_health(
        {"candidates": [{"answer": "4", "correct": True}, {"answer": "5", "correct": False}]},
        "4",
        [],
    )
    assert two["health/distinct"] == 2 and two["health/passed"] == 1
