"""Reasons for a change of worker: the DfE's SSDA903 ``SW_REASON`` codes (since 2023-24).

Using the return's own codes lets the allocation history be exported straight into its social
worker episodes.
"""

from __future__ import annotations

import dataclasses
import enum


class ChangeReason(enum.StrEnum):
    MANAGE = "MANAGE"
    FCONTA = "FCONTA"
    LEFTRL = "LEFTRL"
    ORGRST = "ORGRST"
    TSPROC = "TSPROC"
    ABSENC = "ABSENC"
    CHCHAN = "CHCHAN"
    PCCHAN = "PCCHAN"
    SWDIED = "SWDIED"
    OTHERS = "OTHERS"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]

    @property
    def needs_text(self) -> bool:
        """ "Other reason" must say what the reason was."""
        return self == ChangeReason.OTHERS


_MEANINGS = {
    ChangeReason.MANAGE: "Managing caseloads",
    ChangeReason.FCONTA: "First contact or re-referral",
    ChangeReason.LEFTRL: "Previous social worker left role",
    ChangeReason.ORGRST: "Organisational restructure",
    ChangeReason.TSPROC: "Transfer due to standard process",
    ChangeReason.ABSENC: "Absence cover / return from absence",
    ChangeReason.CHCHAN: "Child requested change",
    ChangeReason.PCCHAN: "Parent/carer requested change",
    ChangeReason.SWDIED: "Previous social worker died",
    ChangeReason.OTHERS: "Other reason",
}


@dataclasses.dataclass(frozen=True, slots=True)
class ReasonChoice:
    """A reason as a manager says it, and the SSDA903 code it is recorded under.

    ``words`` is kept with the code when the manager adds none, so "skills match" is not lost
    inside the broad "managing caseloads" code.
    """

    label: str
    code: ChangeReason
    words: str = ""


#: The reasons managers give most, first in every reason list; the full SSDA903 list follows.
COMMON_REASONS: tuple[ReasonChoice, ...] = (
    ReasonChoice("Worker left", ChangeReason.LEFTRL),
    ReasonChoice("Caseload balance", ChangeReason.MANAGE),
    ReasonChoice("Skills match", ChangeReason.MANAGE, "Skills match"),
    ReasonChoice("Continuity", ChangeReason.MANAGE, "Continuity of worker"),
    ReasonChoice("Other (say why)", ChangeReason.OTHERS),
)


def reason_choices() -> tuple[ReasonChoice, ...]:
    """The common reasons, then every SSDA903 code not already offered under its own label."""
    plain = tuple(
        ReasonChoice(f"{code.meaning} ({code.value})", code)
        for code in ChangeReason
        if code not in (ChangeReason.OTHERS,)
    )
    return COMMON_REASONS + plain
