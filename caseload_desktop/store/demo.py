"""The demo service: a fictional council's children's services, deterministic for a seed.

Every person here is invented: names are drawn at random from lists of common first names and
surnames (with some accents and apostrophes, as real records have). The service has ordinary
teams and one team in the state an inspection found: most of its cases still with agency
workers who have left, a long unallocated queue, and a team manager holding 30+ cases.

Rows are written with Core ``insert`` executemany in one transaction, so a service-scale demo
(``--cases 100000``) takes seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc
from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
)
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.timescales import add_working_days
from caseload_desktop.errors import BadInput, Cancelled
from caseload_desktop.store.engine import Passphrase, create_database, remove_database_files
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Base,
    Case,
    Child,
    FamilyGroup,
    Team,
    Worker,
)

DEMO_ACTOR = "demo"
COUNCIL = "Kestrel Moor Borough Council"
SERVICE = "Children's Services"
INSPECTION_TEAM = "Assessment and Intervention North"
DEFAULT_CASES = 1000
MIN_CASES = 60
DEFAULT_TEAM_SIZE = 110  # cases per ordinary team; a real team holds roughly 80-200
MIN_TEAM_SIZE = 10
MAX_TEAM_SIZE = 5000
INSPECTION_TEAM_CASES = 330  # orphaned + unallocated + held + the few still allocated
MIN_CASES_FOR_INSPECTION_STATE = 3 * INSPECTION_TEAM_CASES

FIRST_NAMES = [
    "Aaliyah",
    "Abdul",
    "Ada",
    "Aisha",
    "Alfie",
    "Amara",
    "Amelia",
    "Archie",
    "Arlo",
    "Ava",
    "Ayaan",
    "Bea",
    "Bilal",
    "Callum",
    "Chloe",
    "Daisy",
    "Declan",
    "Dylan",
    "Ebony",
    "Eden",
    "Elif",
    "Ella",
    "Elsie",
    "Emre",
    "Ethan",
    "Evie",
    "Ewan",
    "Farah",
    "Finley",
    "Florence",
    "Freddie",
    "Grace",
    "Hamza",
    "Harper",
    "Harrison",
    "Hugo",
    "Ibrahim",
    "Imogen",
    "Isaac",
    "Isla",
    "Ivy",
    "Jacob",
    "Jayden",
    "Jude",
    "Kai",
    "Kacper",
    "Kian",
    "Layla",
    "Leo",
    "Lily",
    "Logan",
    "Lola",
    "Luca",
    "Mabel",
    "Maisie",
    "Maya",
    "Mia",
    "Mohammed",
    "Nadia",
    "Niamh",
    "Noah",
    "Nuala",
    "Olivia",
    "Oscar",
    "Owen",
    "Phoebe",
    "Poppy",
    "Priya",
    "Reuben",
    "Riley",
    "Rosie",
    "Ruby",
    "Sami",
    "Sienna",
    "Sofia",
    "Theo",
    "Tilly",
    "Tomasz",
    "Willow",
    "Yusuf",
    "Zain",
    "Zara",
    "Zoë",
    "Łukasz",
    "Siobhán",
    "Renée",
    "Anaïs",
    "Chidi",
    "Ife",
    "Kemi",
]

ADULT_FIRST_NAMES = [
    "Adebayo",
    "Alison",
    "Amir",
    "Angela",
    "Anjali",
    "Ben",
    "Bronwen",
    "Carla",
    "Catrin",
    "Chris",
    "Claire",
    "Dami",
    "Dan",
    "Deborah",
    "Dev",
    "Elaine",
    "Emma",
    "Femi",
    "Fiona",
    "Gareth",
    "Gemma",
    "Hannah",
    "Helen",
    "Ian",
    "Jas",
    "Jess",
    "Joanne",
    "Kate",
    "Kwame",
    "Laura",
    "Liam",
    "Lucy",
    "Marcus",
    "Marta",
    "Michelle",
    "Nasreen",
    "Natalie",
    "Nia",
    "Paul",
    "Rachel",
    "Rhys",
    "Rob",
    "Ruth",
    "Sam",
    "Sarah",
    "Shanice",
    "Simon",
    "Sinéad",
    "Sophie",
    "Steph",
    "Tom",
    "Tunde",
    "Vicky",
    "Wiktoria",
    "Yasmin",
    "Zoë",
    "Agnieszka",
    "Ciarán",
]

SURNAMES = [
    "Abbott",
    "Adeyemi",
    "Ahmed",
    "Ali",
    "Allen",
    "Atkinson",
    "Bailey",
    "Baker",
    "Begum",
    "Bell",
    "Bennett",
    "Brennan",
    "Brown",
    "Campbell",
    "Carter",
    "Chowdhury",
    "Clarke",
    "Collins",
    "Cooper",
    "Davies",
    "Dawson",
    "Edwards",
    "Evans",
    "Fisher",
    "Fletcher",
    "Fraser",
    "Gallagher",
    "Green",
    "Griffiths",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Jenkins",
    "Johnson",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "Kowalski",
    "Lewis",
    "Lloyd",
    "Malik",
    "Marsh",
    "Mason",
    "Mensah",
    "Mitchell",
    "Morgan",
    "Murphy",
    "Nowak",
    "Okafor",
    "Owen",
    "Parker",
    "Patel",
    "Phillips",
    "Price",
    "Quinn",
    "Rahman",
    "Reid",
    "Richards",
    "Roberts",
    "Robinson",
    "Rowe",
    "Shah",
    "Singh",
    "Smith",
    "Stewart",
    "Taylor",
    "Thomas",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Yilmaz",
    "Young",
    "O'Brien",
    "O'Connor",
    "D'Souza",
    "Ní\u00a0Bhriain",
    "Wiśniewski",
    "Nguyen",
]

# "North" is the inspection-state team's.
LOCALITIES = [
    "South",
    "East",
    "West",
    "Central",
    "Riverside",
    "Hillside",
    "Harbour",
    "Castle",
    "Valley",
    "Park",
    "Forest",
    "Marsh",
    "Bridge",
    "Meadow",
    "Abbey",
    "Mill",
    "Market",
]


@dataclasses.dataclass(frozen=True)
class TeamPlan:
    name: str
    kind: str  # "assessment", "safeguarding", "care", "leaving_care"
    cases: int
    inspection_state: bool = False


CATEGORY_MIX: dict[str, tuple[tuple[Category, int], ...]] = {
    "assessment": (
        (Category.REFERRAL, 15),
        (Category.ASSESSMENT, 45),
        (Category.CIN, 20),
        (Category.CP, 20),
    ),
    "safeguarding": ((Category.CIN, 45), (Category.CP, 50), (Category.ASSESSMENT, 5)),
    "care": ((Category.CLA, 90), (Category.CP, 10)),
    "leaving_care": ((Category.CARE_LEAVER, 85), (Category.CLA, 15)),
}

TEAM_KINDS = (
    ("Assessment and Intervention", "assessment"),
    ("Safeguarding and Family Support", "safeguarding"),
    ("Children in Care", "care"),
    ("Care Leavers", "leaving_care"),
)


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    seed: int
    teams: int
    workers: int
    leavers: int
    cases: int
    children: int
    family_groups: int
    inspection_team: str | None


def plan_teams(cases: int, team_size: int = DEFAULT_TEAM_SIZE) -> list[TeamPlan]:
    """Split ``cases`` over teams of about ``team_size`` cases, the inspection-state team first."""
    if cases < MIN_CASES:
        raise BadInput(
            f"--cases must be at least {MIN_CASES} (a demo needs five teams), not {cases}."
        )
    if not MIN_TEAM_SIZE <= team_size <= MAX_TEAM_SIZE:
        raise BadInput(
            f"--team-size must be from {MIN_TEAM_SIZE} to {MAX_TEAM_SIZE} cases, not {team_size}."
        )
    inspection = min(INSPECTION_TEAM_CASES, cases // 3)
    rest = cases - inspection
    team_count = max(5, round(rest / team_size))
    plans = [TeamPlan(INSPECTION_TEAM, "assessment", inspection, inspection_state=True)]
    base, extra = divmod(rest, team_count)
    for index in range(team_count):
        prefix, kind = TEAM_KINDS[index % len(TEAM_KINDS)]
        lap, position = divmod(index // len(TEAM_KINDS), len(LOCALITIES))
        name = f"{prefix} {LOCALITIES[position]}" + (f" {lap + 1}" if lap else "")
        plans.append(TeamPlan(name, kind, base + (1 if index < extra else 0)))
    return plans


class _Generator:
    """Builds all rows in memory (as dicts for executemany), then inserts them in one go."""

    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.created_at = now_utc()
        self.teams: list[dict[str, Any]] = []
        self.workers: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.children: list[dict[str, Any]] = []
        self.cases: list[dict[str, Any]] = []
        self.allocations: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.used_names: set[str] = set()

    # -- people ---------------------------------------------------------------------------

    def _adult_name(self) -> str:
        for _ in range(50):
            name = f"{self.rng.choice(ADULT_FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        name = (
            f"{self.rng.choice(ADULT_FIRST_NAMES)} {self.rng.choice(SURNAMES)}-{len(self.workers)}"
        )
        self.used_names.add(name)
        return name

    def _days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def add_worker(
        self,
        team_id: int,
        role: Role,
        *,
        employment: Employment | None = None,
        fte: Decimal | None = None,
        left_days_ago: int | None = None,
        status: WorkerStatus = WorkerStatus.ACTIVE,
    ) -> dict[str, Any]:
        if employment is None:
            employment = self.rng.choices(
                (Employment.PERMANENT, Employment.AGENCY, Employment.LOCUM), (70, 25, 5)
            )[0]
        if fte is None:
            fte = self.rng.choices(
                (Decimal("1.0"), Decimal("0.8"), Decimal("0.6"), Decimal("0.5")),
                (75, 12, 8, 5),
            )[0]
        if role is Role.STUDENT:
            fte = Decimal("1.0")
        if role in (Role.STUDENT, Role.ASYE):
            employment = Employment.PERMANENT  # placements and newly qualified posts
        start_days = (
            self.rng.randint(60, 220)
            if employment is not Employment.PERMANENT
            else self.rng.randint(200, 4000)
        )
        if role in (Role.ASYE, Role.STUDENT):
            start_days = self.rng.randint(40, 300)
        start = self.today - dt.timedelta(days=start_days)
        end = None
        if left_days_ago is not None:
            end = self.today - dt.timedelta(days=left_days_ago)
            start = min(start, end - dt.timedelta(days=self.rng.randint(60, 400)))
        worker = {
            "id": len(self.workers) + 1,
            "staff_id": f"S{10000 + len(self.workers) + 1}",
            "name": self._adult_name(),
            "team_id": team_id,
            "role": role,
            "employment": employment,
            "fte": fte,
            "start_date": start,
            "end_date": end,
            "status": status,
            "version": 1,
        }
        self.workers.append(worker)
        return worker

    def _family(self, size: int, category: Category) -> list[dict[str, Any]]:
        """``size`` children of one household (a family group when there are siblings)."""
        surname = self.rng.choice(SURNAMES)
        group_id = None
        if size > 1:
            group_id = len(self.groups) + 1
            self.groups.append(
                {
                    "id": group_id,
                    "ref": f"FG{group_id:05d}",
                    "name": f"{surname} family",
                }
            )
        oldest = 21 if category is Category.CARE_LEAVER else 17
        youngest = 18 if category is Category.CARE_LEAVER else 0
        children = []
        for first_name in self.rng.sample(FIRST_NAMES, size):  # siblings' names differ
            child_id = len(self.children) + 1
            age_days = self.rng.randint(youngest * 365 + 10, oldest * 365 + 300)
            child = {
                "id": child_id,
                "external_id": f"CH{child_id:06d}",
                "name": f"{first_name} {surname}",
                "date_of_birth": self.today - dt.timedelta(days=age_days),
                "family_group_id": group_id,
            }
            self.children.append(child)
            children.append(child)
        return children

    # -- cases ----------------------------------------------------------------------------

    def _opened_on(self, category: Category) -> dt.date:
        low, high = {
            Category.REFERRAL: (0, 12),
            Category.ASSESSMENT: (3, 90),
            Category.CIN: (40, 700),
            Category.CP: (30, 540),
            Category.CLA: (90, 1800),
            Category.CARE_LEAVER: (365, 1500),
        }[category]
        return self._days_ago(low, high)

    def _visits(self, category: Category, opened_on: dt.date, neglected: bool) -> dict[str, Any]:
        """Last visit and the next due date; a neglected case was last seen long ago."""
        if category in (Category.REFERRAL, Category.ASSESSMENT):
            return {
                "last_visit_on": None,
                "next_visit_due": None,
                "next_review_due": None,
            }
        span = max(1, (self.today - opened_on).days)
        if neglected:
            since = self.rng.randint(min(span, 25), min(span, 120))
        else:
            since = self.rng.randint(0, min(span, 30))
        last = self.today - dt.timedelta(days=since)
        if category is Category.CP:
            due = add_working_days(last, DEFAULT_RULES.cp_visit_working_days)
        elif category is Category.CIN:
            due = add_working_days(last, DEFAULT_RULES.cin_visit_working_days)
        else:
            due = last + dt.timedelta(weeks=6)
        review = None
        if category in (Category.CP, Category.CLA):
            review = self.today + dt.timedelta(days=self.rng.randint(-10, 170))
        return {"last_visit_on": last, "next_visit_due": due, "next_review_due": review}

    def add_case(
        self,
        team_id: int,
        category: Category,
        child: dict[str, Any],
        neglected: bool,
        opened_by: dt.date | None = None,
    ) -> dict[str, Any]:
        """A case for ``child``; ``opened_by`` makes it open before a given day (a leaver's
        last day, when the leaver is to have held it)."""
        case_id = len(self.cases) + 1
        opened_on = self._opened_on(category)
        if opened_by is not None and opened_on >= opened_by:
            opened_on = opened_by - dt.timedelta(days=self.rng.randint(1, 60))
        opened_on = max(opened_on, child["date_of_birth"])
        risk = self.rng.choices(
            (Risk.LOW, Risk.MEDIUM, Risk.HIGH),
            (10, 50, 40) if category is Category.CP else (40, 45, 15),
        )[0]
        case = {
            "id": case_id,
            "case_ref": f"C-{100000 + case_id}",
            "child_id": child["id"],
            "team_id": team_id,
            "category": category,
            "opened_on": opened_on,
            "closed_on": None,
            "risk": risk,
            "court_proceedings": category in (Category.CP, Category.CLA)
            and self.rng.random() < 0.12,
            "assessment_started_on": opened_on if category is Category.ASSESSMENT else None,
            "version": 1,
            **self._visits(category, opened_on, neglected),
        }
        self.cases.append(case)
        return case

    def allocate(
        self,
        case: dict[str, Any],
        history: list[tuple[dict[str, Any] | None, ChangeReason | None]],
    ) -> None:
        """Write an allocation history: each entry is a worker (None: in the queue) and reason.

        The first entry starts when the case opened and the last is current. Each change falls
        after the new worker started and before a leaver's last day; a final return to the
        queue is recent (up to four months ago).
        """
        dates = [case["opened_on"]]
        for index in range(1, len(history)):
            previous, worker = history[index - 1][0], history[index][0]
            low = dates[-1]
            if worker is not None:
                low = max(low, worker["start_date"])
            high = self.today
            for holder in (previous, worker):
                if holder is not None and holder["end_date"] is not None:
                    high = min(high, holder["end_date"])
            if worker is None and previous is not None and previous["end_date"] is not None:
                # Back in the queue when the worker left (in their last fortnight).
                low = max(low, previous["end_date"] - dt.timedelta(days=14))
            elif worker is None and index == len(history) - 1:
                low = max(low, self.today - dt.timedelta(days=120))
            high = max(high, low)
            dates.append(low + dt.timedelta(days=self.rng.randint(0, (high - low).days)))
        for index, (worker, reason) in enumerate(history):
            start = dates[index]
            self.allocations.append(
                {
                    "case_id": case["id"],
                    "worker_id": None if worker is None else worker["id"],
                    "started_on": start,
                    "ended_on": dates[index + 1] if index + 1 < len(dates) else None,
                    "reason_code": reason,
                    "reason_text": "" if worker is not None else "Awaiting allocation",
                    "created_by": DEMO_ACTOR,
                    "created_at": self.created_at,
                }
            )
            previous = history[index - 1][0] if index else None
            if worker is None and previous is None:
                continue
            self.audit.append(
                {
                    "occurred_at": dt.datetime.combine(start, dt.time(9, 0), dt.UTC),
                    "actor": DEMO_ACTOR,
                    "action": "allocation.changed" if worker else "allocation.ended",
                    "case_id": case["id"],
                    "from_worker_id": None if previous is None else previous["id"],
                    "to_worker_id": None if worker is None else worker["id"],
                    "reason": reason.meaning if reason else "Returned to the unallocated queue",
                    "detail": {"source": "demo", "seed": self.seed},
                }
            )


def _category(rng: random.Random, kind: str) -> Category:
    categories = [category for category, _ in CATEGORY_MIX[kind]]
    weights = [weight for _, weight in CATEGORY_MIX[kind]]
    return rng.choices(categories, weights)[0]


def _fill_team(
    gen: _Generator, team_id: int, plan: TeamPlan, cases_per_practitioner: float = 14.0
) -> None:
    rng = gen.rng
    manager = gen.add_worker(
        team_id,
        Role.TEAM_MANAGER,
        employment=Employment.AGENCY if plan.inspection_state else Employment.PERMANENT,
        fte=Decimal("1.0"),
    )
    practitioners: list[dict[str, Any]] = []
    leavers: list[dict[str, Any]] = []
    if plan.inspection_state:
        # Agency turnover: most of the team has left; three remain, one newly qualified.
        for days in (35, 62, 90, 118, 150, 200, 260):
            leavers.append(
                gen.add_worker(
                    team_id,
                    Role.SOCIAL_WORKER,
                    employment=Employment.AGENCY,
                    fte=Decimal("1.0"),
                    left_days_ago=days,
                )
            )
        practitioners.append(
            gen.add_worker(
                team_id,
                Role.SENIOR_PRACTITIONER,
                employment=Employment.PERMANENT,
                fte=Decimal("1.0"),
            )
        )
        practitioners.append(
            gen.add_worker(
                team_id,
                Role.SOCIAL_WORKER,
                employment=Employment.AGENCY,
                fte=Decimal("1.0"),
            )
        )
        practitioners.append(
            gen.add_worker(team_id, Role.ASYE, employment=Employment.PERMANENT, fte=Decimal("1.0"))
        )
    else:
        # Enough practitioners to carry the team at ~90% of capacity on average.
        size = max(4, round(plan.cases / cases_per_practitioner))
        roles = [Role.SENIOR_PRACTITIONER] + [Role.SOCIAL_WORKER] * (size - 1)
        if size >= 5:
            roles[-1] = Role.ASYE
        if size >= 6 and rng.random() < 0.5:
            roles[-2] = Role.STUDENT
        if plan.kind in ("safeguarding", "leaving_care") and size >= 5:
            roles[1] = Role.FAMILY_SUPPORT_WORKER
        for role in roles:
            practitioners.append(gen.add_worker(team_id, role))
        if rng.random() < 0.6:
            leavers.append(
                gen.add_worker(
                    team_id,
                    Role.SOCIAL_WORKER,
                    employment=Employment.AGENCY,
                    left_days_ago=rng.randint(5, 80),
                )
            )
        if rng.random() < 0.15:
            practitioners_off = gen.add_worker(
                team_id,
                Role.SOCIAL_WORKER,
                status=WorkerStatus.INACTIVE,
                employment=Employment.PERMANENT,
            )
            leavers.append(practitioners_off)
        if rng.random() < 0.3:  # an old leaver with nothing left: hidden on the board
            gen.add_worker(team_id, Role.SOCIAL_WORKER, left_days_ago=rng.randint(200, 900))

    # How many cases go to each kind of holder; households are drawn against what is left.
    if plan.inspection_state:
        quota = {
            "held": min(32, plan.cases // 10),
            "allocated": round(plan.cases * 0.17),
            "unallocated": round(plan.cases * 0.20),
        }
        quota["orphaned"] = plan.cases - sum(quota.values())
    else:
        quota = {
            "held": rng.randint(0, 3),
            "orphaned": round(plan.cases * 0.05) if leavers else 0,
            "unallocated": round(plan.cases * rng.uniform(0.02, 0.07)),
        }
        quota["allocated"] = plan.cases - sum(quota.values())

    def practitioner_for(category: Category) -> dict[str, Any]:
        eligible = [
            p
            for p in practitioners
            if not (p["role"] is Role.FAMILY_SUPPORT_WORKER and category is Category.CP)
            and not (p["role"] is Role.STUDENT and category in (Category.CP, Category.CLA))
        ]
        weights = [
            float(DEFAULT_RULES.capacity_at_full_time(p["role"]) * p["fte"]) + 0.5 for p in eligible
        ]
        return rng.choices(eligible, weights)[0]

    remaining = plan.cases
    while remaining > 0:
        category = _category(rng, plan.kind)
        size = 1
        if category is not Category.CARE_LEAVER and rng.random() < 0.22:
            size = rng.choice((2, 2, 2, 3, 3, 4))
        size = min(size, remaining)
        open_buckets = [k for k, v in quota.items() if v > 0]
        bucket = (
            rng.choices(open_buckets, [quota[k] for k in open_buckets])[0]
            if open_buckets
            else "allocated"
        )
        quota[bucket] -= size
        owner: dict[str, Any] | None
        if bucket == "held":
            owner = manager
        elif bucket == "orphaned":
            owner = rng.choice(leavers)
        elif bucket == "unallocated":
            owner = None
        else:
            owner = practitioner_for(category)
        neglected = bucket != "allocated" or rng.random() < 0.08
        split_sibling = size > 1 and bucket == "allocated" and rng.random() < 0.1
        for position, child in enumerate(gen._family(size, category)):
            worker = owner
            if split_sibling and position == size - 1:
                worker = practitioner_for(category)  # one sibling held by somebody else
            history: list[tuple[dict[str, Any] | None, ChangeReason | None]] = [(None, None)]
            if worker is None:
                if category not in (Category.REFERRAL, Category.ASSESSMENT) or rng.random() < 0.3:
                    # Was with a worker who left (or another in the team), then back in the queue.
                    former = rng.choice(leavers or practitioners)
                    history += [(former, ChangeReason.FCONTA), (None, None)]
            elif worker in leavers or worker is manager or not leavers or rng.random() >= 0.25:
                history.append((worker, rng.choice(_FIRST_REASONS)))
            else:
                history += [
                    (rng.choice(leavers), ChangeReason.FCONTA),
                    (worker, ChangeReason.LEFTRL),
                ]
            leaver_days = [w["end_date"] for w, _ in history if w is not None and w["end_date"]]
            if leaver_days and child["date_of_birth"] >= min(leaver_days):
                # Born after the leaver left: make the child older, the history stays true.
                child["date_of_birth"] = min(leaver_days) - dt.timedelta(days=rng.randint(60, 3000))
            case = gen.add_case(
                team_id, category, child, neglected, min(leaver_days) if leaver_days else None
            )
            gen.allocate(case, history)
        remaining -= size


_FIRST_REASONS = (ChangeReason.FCONTA, ChangeReason.TSPROC, ChangeReason.MANAGE)


def generate_demo(
    session: Session,
    *,
    seed: int,
    cases: int,
    today: dt.date,
    team_size: int = DEFAULT_TEAM_SIZE,
    progress: Callable[[int, int], bool] | None = None,
    workers: int | None = None,
) -> DemoSummary:
    """Fill an empty database with the demo service. The caller owns the transaction.

    Teams are staffed to carry their cases at about 90% of capacity (14 cases a
    practitioner); ``workers`` instead staffs the service with about that many workers in all
    (a manager and the odd leaver per team, the rest practitioners sharing the cases).

    ``progress(done, total)`` is called after each team; returning False cancels (raises
    ``Cancelled``, so the caller's transaction rolls back).
    """
    if session.execute(sa.select(sa.func.count()).select_from(Team)).scalar_one():
        raise BadInput("The demo needs an empty database; this one already holds teams.")
    gen = _Generator(seed, today)
    plans = plan_teams(cases, team_size)
    per_practitioner = 14.0
    if workers is not None:
        if workers < 1:
            raise BadInput(f"--workers must be at least 1, not {workers}.")
        # The inspection-state team keeps its own (11 workers); each other team has a manager
        # and, six times in ten, a leaver; the practitioners share the rest of the cases.
        ordinary = [p for p in plans if not p.inspection_state]
        fixed = 11 * (len(plans) - len(ordinary)) + round(1.6 * len(ordinary))
        practitioners = max(4 * len(ordinary), workers - fixed)
        per_practitioner = max(1.0, sum(p.cases for p in ordinary) / practitioners)
    for index, plan in enumerate(plans, start=1):
        gen.teams.append({"id": index, "name": plan.name, "service": SERVICE, "version": 1})
        _fill_team(gen, index, plan, per_practitioner)
        if progress is not None and not progress(index, len(plans)):
            raise Cancelled("Creating the demo was cancelled; nothing was kept.")

    for model, rows in (
        (Team, gen.teams),
        (Worker, gen.workers),
        (FamilyGroup, gen.groups),
        (Child, gen.children),
        (Case, gen.cases),
        (Allocation, gen.allocations),
        (AuditEvent, gen.audit),
    ):
        if rows:
            # The Core table, not the ORM entity: one executemany, not the ORM's bulk path
            # (which issues a statement per row for versioned tables).
            session.execute(sa.insert(Base.metadata.tables[model.__tablename__]), rows)
    session.execute(
        sa.insert(Base.metadata.tables[AuditEvent.__tablename__]),
        [
            {
                "occurred_at": gen.created_at,
                "actor": DEMO_ACTOR,
                "action": "demo.created",
                "case_id": None,
                "from_worker_id": None,
                "to_worker_id": None,
                "reason": f"Demo service generated with seed {seed}",
                "detail": {"seed": seed, "cases": len(gen.cases), "council": COUNCIL},
            }
        ],
    )
    # The team is in the inspection's full state (230+ waiting, a manager holding 30+) only
    # at full size; a smaller demo scales it down and does not claim it.
    inspection = next(
        (p.name for p in plans if p.inspection_state and p.cases >= INSPECTION_TEAM_CASES), None
    )
    return DemoSummary(
        seed=seed,
        teams=len(gen.teams),
        workers=len(gen.workers),
        leavers=sum(1 for w in gen.workers if w["end_date"] is not None),
        cases=len(gen.cases),
        children=len(gen.children),
        family_groups=len(gen.groups),
        inspection_team=inspection,
    )


def create_demo_database(
    path: Path,
    *,
    seed: int,
    cases: int,
    today: dt.date,
    team_size: int = DEFAULT_TEAM_SIZE,
    progress: Callable[[int, int], bool] | None = None,
    key: Passphrase | None = None,
    workers: int | None = None,
) -> DemoSummary:
    """Create a new database at ``path`` holding the demo service (encrypted with ``key`` if
    given), or leave nothing behind."""
    plan_teams(cases, team_size)  # refuse a bad size before creating anything
    db = create_database(path, key)
    try:
        with db.write() as session:
            return generate_demo(
                session,
                seed=seed,
                cases=cases,
                today=today,
                team_size=team_size,
                progress=progress,
                workers=workers,
            )
    except BaseException:
        db.close()
        remove_database_files(path)
        raise
    finally:
        db.close()
