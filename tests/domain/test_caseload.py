"""Weighted caseload, capacity and RAG rating, and the practice rules that set them.

DOMAIN.md, "Caseload weight and capacity": capacity 18 points per FTE (ASYE 14, student 5,
team manager 0); weights referral 0.5, assessment 1.0, CIN 1.0, CP 1.5, CLA 1.0, care leaver 0.5,
court proceedings +1.0; green below 85% of capacity, amber to 100%, red above.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.caseload import (
    Caseload,
    Rag,
    capacity,
    caseload_of,
    load_percent,
    rag,
    weighted_load,
)
from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.practice import (
    DEFAULT_ROLE_CAPACITY,
    DEFAULT_RULES,
    DEFAULT_WEIGHTS,
    PracticeRules,
)

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, database=None)

RAG_ORDER = {Rag.GREEN: 0, Rag.AMBER: 1, Rag.RED: 2}

cases_strategy = st.lists(st.tuples(st.sampled_from(Category), st.booleans()), max_size=25)
loads = st.decimals(min_value=0, max_value=60, places=2)
ftes = st.decimals(min_value=0, max_value=1, places=2)


def _cases(*spec: tuple[Category, int]) -> list[tuple[Category, bool]]:
    return [(category, False) for category, count in spec for _ in range(count)]


# --- practice rules ------------------------------------------------------------------------------


def test_default_weights_are_the_domain_defaults() -> None:
    assert dict(DEFAULT_WEIGHTS) == {
        Category.REFERRAL: Decimal("0.5"),
        Category.ASSESSMENT: Decimal("1.0"),
        Category.CIN: Decimal("1.0"),
        Category.CP: Decimal("1.5"),
        Category.CLA: Decimal("1.0"),
        Category.CARE_LEAVER: Decimal("0.5"),
    }


def test_every_category_has_a_default_weight_held_as_decimal() -> None:
    for category in Category:
        assert isinstance(DEFAULT_RULES.weight_of(category), Decimal)


def test_default_rules_hold_the_domain_settings() -> None:
    assert DEFAULT_RULES.court_weight == Decimal("1.0")
    assert DEFAULT_RULES.capacity_per_fte == Decimal("18")
    assert DEFAULT_RULES.amber_from_percent == Decimal("85")
    assert DEFAULT_RULES.red_above_percent == Decimal("100")
    assert DEFAULT_RULES.cp_visit_working_days == 10
    assert DEFAULT_RULES.cin_visit_working_days == 20
    assert DEFAULT_RULES.escalation_days == 14
    assert DEFAULT_RULES.assessment_working_days == 45


def test_court_proceedings_add_one_point_to_a_case() -> None:
    assert DEFAULT_RULES.weight_of(Category.CP, court=True) == Decimal("2.5")
    assert DEFAULT_RULES.weight_of(Category.CLA, court=True) == Decimal("2.0")
    assert DEFAULT_RULES.weight_of(Category.CP) == Decimal("1.5")


@pytest.mark.parametrize(
    ("role", "points"),
    [
        (Role.SOCIAL_WORKER, Decimal("18")),
        (Role.SENIOR_PRACTITIONER, Decimal("18")),
        (Role.ADVANCED_PRACTITIONER, Decimal("18")),
        (Role.FAMILY_SUPPORT_WORKER, Decimal("18")),
        (Role.ASYE, Decimal("14")),
        (Role.STUDENT, Decimal("5")),
        (Role.TEAM_MANAGER, Decimal("0")),
        (Role.SERVICE_MANAGER, Decimal("0")),
    ],
)
def test_full_time_capacity_depends_on_the_role(role: Role, points: Decimal) -> None:
    assert DEFAULT_RULES.capacity_at_full_time(role) == points


def test_practice_rules_cannot_be_changed_in_place() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.capacity_per_fte = Decimal("20")  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_WEIGHTS[Category.CP] = Decimal("9")  # type: ignore[index]
    with pytest.raises(TypeError):
        DEFAULT_ROLE_CAPACITY[Role.ASYE] = Decimal("18")  # type: ignore[index]


def test_practice_rules_can_be_used_as_a_cache_key() -> None:
    assert hash(PracticeRules()) == hash(DEFAULT_RULES)
    assert PracticeRules() == DEFAULT_RULES


# --- weighted load -------------------------------------------------------------------------------


def test_three_cp_and_two_referrals_weigh_exactly_five_and_a_half() -> None:
    load = weighted_load(_cases((Category.CP, 3), (Category.REFERRAL, 2)))
    assert isinstance(load, Decimal)
    assert load == Decimal("5.5")


def test_no_cases_weigh_nothing() -> None:
    assert weighted_load([]) == Decimal(0)


def test_many_half_point_cases_add_up_without_float_drift() -> None:
    load = weighted_load(_cases((Category.REFERRAL, 37), (Category.CARE_LEAVER, 5)))
    assert load == Decimal("21")
    assert str(load) == "21.0"


def test_a_case_in_court_proceedings_adds_one_point() -> None:
    assert weighted_load([(Category.CP, True)]) == Decimal("2.5")
    assert weighted_load([(Category.CP, True), (Category.CIN, False)]) == Decimal("3.5")


def test_a_mixed_caseload_weighs_the_sum_of_its_cases() -> None:
    cases = [
        (Category.REFERRAL, False),
        (Category.ASSESSMENT, False),
        (Category.CIN, False),
        (Category.CP, False),
        (Category.CLA, True),
        (Category.CARE_LEAVER, False),
    ]
    assert weighted_load(cases) == Decimal("6.5")


def test_weighted_load_accepts_a_generator() -> None:
    assert weighted_load((Category.CP, False) for _ in range(4)) == Decimal("6.0")


def test_custom_weights_change_the_load() -> None:
    weights = dict(DEFAULT_WEIGHTS) | {Category.CP: Decimal("4"), Category.REFERRAL: Decimal("1")}
    rules = dataclasses.replace(DEFAULT_RULES, weights=weights, court_weight=Decimal("2"))
    cases = _cases((Category.CP, 3), (Category.REFERRAL, 2))
    assert weighted_load(cases, rules) == Decimal("14")
    assert weighted_load([(Category.CP, True)], rules) == Decimal("6")


@PROPERTY_SETTINGS
@given(cases=cases_strategy, extra=st.tuples(st.sampled_from(Category), st.booleans()))
def test_adding_a_case_always_increases_the_load(
    cases: list[tuple[Category, bool]], extra: tuple[Category, bool]
) -> None:
    assert weighted_load([*cases, extra]) > weighted_load(cases)


@PROPERTY_SETTINGS
@given(first=cases_strategy, second=cases_strategy)
def test_the_load_of_two_caseloads_together_is_the_sum_of_their_loads(
    first: list[tuple[Category, bool]], second: list[tuple[Category, bool]]
) -> None:
    assert weighted_load(first + second) == weighted_load(first) + weighted_load(second)
    assert weighted_load(second + first) == weighted_load(first + second)


@PROPERTY_SETTINGS
@given(cases=cases_strategy)
def test_the_default_load_is_always_a_whole_number_of_half_points(
    cases: list[tuple[Category, bool]],
) -> None:
    load = weighted_load(cases)
    assert (load * 2) == (load * 2).to_integral_value()


# --- capacity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "fte", "expected"),
    [
        (Role.SOCIAL_WORKER, "1", "18"),
        (Role.SOCIAL_WORKER, "0.5", "9"),
        (Role.SOCIAL_WORKER, "0.8", "14.4"),
        (Role.ASYE, "1", "14"),
        (Role.ASYE, "0.5", "7"),
        (Role.STUDENT, "1", "5"),
        (Role.STUDENT, "0.5", "2.5"),
        (Role.TEAM_MANAGER, "1", "0"),
        (Role.SERVICE_MANAGER, "0.5", "0"),
    ],
)
def test_capacity_is_the_roles_full_time_points_times_fte(
    role: Role, fte: str, expected: str
) -> None:
    assert capacity(role, Decimal(fte)) == Decimal(expected)


def test_capacity_is_rounded_half_up_to_a_tenth_of_a_point() -> None:
    assert capacity(Role.SOCIAL_WORKER, Decimal("0.33")) == Decimal("5.9")  # 5.94
    assert capacity(Role.STUDENT, Decimal("0.33")) == Decimal("1.7")  # 1.65, half up
    assert capacity(Role.STUDENT, Decimal("0.33")).as_tuple().exponent == -1


def test_zero_fte_has_zero_capacity() -> None:
    assert capacity(Role.SOCIAL_WORKER, Decimal(0)) == Decimal(0)


@pytest.mark.parametrize("fte", ["-0.1", "1.01", "2"])
def test_fte_outside_zero_to_one_is_refused(fte: str) -> None:
    with pytest.raises(ValueError, match="FTE"):
        capacity(Role.SOCIAL_WORKER, Decimal(fte))


def test_custom_capacity_rules_change_capacity() -> None:
    rules = dataclasses.replace(
        DEFAULT_RULES,
        capacity_per_fte=Decimal("20"),
        role_capacity={Role.ASYE: Decimal("16"), Role.TEAM_MANAGER: Decimal("3")},
    )
    assert capacity(Role.SOCIAL_WORKER, Decimal(1), rules) == Decimal("20")
    assert capacity(Role.ASYE, Decimal("0.5"), rules) == Decimal("8")
    assert capacity(Role.TEAM_MANAGER, Decimal(1), rules) == Decimal("3")
    # Roles no longer listed fall back to the per-FTE figure.
    assert capacity(Role.STUDENT, Decimal(1), rules) == Decimal("20")


@PROPERTY_SETTINGS
@given(role=st.sampled_from(Role), low=ftes, high=ftes)
def test_more_fte_never_means_less_capacity(role: Role, low: Decimal, high: Decimal) -> None:
    low, high = sorted((low, high))
    assert Decimal(0) <= capacity(role, low) <= capacity(role, high)


# --- RAG -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        ("0", Rag.GREEN),
        ("15.29", Rag.GREEN),  # 84.9%
        ("15.3", Rag.AMBER),  # exactly 85%
        ("17", Rag.AMBER),
        ("18", Rag.AMBER),  # exactly 100%
        ("18.01", Rag.RED),  # just over 100%
        ("18.5", Rag.RED),
    ],
)
def test_rag_boundaries_at_a_full_time_capacity_of_18(load: str, expected: Rag) -> None:
    assert rag(Decimal(load), Decimal("18")) is expected


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        ("16.5", Rag.GREEN),  # 82.5%
        ("16.99", Rag.GREEN),
        ("17", Rag.AMBER),  # exactly 85%
        ("20", Rag.AMBER),  # exactly 100%
        ("20.01", Rag.RED),
        ("20.5", Rag.RED),
    ],
)
def test_rag_is_green_below_85_amber_to_100_inclusive_and_red_above(
    load: str, expected: Rag
) -> None:
    assert rag(Decimal(load), Decimal("20")) is expected


def test_with_zero_capacity_no_load_is_green() -> None:
    assert rag(Decimal(0), Decimal(0)) is Rag.GREEN


def test_with_zero_capacity_any_load_is_red() -> None:
    assert rag(Decimal("0.5"), Decimal(0)) is Rag.RED
    assert rag(Decimal("0.01"), Decimal(0)) is Rag.RED


def test_custom_rag_thresholds_change_the_rating() -> None:
    rules = dataclasses.replace(
        DEFAULT_RULES, amber_from_percent=Decimal("75"), red_above_percent=Decimal("90")
    )
    cap = Decimal("20")
    assert rag(Decimal("14.5"), cap, rules) is Rag.GREEN
    assert rag(Decimal("15"), cap, rules) is Rag.AMBER
    assert rag(Decimal("18"), cap, rules) is Rag.AMBER
    assert rag(Decimal("18.5"), cap, rules) is Rag.RED
    # The same loads under the defaults.
    assert rag(Decimal("15"), cap) is Rag.GREEN
    assert rag(Decimal("18.5"), cap) is Rag.AMBER


@PROPERTY_SETTINGS
@given(
    cap=st.decimals(min_value=0, max_value=25, places=1),
    low=loads,
    high=loads,
)
def test_rag_never_goes_down_as_load_increases(cap: Decimal, low: Decimal, high: Decimal) -> None:
    low, high = sorted((low, high))
    assert RAG_ORDER[rag(low, cap)] <= RAG_ORDER[rag(high, cap)]


@PROPERTY_SETTINGS
@given(
    cap=st.decimals(min_value="0.1", max_value=25, places=1),
    load=loads,
    amber=st.integers(min_value=1, max_value=150),
    extra=st.integers(min_value=0, max_value=50),
)
def test_rag_agrees_with_the_thresholds_for_any_council_rules(
    cap: Decimal, load: Decimal, amber: int, extra: int
) -> None:
    rules = dataclasses.replace(
        DEFAULT_RULES,
        amber_from_percent=Decimal(amber),
        red_above_percent=Decimal(amber + extra),
    )
    percent = load * 100 / cap
    expected = Rag.RED if percent > amber + extra else Rag.AMBER if percent >= amber else Rag.GREEN
    assert rag(load, cap, rules) is expected


@PROPERTY_SETTINGS
@given(
    role=st.sampled_from(Role),
    fte=ftes,
    cases=cases_strategy,
    extra=st.tuples(st.sampled_from(Category), st.booleans()),
)
def test_adding_a_case_never_improves_a_workers_rag(
    role: Role, fte: Decimal, cases: list[tuple[Category, bool]], extra: tuple[Category, bool]
) -> None:
    before = caseload_of(role, fte, cases)
    after = caseload_of(role, fte, [*cases, extra])
    assert after.weighted > before.weighted
    assert RAG_ORDER[after.rag] >= RAG_ORDER[before.rag]


# --- load percent and the Caseload summary -------------------------------------------------------


def test_load_percent_is_rounded_half_up_to_a_whole_percent() -> None:
    assert load_percent(Decimal("15.3"), Decimal("18")) == Decimal("85")
    assert load_percent(Decimal("0.5"), Decimal("4")) == Decimal("13")  # 12.5
    assert load_percent(Decimal("9"), Decimal("18")) == Decimal("50")


def test_load_percent_is_none_with_zero_capacity() -> None:
    assert load_percent(Decimal("3"), Decimal(0)) is None
    assert load_percent(Decimal(0), Decimal(0)) is None


def test_a_full_time_social_worker_with_ten_cp_cases_is_green() -> None:
    caseload = caseload_of(Role.SOCIAL_WORKER, Decimal(1), _cases((Category.CP, 10)))
    assert caseload == Caseload(
        cases=10, weighted=Decimal("15"), capacity=Decimal("18"), rag=Rag.GREEN
    )
    assert caseload.percent == Decimal("83")  # 83.3%
    assert caseload.spare == Decimal("3")


def test_a_full_time_social_worker_with_eleven_cp_cases_is_amber() -> None:
    caseload = caseload_of(Role.SOCIAL_WORKER, Decimal(1), _cases((Category.CP, 11)))
    assert caseload.weighted == Decimal("16.5")
    assert caseload.rag is Rag.AMBER
    assert caseload.percent == Decimal("92")  # 91.7%
    assert caseload.spare == Decimal("1.5")


def test_a_half_time_social_worker_carries_half_the_points() -> None:
    cases = _cases((Category.CIN, 8))
    assert caseload_of(Role.SOCIAL_WORKER, Decimal(1), cases).rag is Rag.GREEN
    half_time = caseload_of(Role.SOCIAL_WORKER, Decimal("0.5"), cases)
    assert half_time.capacity == Decimal("9")
    assert half_time.rag is Rag.AMBER
    assert half_time.spare == Decimal("1")


def test_an_asye_reaches_red_sooner_than_an_experienced_worker() -> None:
    cases = _cases((Category.CIN, 16))
    assert caseload_of(Role.SOCIAL_WORKER, Decimal(1), cases).rag is Rag.AMBER
    asye = caseload_of(Role.ASYE, Decimal(1), cases)
    assert asye.rag is Rag.RED
    assert asye.spare == Decimal("-2")


def test_a_student_with_five_cin_cases_is_full() -> None:
    caseload = caseload_of(Role.STUDENT, Decimal(1), _cases((Category.CIN, 5)))
    assert caseload.rag is Rag.AMBER
    assert caseload.percent == Decimal("100")


def test_a_team_manager_holding_any_case_is_red() -> None:
    caseload = caseload_of(Role.TEAM_MANAGER, Decimal(1), _cases((Category.REFERRAL, 1)))
    assert caseload.capacity == Decimal(0)
    assert caseload.rag is Rag.RED
    assert caseload.percent is None


def test_a_team_manager_holding_no_case_is_green() -> None:
    caseload = caseload_of(Role.TEAM_MANAGER, Decimal(1), [])
    assert caseload.cases == 0
    assert caseload.rag is Rag.GREEN


def test_caseload_of_counts_cases_from_a_generator() -> None:
    caseload = caseload_of(Role.SOCIAL_WORKER, Decimal(1), ((Category.CP, True) for _ in range(3)))
    assert caseload.cases == 3
    assert caseload.weighted == Decimal("7.5")


def test_custom_rules_change_a_workers_caseload() -> None:
    rules = dataclasses.replace(DEFAULT_RULES, capacity_per_fte=Decimal("12"))
    cases = _cases((Category.CP, 7))  # 10.5 points
    assert caseload_of(Role.SOCIAL_WORKER, Decimal(1), cases).rag is Rag.GREEN
    assert caseload_of(Role.SOCIAL_WORKER, Decimal(1), cases, rules).rag is Rag.AMBER


def test_rag_is_rated_on_the_exact_load_not_the_rounded_percent_shown() -> None:
    # A 0.95 FTE social worker (17.1 points) carrying 14.5 points is at 84.8%: shown as 85%,
    # but still below the amber threshold.
    caseload = caseload_of(
        Role.SOCIAL_WORKER,
        Decimal("0.95"),
        _cases((Category.CP, 5), (Category.CIN, 7)),
    )
    assert caseload.capacity == Decimal("17.1")
    assert caseload.weighted == Decimal("14.5")
    assert caseload.percent == Decimal("85")
    assert caseload.rag is Rag.GREEN
