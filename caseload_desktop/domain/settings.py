"""The council's settings: every key, its type, its default (DOMAIN.md) and what it may hold.

Declared once here. The store keeps only values (as JSON); ``ServiceSettings.from_values``
turns them into the typed objects the rest of the app reads: ``PracticeRules`` (caseload and
timescales) and ``RecordsStyle`` (what every PDF carries). A value comes in as text (the CLI,
the dialog) or as JSON (an export file); both are checked here, and a bad one raises
``BadSetting`` naming the key and the values it allows.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import io
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.errors import BadInput

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4096  # a side: a logo prints 15 mm wide; larger only costs memory
MAX_DECIMAL_PLACES = 3
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


class BadSetting(BadInput):
    """A setting's key or value is not allowed (the message names the key and what it takes)."""


class Page(enum.StrEnum):
    """Where a setting sits in the settings dialog."""

    CASELOAD = "Caseload"
    TIMESCALES = "Timescales"
    RECORDS = "Records"


# --- Values ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Logo:
    """The council's logo: PNG or SVG bytes, under 1 MB."""

    format: str  # "png" or "svg"
    data: bytes = dataclasses.field(repr=False)

    def to_json(self) -> dict[str, str]:
        return {"format": self.format, "data": base64.b64encode(self.data).decode("ascii")}


@dataclasses.dataclass(frozen=True)
class RecordsStyle:
    """What every PDF record carries: the council's name and logo, and the protective marking."""

    council_name: str = ""
    logo: Logo | None = None
    protective_marking: str = DEFAULT_MARKING


def logo_from_bytes(data: bytes, key: str = "records.logo") -> Logo:
    """Check that ``data`` is a PNG or an SVG image under 1 MB."""
    if len(data) > MAX_LOGO_BYTES:
        raise BadSetting(
            f"{key}: the logo is {len(data) / 1024 / 1024:.1f} MB; it must be under 1 MB."
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _check_png(data, key)
        return Logo("png", data)
    if _is_svg(data):
        return Logo("svg", data)
    raise BadSetting(f"{key}: the logo must be a PNG or SVG image; this file is neither.")


def _check_png(data: bytes, key: str) -> None:
    from PIL import Image, UnidentifiedImageError  # Pillow comes with ReportLab

    try:
        with warnings.catch_warnings():
            # A PNG may declare a huge image in a few bytes (a "decompression bomb").
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if max(width, height) > MAX_LOGO_PIXELS:
                    raise BadSetting(
                        f"{key}: the image is {width} x {height} pixels; a logo must be at most "
                        f"{MAX_LOGO_PIXELS} pixels a side."
                    )
                image.verify()
    except BadSetting:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise BadSetting(f"{key}: the PNG image is damaged and cannot be read.") from exc


def _is_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not (head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--")):
        return False
    if b"<!entity" in data.lower():  # no entity tricks in a logo
        return False
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return False
    return root.tag == "svg" or root.tag.endswith("}svg")


# --- Setting kinds --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its key, label, page, default and how to read and check a value.

    ``parse_text`` reads what a person typed; ``from_json`` reads a stored or exported value;
    ``to_json`` writes one; ``to_text`` shows one.
    """

    key: str
    label: str
    page: Page
    default: Any
    help: str = ""

    def allowed(self) -> str:
        raise NotImplementedError

    def check(self, value: Any) -> Any:
        return value

    def parse_text(self, text: str) -> Any:
        raise NotImplementedError

    def from_json(self, value: Any) -> Any:
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        return value

    def to_text(self, value: Any) -> str:
        return str(value)

    def bad(self, got: object) -> BadSetting:
        return BadSetting(f"{self.key}: {got!s} is not allowed; {self.allowed()}.")


@dataclasses.dataclass(frozen=True)
class NumberSetting(Setting):
    """A decimal number in a range (weights, capacity, percentages)."""

    minimum: Decimal = Decimal(0)
    maximum: Decimal = Decimal(1000)
    above_minimum: bool = False  # True: the minimum itself is not allowed ("positive")

    def allowed(self) -> str:
        low = f"more than {self.minimum}" if self.above_minimum else f"from {self.minimum}"
        return f"a number {low} up to {self.maximum}"

    def check(self, value: Any) -> Decimal:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise self.bad(value)
        too_low = value <= self.minimum if self.above_minimum else value < self.minimum
        if too_low or value > self.maximum:
            raise self.bad(value)
        exact = value.normalize()
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
            raise BadSetting(
                f"{self.key}: {value} has more than {MAX_DECIMAL_PLACES} decimal places; "
                f"{self.allowed()}."
            )
        return Decimal(_plain_decimal(exact))  # one spelling a value: 10, not 1E+1 or 10.00

    def parse_text(self, text: str) -> Decimal:
        try:
            return self.check(Decimal(text.strip()))
        except InvalidOperation:
            raise self.bad(repr(text)) from None

    def from_json(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.bad(repr(value))
        return self.parse_text(str(value))

    def to_json(self, value: Decimal) -> str:
        return _plain_decimal(value)

    def to_text(self, value: Decimal) -> str:
        return _plain_decimal(value)


def _plain_decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclasses.dataclass(frozen=True)
class WholeNumberSetting(Setting):
    """A whole number in a range (days, weeks, months)."""

    minimum: int = 1
    maximum: int = 365
    unit: str = ""

    def allowed(self) -> str:
        return f"a whole number of {self.unit} from {self.minimum} to {self.maximum}"

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.bad(value)
        if not self.minimum <= value <= self.maximum:
            raise self.bad(value)
        return value

    def parse_text(self, text: str) -> int:
        try:
            return self.check(int(text.strip()))
        except ValueError:
            raise self.bad(repr(text)) from None

    def from_json(self, value: Any) -> int:
        if isinstance(value, str):
            return self.parse_text(value)
        return self.check(value)


@dataclasses.dataclass(frozen=True)
class TextSetting(Setting):
    """One line of text (the council's name, the protective marking)."""

    max_length: int = 120
    required: bool = False

    def allowed(self) -> str:
        need = "1" if self.required else "0"
        return f"one line of {need} to {self.max_length} characters"

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self.bad(repr(value))
        text = value.strip()
        if len(text.splitlines()) > 1 or len(text) > self.max_length:
            raise self.bad(repr(value) if len(value) < 60 else "that text")
        if self.required and not text:
            raise BadSetting(f"{self.key}: it cannot be empty; {self.allowed()}.")
        return text

    def parse_text(self, text: str) -> str:
        return self.check(text)

    def from_json(self, value: Any) -> str:
        return self.check(value)


@dataclasses.dataclass(frozen=True)
class CategoriesSetting(Setting):
    """A set of case categories (those a role may not hold)."""

    def allowed(self) -> str:
        return (
            "case categories separated by commas, from "
            + ", ".join(c.value for c in Category)
            + " (or 'none')"
        )

    def check(self, value: Any) -> frozenset[Category]:
        if not isinstance(value, frozenset) or not all(isinstance(c, Category) for c in value):
            raise self.bad(value)
        return value

    def parse_text(self, text: str) -> frozenset[Category]:
        words = [w.strip().lower() for w in text.replace(";", ",").split(",") if w.strip()]
        if words in ([], ["none"]):
            return frozenset()
        return self._categories(words)

    def _categories(self, words: Iterable[object]) -> frozenset[Category]:
        found = set()
        for word in words:
            try:
                found.add(Category(str(word).strip().lower()))
            except ValueError:
                raise self.bad(repr(word)) from None
        return frozenset(found)

    def from_json(self, value: Any) -> frozenset[Category]:
        if not isinstance(value, list):
            raise self.bad(repr(value))
        return self._categories(value)

    def to_json(self, value: frozenset[Category]) -> list[str]:
        return sorted(c.value for c in value)

    def to_text(self, value: frozenset[Category]) -> str:
        return ", ".join(sorted(c.value for c in value)) or "none"


@dataclasses.dataclass(frozen=True)
class LogoSetting(Setting):
    """The council's logo (PNG or SVG under 1 MB), or none."""

    def allowed(self) -> str:
        return "a PNG or SVG image under 1 MB, or 'none'"

    def check(self, value: Any) -> Logo | None:
        if value is None:
            return None
        if not isinstance(value, Logo):
            raise self.bad(value)
        return logo_from_bytes(value.data, self.key)

    def parse_text(self, text: str) -> Logo | None:
        """Text is 'none' (no logo); a file is read by the caller (``logo_from_bytes``)."""
        if text.strip().lower() in ("", "none"):
            return None
        raise BadSetting(f"{self.key}: give an image file, or 'none'; {self.allowed()}.")

    def from_json(self, value: Any) -> Logo | None:
        if value is None:
            return None
        if not isinstance(value, Mapping) or not isinstance(value.get("data"), str):
            raise self.bad("that value")
        try:
            data = base64.b64decode(value["data"], validate=True)
        except (binascii.Error, ValueError):
            raise BadSetting(f"{self.key}: the image data is not valid base64.") from None
        return logo_from_bytes(data, self.key)

    def to_json(self, value: Logo | None) -> dict[str, str] | None:
        return None if value is None else value.to_json()

    def to_text(self, value: Logo | None) -> str:
        if value is None:
            return "none"
        return f"{value.format.upper()} image, {len(value.data) / 1024:.0f} KB"


# --- The catalogue --------------------------------------------------------------------------

_D = PracticeRules()


def _weight(category: Category) -> NumberSetting:
    return NumberSetting(
        f"weights.{category.value}",
        f"{category.label} weight",
        Page.CASELOAD,
        _D.weights[category],
        "Weighted points one case of this category counts for.",
        minimum=Decimal(0),
        maximum=Decimal(100),
        above_minimum=True,
    )


def _capacity(role: Role | None) -> NumberSetting:
    if role is None:
        return NumberSetting(
            "capacity.per_fte",
            "Capacity per FTE",
            Page.CASELOAD,
            _D.capacity_per_fte,
            "Weighted points a full-time worker carries (roles without their own figure).",
            minimum=Decimal(0),
            maximum=Decimal(1000),
            above_minimum=True,
        )
    return NumberSetting(
        f"capacity.{role.value}",
        f"{role.label} capacity per FTE",
        Page.CASELOAD,
        _D.role_capacity[role],
        "Weighted points at 1.0 FTE for this role (0: should hold no cases).",
        minimum=Decimal(0),
        maximum=Decimal(1000),
    )


def _limits(role: Role) -> CategoriesSetting:
    return CategoriesSetting(
        f"limits.{role.value}",
        f"{role.label} may not hold",
        Page.CASELOAD,
        _D.category_limits.get(role, frozenset()),
        "Case categories this role may not hold (local practice).",
    )


SETTINGS: tuple[Setting, ...] = (
    *(_weight(category) for category in Category),
    NumberSetting(
        "weights.court",
        "Court proceedings add",
        Page.CASELOAD,
        _D.court_weight,
        "Points added to a case in court proceedings.",
        minimum=Decimal(0),
        maximum=Decimal(100),
    ),
    _capacity(None),
    *(_capacity(role) for role in _D.role_capacity),
    NumberSetting(
        "rag.amber_from_percent",
        "Amber from (% of capacity)",
        Page.CASELOAD,
        _D.amber_from_percent,
        "A load at or above this share of capacity shows amber.",
        minimum=Decimal(0),
        maximum=Decimal(300),
        above_minimum=True,
    ),
    NumberSetting(
        "rag.red_above_percent",
        "Red above (% of capacity)",
        Page.CASELOAD,
        _D.red_above_percent,
        "A load above this share of capacity shows red.",
        minimum=Decimal(0),
        maximum=Decimal(300),
        above_minimum=True,
    ),
    *(_limits(role) for role in Role if not role.is_manager),
    WholeNumberSetting(
        "visits.cp_working_days",
        "Child protection visits every",
        Page.TIMESCALES,
        _D.cp_visit_working_days,
        "Working days between child protection home visits (councils set 10 to 20).",
        minimum=1,
        maximum=60,
        unit="working days",
    ),
    WholeNumberSetting(
        "visits.cin_working_days",
        "Child in need visits every",
        Page.TIMESCALES,
        _D.cin_visit_working_days,
        "Working days between child in need visits.",
        minimum=1,
        maximum=120,
        unit="working days",
    ),
    WholeNumberSetting(
        "visits.cla_weeks",
        "Looked-after visits every",
        Page.TIMESCALES,
        _D.cla_visit_weeks,
        "Weeks between visits to a looked-after child (the regulations allow at most 6).",
        minimum=1,
        maximum=6,
        unit="weeks",
    ),
    WholeNumberSetting(
        "visits.cla_long_term_months",
        "Long-term placement visits every",
        Page.TIMESCALES,
        _D.cla_long_term_visit_months,
        "Months between visits after the first year of a placement meant to last until 18 "
        "(the regulations allow at most 3).",
        minimum=1,
        maximum=3,
        unit="months",
    ),
    WholeNumberSetting(
        "assessment.working_days",
        "Assessment due within",
        Page.TIMESCALES,
        _D.assessment_working_days,
        "Working days from the start of an assessment (statutory maximum 45).",
        minimum=1,
        maximum=45,
        unit="working days",
    ),
    WholeNumberSetting(
        "escalation.days",
        "Escalate unallocated cases after",
        Page.TIMESCALES,
        _D.escalation_days,
        "Days an unallocated case waits before it goes to the service manager.",
        minimum=1,
        maximum=90,
        unit="days",
    ),
    TextSetting(
        "records.council_name",
        "Council",
        Page.RECORDS,
        "",
        "The council's name, on every PDF record.",
        max_length=120,
    ),
    LogoSetting("records.logo", "Logo", Page.RECORDS, None, "PNG or SVG, under 1 MB."),
    TextSetting(
        "records.protective_marking",
        "Protective marking",
        Page.RECORDS,
        DEFAULT_MARKING,
        "Printed in the header and footer of every page.",
        max_length=60,
        required=True,
    ),
    WholeNumberSetting(
        "backups.keep",
        "Keep daily backups",
        Page.RECORDS,
        14,
        "How many daily and manual backups of the database are kept beside it (the oldest "
        "go first); backups made before an upgrade are always kept.",
        minimum=1,
        maximum=365,
        unit="backups",
    ),
)

BY_KEY: Mapping[str, Setting] = {s.key: s for s in SETTINGS}


def setting(key: str) -> Setting:
    """The setting called ``key``; an unknown key names the keys there are."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise BadSetting(
            f"There is no setting called {key!r}. Settings: {', '.join(BY_KEY)}."
        ) from None


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS}


# --- Typed objects from values --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    """The council's settings as the app reads them."""

    rules: PracticeRules = dataclasses.field(default_factory=PracticeRules)
    records: RecordsStyle = dataclasses.field(default_factory=RecordsStyle)
    values: Mapping[str, Any] = dataclasses.field(default_factory=defaults, hash=False)

    @classmethod
    def from_values(cls, stored: Mapping[str, Any]) -> ServiceSettings:
        """Defaults, overlaid with ``stored`` (typed values by key); checks the whole set."""
        values = defaults()
        for key, value in stored.items():
            values[key] = setting(key).check(value)
        check_together(values)
        v: Callable[[str], Any] = values.__getitem__
        rules = PracticeRules(
            weights={c: v(f"weights.{c.value}") for c in Category},
            court_weight=v("weights.court"),
            capacity_per_fte=v("capacity.per_fte"),
            role_capacity={r: v(f"capacity.{r.value}") for r in _D.role_capacity},
            amber_from_percent=v("rag.amber_from_percent"),
            red_above_percent=v("rag.red_above_percent"),
            cp_visit_working_days=v("visits.cp_working_days"),
            cin_visit_working_days=v("visits.cin_working_days"),
            cla_visit_weeks=v("visits.cla_weeks"),
            cla_long_term_visit_months=v("visits.cla_long_term_months"),
            escalation_days=v("escalation.days"),
            assessment_working_days=v("assessment.working_days"),
            category_limits={
                r: v(f"limits.{r.value}")
                for r in Role
                if not r.is_manager and v(f"limits.{r.value}")
            },
        )
        records = RecordsStyle(
            council_name=v("records.council_name"),
            logo=v("records.logo"),
            protective_marking=v("records.protective_marking"),
        )
        return cls(rules, records, values)

    @property
    def backups_keep(self) -> int:
        """How many daily and manual backups are kept (store/backups.py rotates to it)."""
        return int(self.values["backups.keep"])


def check_together(values: Mapping[str, Any]) -> None:
    """Rules that tie settings together (each key alone is checked by its ``Setting``)."""
    amber, red = values["rag.amber_from_percent"], values["rag.red_above_percent"]
    if amber > red:
        raise BadSetting(
            f"rag.amber_from_percent ({amber}) must not be above rag.red_above_percent ({red}): "
            "a load turns amber before it turns red."
        )


DEFAULT_SETTINGS = ServiceSettings()
