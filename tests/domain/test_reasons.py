"""Reasons for a change of worker: the SSDA903 ``SW_REASON`` codes (DOMAIN.md)."""

from __future__ import annotations

import pytest

from caseload_desktop.domain.reasons import COMMON_REASONS, ChangeReason, reason_choices

# DOMAIN.md's table, as written there.
DOMAIN_MEANINGS = {
    "MANAGE": "managing caseloads",
    "FCONTA": "first contact or re-referral",
    "LEFTRL": "previous social worker left role",
    "ORGRST": "organisational restructure",
    "TSPROC": "transfer due to standard process",
    "ABSENC": "absence cover / return from absence",
    "CHCHAN": "child requested change",
    "PCCHAN": "parent/carer requested change",
    "SWDIED": "previous social worker died",
    "OTHERS": "other reason",
}


def test_the_reasons_are_exactly_the_ssda903_codes() -> None:
    assert {reason.value for reason in ChangeReason} == set(DOMAIN_MEANINGS)


@pytest.mark.parametrize("reason", list(ChangeReason))
def test_a_reasons_stored_value_is_its_six_letter_code(reason: ChangeReason) -> None:
    assert reason.value == reason.name
    assert len(reason.value) == 6
    assert reason.value.isalpha()
    assert reason.value.isupper()
    assert ChangeReason(reason.value) is reason


@pytest.mark.parametrize("reason", list(ChangeReason))
def test_every_reason_has_its_dfe_meaning(reason: ChangeReason) -> None:
    assert reason.meaning
    assert reason.meaning.lower() == DOMAIN_MEANINGS[reason.value]


def test_meanings_are_written_for_the_manager_in_sentence_case() -> None:
    for reason in ChangeReason:
        assert reason.meaning[0].isupper()
        assert reason.meaning == reason.meaning.strip()


def test_meanings_are_all_different() -> None:
    meanings = [reason.meaning for reason in ChangeReason]
    assert len(set(meanings)) == len(meanings)


def test_only_other_reason_needs_free_text() -> None:
    assert ChangeReason.OTHERS.needs_text
    assert [reason for reason in ChangeReason if reason.needs_text] == [ChangeReason.OTHERS]


@pytest.mark.parametrize("reason", [r for r in ChangeReason if r is not ChangeReason.OTHERS])
def test_a_coded_reason_needs_no_free_text(reason: ChangeReason) -> None:
    assert not reason.needs_text


def test_an_unknown_code_is_not_a_reason() -> None:
    with pytest.raises(ValueError):
        ChangeReason("LEFT")


def test_the_common_reasons_come_first_and_every_code_stays_on_offer() -> None:
    choices = reason_choices()
    assert [c.label for c in choices[:5]] == [
        "Worker left",
        "Caseload balance",
        "Skills match",
        "Continuity",
        "Other (say why)",
    ]
    assert {c.code for c in choices} == set(ChangeReason)
    labels = [c.label for c in choices]
    assert len(set(labels)) == len(labels)


def test_a_common_reason_without_its_own_code_keeps_its_words() -> None:
    by_label = {c.label: c for c in COMMON_REASONS}
    assert by_label["Skills match"].code is ChangeReason.MANAGE
    assert by_label["Skills match"].words == "Skills match"
    assert by_label["Worker left"].code is ChangeReason.LEFTRL
