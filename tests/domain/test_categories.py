"""Vocabularies of the field: case categories and how extracts spell them, roles, status, risk.

Enum values are stored in the database, so the tests pin them: members may be added, never
renamed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
    parse_category,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)

NBSP = "\u00a0"


# --- parse_category ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CIN", Category.CIN),
        ("cin", Category.CIN),
        ("Child in Need", Category.CIN),
        ("child in need", Category.CIN),
        ("child_in_need", Category.CIN),
        ("Child-in-need", Category.CIN),
        ("Child in need plan", Category.CIN),
        ("CP", Category.CP),
        ("CPP", Category.CP),
        ("Child Protection", Category.CP),
        ("Child Protection Plan", Category.CP),
        ("CLA", Category.CLA),
        ("LAC", Category.CLA),
        ("CiC", Category.CLA),
        ("Looked After", Category.CLA),
        ("Looked after child", Category.CLA),
        ("Child looked after", Category.CLA),
        ("Children in care", Category.CLA),
        ("Referral", Category.REFERRAL),
        ("Contact", Category.REFERRAL),
        ("Referral / contact", Category.REFERRAL),
        ("Re-referral", Category.REFERRAL),
        ("Assessment", Category.ASSESSMENT),
        ("C and F assessment", Category.ASSESSMENT),
        ("Child and Family assessment", Category.ASSESSMENT),
        ("Single assessment", Category.ASSESSMENT),
        ("S47", Category.ASSESSMENT),
        ("Section 47", Category.ASSESSMENT),
        ("Care leaver", Category.CARE_LEAVER),
        ("care_leaver", Category.CARE_LEAVER),
        ("Leaving care", Category.CARE_LEAVER),
        ("Care Leavers", Category.CARE_LEAVER),
    ],
)
def test_parse_category_reads_the_spellings_councils_use(text: str, expected: Category) -> None:
    assert parse_category(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c) Child in need plan", Category.CIN),
        ("C) Child in need plan", Category.CIN),
        ("d) Child protection plan", Category.CP),
        ("a)Looked after", Category.CLA),
        ("  b)  CIN  ", Category.CIN),
    ],
)
def test_parse_category_drops_an_annex_a_coded_prefix(text: str, expected: Category) -> None:
    assert parse_category(text) is expected


def test_parse_category_reads_its_documented_example_cp_plan_with_a_coded_prefix() -> None:
    assert parse_category("c) CP plan") is Category.CP


def test_parse_category_reads_the_domain_name_children_and_families_assessment() -> None:
    assert parse_category("Children and Families assessment") is Category.ASSESSMENT


def test_parse_category_reads_the_abbreviation_c_and_f_assessment() -> None:
    assert parse_category("C&F assessment") is Category.ASSESSMENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Child{NBSP}in{NBSP}Need", Category.CIN),
        (f"{NBSP}CP{NBSP}", Category.CP),
        (f"c){NBSP}Child in need plan", Category.CIN),
        (f"{NBSP}c){NBSP}Child{NBSP}in{NBSP}need{NBSP}plan{NBSP}", Category.CIN),
        (f"Looked{NBSP}After", Category.CLA),
        ("\tCLA\n", Category.CLA),
    ],
)
def test_parse_category_ignores_non_breaking_and_other_white_space(
    text: str, expected: Category
) -> None:
    assert parse_category(text) is expected


@pytest.mark.parametrize("text", ["Foo", "", "   ", "a)", "Unallocated", "Private fostering"])
def test_parse_category_refuses_an_unknown_value_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="unknown category") as raised:
        parse_category(text)
    assert repr(text) in str(raised.value)


def test_the_refusal_lists_the_accepted_categories() -> None:
    with pytest.raises(ValueError) as raised:
        parse_category("Foo")
    message = str(raised.value)
    assert "'Foo'" in message
    for category in Category:
        assert category.short in message


@pytest.mark.parametrize("category", list(Category))
def test_every_category_value_round_trips_through_parse_category(category: Category) -> None:
    assert parse_category(category.value) is category
    assert parse_category(str(category)) is category


@pytest.mark.parametrize("category", list(Category))
def test_every_category_label_short_name_and_member_name_parses_back(category: Category) -> None:
    assert parse_category(category.label) is category
    assert parse_category(category.short) is category
    assert parse_category(category.name) is category


@PROPERTY_SETTINGS
@given(
    category=st.sampled_from(Category),
    spelling=st.sampled_from(["value", "label", "short"]),
    padding=st.text(alphabet=[" ", NBSP, "\t"], max_size=3),
    upper=st.booleans(),
    prefix=st.sampled_from(["", "a) ", "c) ", "E)"]),
)
def test_parse_category_ignores_case_padding_and_coded_prefixes(
    category: Category, spelling: str, padding: str, upper: bool, prefix: str
) -> None:
    text = getattr(category, spelling)
    text = text.upper() if upper else text
    assert parse_category(f"{padding}{prefix}{text}{padding}") is category


@PROPERTY_SETTINGS
@given(text=st.text(alphabet="abcdeilnpCILNP )_-&/" + NBSP, max_size=25))
def test_parse_category_either_returns_a_category_or_raises_value_error(text: str) -> None:
    try:
        result = parse_category(text)
    except ValueError as error:
        assert repr(text) in str(error)
    else:
        assert isinstance(result, Category)


# --- Category ------------------------------------------------------------------------------------


def test_stored_category_values_are_unchanged() -> None:
    assert [category.value for category in Category] == [
        "referral",
        "assessment",
        "cin",
        "cp",
        "cla",
        "care_leaver",
    ]


def test_every_category_has_a_label_and_a_short_name() -> None:
    assert {category: category.label for category in Category} == {
        Category.REFERRAL: "Referral / contact",
        Category.ASSESSMENT: "Assessment",
        Category.CIN: "Child in need",
        Category.CP: "Child protection",
        Category.CLA: "Child looked after",
        Category.CARE_LEAVER: "Care leaver",
    }
    assert [category.short for category in Category] == [
        "Referral",
        "Assessment",
        "CIN",
        "CP",
        "CLA",
        "Care leaver",
    ]


def test_only_child_protection_and_looked_after_cases_must_always_be_allocated() -> None:
    assert [category for category in Category if category.must_be_allocated] == [
        Category.CP,
        Category.CLA,
    ]


# --- Role, Employment, WorkerStatus, Risk --------------------------------------------------------


def test_stored_role_values_are_unchanged() -> None:
    assert [role.value for role in Role] == [
        "social_worker",
        "senior_practitioner",
        "advanced_practitioner",
        "asye",
        "student",
        "family_support_worker",
        "team_manager",
        "service_manager",
    ]


def test_only_team_and_service_managers_are_managers() -> None:
    assert [role for role in Role if role.is_manager] == [Role.TEAM_MANAGER, Role.SERVICE_MANAGER]


def test_every_role_has_a_label() -> None:
    labels = [role.label for role in Role]
    assert all(labels)
    assert len(set(labels)) == len(labels)
    assert Role.ASYE.label == "Newly qualified (ASYE)"
    assert Role.TEAM_MANAGER.label == "Team manager"


def test_employment_types_are_permanent_agency_and_locum_with_labels() -> None:
    assert [e.value for e in Employment] == ["permanent", "agency", "locum"]
    assert [e.label for e in Employment] == ["Permanent", "Agency", "Locum"]


def test_a_worker_status_is_active_or_inactive() -> None:
    assert [s.value for s in WorkerStatus] == ["active", "inactive"]


def test_risks_rank_low_below_medium_below_high() -> None:
    assert [r.value for r in Risk] == ["low", "medium", "high"]
    assert Risk.LOW.rank < Risk.MEDIUM.rank < Risk.HIGH.rank
    assert sorted(Risk, key=lambda r: r.rank, reverse=True)[0] is Risk.HIGH
