"""Item statistics: p-value, point-biserial against the rest score, and review flags on crafted data."""

from __future__ import annotations

import random
import statistics as reference
import time

import pytest

from rolecall.assessments.statistics import (
    MIN_RESPONSES,
    ItemStats,
    item_share,
    item_stats,
    stats_by_item,
)

# 400 sessions of 10 items: item i is right when the taker's ability beats a threshold, plus noise.
# Item "good" follows ability; "reversed" is right exactly for the weaker half (a wrong answer key
# looks like this); "easy" everyone gets; "hard" nearly nobody; "coin" ignores ability.


def _sessions(count: int = 400, seed: int = 5) -> list[dict[str, float]]:
    rng = random.Random(seed)
    sessions = []
    for _ in range(count):
        ability = rng.gauss(0, 1)
        credits = {f"filler-{i}": float(ability + rng.gauss(0, 0.8) > (i - 4) / 3) for i in range(6)}
        credits["good"] = float(ability + rng.gauss(0, 0.5) > 0)
        credits["reversed"] = float(ability + rng.gauss(0, 0.5) < 0)
        credits["easy"] = 1.0
        credits["hard"] = float(rng.random() < 0.03)
        credits["coin"] = float(rng.random() < 0.5)
        sessions.append(credits)
    return sessions


def _records(sessions: list[dict[str, float]], item: str) -> list[tuple[float, float]]:
    return [(s[item], sum(s.values())) for s in sessions]


SESSIONS = _sessions()


def test_a_good_item_discriminates_positively_and_is_not_flagged() -> None:
    stats = item_stats(_records(SESSIONS, "good"))
    assert stats.responses == 400
    assert stats.p_value is not None
    assert 0.4 < stats.p_value < 0.6
    assert stats.discrimination is not None
    assert stats.discrimination > 0.4
    assert stats.flags == ()
    assert not stats.flagged
    assert stats.note is None


def test_a_reversed_item_is_flagged_for_negative_discrimination() -> None:
    stats = item_stats(_records(SESSIONS, "reversed"))
    assert stats.discrimination is not None
    assert stats.discrimination < -0.3
    assert stats.flagged
    assert stats.flags[0].startswith("negative discrimination")


def test_an_item_unrelated_to_ability_is_flagged_for_low_discrimination() -> None:
    stats = item_stats(_records(SESSIONS, "coin"))
    assert stats.discrimination is not None
    assert abs(stats.discrimination) < 0.15
    assert any(f.startswith(("low discrimination", "negative discrimination")) for f in stats.flags)


def test_an_item_everyone_gets_right_is_too_easy_and_cannot_discriminate() -> None:
    stats = item_stats(_records(SESSIONS, "easy"))
    assert stats.p_value == 1.0
    assert stats.discrimination is None
    assert stats.flags == (
        "too easy: mean credit 1.00 is above 0.95",
        "no discrimination: every answer earned the same credit",
    )


def test_an_item_almost_nobody_gets_right_is_too_hard() -> None:
    stats = item_stats(_records(SESSIONS, "hard"))
    assert stats.p_value is not None
    assert stats.p_value < 0.10
    assert stats.flags[0].startswith("too hard: mean credit 0.0")


def test_discrimination_is_the_correlation_with_the_rest_score() -> None:
    records = _records(SESSIONS, "good")
    expected = reference.correlation([c for c, _ in records], [t - c for c, t in records])
    stats = item_stats(records)
    assert stats.discrimination == pytest.approx(expected, abs=1e-9)
    assert stats.p_value == pytest.approx(reference.fmean(c for c, _ in records))


def test_the_rest_score_leaves_out_only_the_items_share_of_the_total() -> None:
    # The total as a 0-1 mean of ten items: each item moves it by a tenth of its credit.
    records = [(s["good"], sum(s.values()) / 10, 0.1) for s in SESSIONS]
    expected = reference.correlation([r[0] for r in records], [r[1] - r[0] / 10 for r in records])
    assert item_stats(records).discrimination == pytest.approx(expected, abs=1e-9)
    # Subtracting the whole credit from a mean would make a good item look reversed.
    naive = item_stats([(c, t) for c, t, _ in records])
    assert naive.discrimination is not None
    assert naive.discrimination < 0


def test_partial_credit_is_correlated_as_it_is() -> None:
    records = [(0.25 * (i % 5), float(i % 5) + 0.3 * (i % 3)) for i in range(60)]
    expected = reference.correlation([c for c, _ in records], [t - c for c, t in records])
    assert item_stats(records).discrimination == pytest.approx(expected, abs=1e-9)


def test_below_twenty_responses_nothing_is_flagged() -> None:
    records = _records(SESSIONS, "reversed")[: MIN_RESPONSES - 1]
    stats = item_stats(records)
    assert stats.responses == 19
    assert stats.discrimination is not None
    assert stats.discrimination < 0
    assert stats.flags == ()
    assert stats.note == "not enough responses (19 of 20)"
    assert item_stats(_records(SESSIONS, "reversed")[:MIN_RESPONSES]).flagged


def test_no_responses() -> None:
    assert item_stats([]) == ItemStats(0, None, None, (), "not enough responses (0 of 20)")


def test_as_dict_rounds_for_display() -> None:
    shown = item_stats(_records(SESSIONS, "good")).as_dict()
    assert set(shown) == {"responses", "p_value", "discrimination", "flagged", "flags", "note"}
    assert shown["p_value"] == round(shown["p_value"], 3)


def test_many_items_in_one_pass_match_one_at_a_time() -> None:
    rows = [(item, (credit, sum(s.values()))) for s in SESSIONS for item, credit in s.items()]
    by_item = stats_by_item(rows)
    assert set(by_item) == set(SESSIONS[0])
    for item in ("good", "reversed", "easy"):
        assert by_item[item] == item_stats(_records(SESSIONS, item))


def test_two_hundred_thousand_rows_take_well_under_a_few_seconds() -> None:
    rng = random.Random(1)
    rows = [(i % 50, (float(rng.random() < 0.6), rng.random() * 20)) for i in range(200_000)]
    started = time.perf_counter()
    result = stats_by_item(rows)
    assert time.perf_counter() - started < 3.0
    assert sum(s.responses for s in result.values()) == 200_000


def test_item_share_of_a_weighted_mean_total() -> None:
    skills = [
        {"skill_id": "sql", "weight": 6.0, "items": 4},
        {"skill_id": "rest", "weight": 3.0, "items": 3},
    ]
    assert item_share(skills, "sql") == pytest.approx(6 / 9 / 4)
    assert item_share(skills, "rest") == pytest.approx(3 / 9 / 3)
    assert item_share(skills, "redis") == 0.0
