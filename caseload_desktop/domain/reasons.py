"""Reasons for a change of worker: the DfE's SSDA903 ``SW_REASON`` codes (since 2023-24).

Using the return's own codes lets the allocation history be exported straight into its social
worker episodes.
"""

from __future__ import annotations

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
