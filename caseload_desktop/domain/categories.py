"""Vocabularies of the field: case categories, worker roles, employment types, risk levels.

Values are stored in the database as the enum ``value`` strings, so they are part of the file
format: add members, never rename them.
"""

from __future__ import annotations

import enum
import re


class Category(enum.StrEnum):
    """Case categories in rough order of weight (DOMAIN.md)."""

    REFERRAL = "referral"
    ASSESSMENT = "assessment"
    CIN = "cin"
    CP = "cp"
    CLA = "cla"
    CARE_LEAVER = "care_leaver"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]

    @property
    def short(self) -> str:
        return _CATEGORY_SHORT[self]

    @property
    def must_be_allocated(self) -> bool:
        """Child protection and looked-after cases must always have a worker (DOMAIN.md)."""
        return self in (Category.CP, Category.CLA)


_CATEGORY_LABELS = {
    Category.REFERRAL: "Referral / contact",
    Category.ASSESSMENT: "Assessment",
    Category.CIN: "Child in need",
    Category.CP: "Child protection",
    Category.CLA: "Child looked after",
    Category.CARE_LEAVER: "Care leaver",
}

_CATEGORY_SHORT = {
    Category.REFERRAL: "Referral",
    Category.ASSESSMENT: "Assessment",
    Category.CIN: "CIN",
    Category.CP: "CP",
    Category.CLA: "CLA",
    Category.CARE_LEAVER: "Care leaver",
}

# Spellings seen in council extracts, normalised by ``_normalise``. Annex A's coded values
# ("c) Child in need plan") lose their letter prefix first.
_CATEGORY_ALIASES = {
    "referral": Category.REFERRAL,
    "contact": Category.REFERRAL,
    "referralcontact": Category.REFERRAL,
    "contactreferral": Category.REFERRAL,
    "rereferral": Category.REFERRAL,
    "assessment": Category.ASSESSMENT,
    "candfassessment": Category.ASSESSMENT,
    "childandfamiliesassessment": Category.ASSESSMENT,
    "childandfamilyassessment": Category.ASSESSMENT,
    "childrenandfamiliesassessment": Category.ASSESSMENT,
    "childrenandfamilyassessment": Category.ASSESSMENT,
    "cfassessment": Category.ASSESSMENT,
    "singleassessment": Category.ASSESSMENT,
    "s47": Category.ASSESSMENT,
    "section47": Category.ASSESSMENT,
    "cin": Category.CIN,
    "childinneed": Category.CIN,
    "childinneedplan": Category.CIN,
    "cinplan": Category.CIN,
    "cp": Category.CP,
    "cpp": Category.CP,
    "childprotection": Category.CP,
    "childprotectionplan": Category.CP,
    "cpplan": Category.CP,
    "cla": Category.CLA,
    "lac": Category.CLA,
    "cic": Category.CLA,
    "lookedafter": Category.CLA,
    "lookedafterchild": Category.CLA,
    "childlookedafter": Category.CLA,
    "childrenincare": Category.CLA,
    "childincare": Category.CLA,
    "careleaver": Category.CARE_LEAVER,
    "leavingcare": Category.CARE_LEAVER,
    "careleavers": Category.CARE_LEAVER,
}

_CODED_PREFIX = re.compile(r"^\s*[a-z]\)\s*", re.IGNORECASE)


def _normalise(text: str) -> str:
    text = _CODED_PREFIX.sub("", text.replace("\u00a0", " "))
    return re.sub(r"[^a-z0-9]", "", text.lower())


def parse_category(text: str) -> Category:
    """Read a category as councils write it ("CIN", "Child in Need", "LAC", "c) CP plan").

    Raises ``ValueError`` naming the value and the accepted spellings.
    """
    key = _normalise(text)
    try:
        return Category(key) if key in Category._value2member_map_ else _CATEGORY_ALIASES[key]
    except KeyError:
        accepted = ", ".join(c.short for c in Category)
        raise ValueError(f"unknown category {text!r}; expected one of {accepted}") from None


class Role(enum.StrEnum):
    """Worker roles. Capacity and what a worker may hold depend on the role."""

    SOCIAL_WORKER = "social_worker"
    SENIOR_PRACTITIONER = "senior_practitioner"
    ADVANCED_PRACTITIONER = "advanced_practitioner"
    ASYE = "asye"
    STUDENT = "student"
    FAMILY_SUPPORT_WORKER = "family_support_worker"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]

    @property
    def is_manager(self) -> bool:
        """Managers should hold no case long-term: their cases are "held by manager"."""
        return self in (Role.TEAM_MANAGER, Role.SERVICE_MANAGER)


_ROLE_LABELS = {
    Role.SOCIAL_WORKER: "Social worker",
    Role.SENIOR_PRACTITIONER: "Senior practitioner",
    Role.ADVANCED_PRACTITIONER: "Advanced practitioner",
    Role.ASYE: "Newly qualified (ASYE)",
    Role.STUDENT: "Student",
    Role.FAMILY_SUPPORT_WORKER: "Family support worker",
    Role.TEAM_MANAGER: "Team manager",
    Role.SERVICE_MANAGER: "Service manager",
}


class Employment(enum.StrEnum):
    PERMANENT = "permanent"
    AGENCY = "agency"
    LOCUM = "locum"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class WorkerStatus(enum.StrEnum):
    """Stored status. A worker whose end date has passed is a leaver whatever this says."""

    ACTIVE = "active"
    INACTIVE = "inactive"  # long-term absence, suspended: cannot hold cases


class Risk(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}[self]
