"""The council's settings catalogue (``domain.settings``) and the visit rule it feeds.

Defaults are checked against the numbers DOMAIN.md gives (written out here, not read from the
code). Every key is round-tripped through text and JSON with hypothesis, and every kind of bad
value is refused with a ``BadSetting`` that names the key and what it allows. Logos are real
files: a PNG made with Pillow, SVG text, and damaged or hostile variants of both.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import struct
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.settings import (
    BY_KEY,
    DEFAULT_MARKING,
    MAX_LOGO_BYTES,
    SETTINGS,
    BadSetting,
    CategoriesSetting,
    Logo,
    LogoSetting,
    NumberSetting,
    ServiceSettings,
    Setting,
    TextSetting,
    WholeNumberSetting,
    check_together,
    defaults,
    logo_from_bytes,
    setting,
)
from caseload_desktop.domain.timescales import is_working_day, visit_due
from caseload_desktop.errors import BadInput

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, database=None)

NUMBER_KEYS = [s.key for s in SETTINGS if isinstance(s, NumberSetting)]
WHOLE_KEYS = [s.key for s in SETTINGS if isinstance(s, WholeNumberSetting)]
TEXT_KEYS = [s.key for s in SETTINGS if isinstance(s, TextSetting)]
CATEGORY_KEYS = [s.key for s in SETTINGS if isinstance(s, CategoriesSetting)]


def number(key: str) -> NumberSetting:
    item = BY_KEY[key]
    assert isinstance(item, NumberSetting)
    return item


def whole(key: str) -> WholeNumberSetting:
    item = BY_KEY[key]
    assert isinstance(item, WholeNumberSetting)
    return item


def text_setting(key: str) -> TextSetting:
    item = BY_KEY[key]
    assert isinstance(item, TextSetting)
    return item


def refused(item: Setting, message: str) -> None:
    """A refusal names the key and the values the setting allows."""
    assert item.key in message, message
    assert item.allowed() in message, message
    assert "\n" not in message, message


# --- Image files -----------------------------------------------------------------------------


def png_bytes(width: int = 16, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 94, 165)).save(buffer, "PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A well-formed PNG whose header declares ``width`` x ``height`` (tiny on disk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    b'<rect width="120" height="40" fill="#005ea5"/></svg>\n'
)
SVG_WITH_DOCTYPE = (
    b'<?xml version="1.0" standalone="no"?>\n'
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n'
)
SVG_BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>\n'
)
SVG_EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!eNtItY xxe SYSTEM "file:///etc/passwd">]>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>\n'
)


def svg_of_size(size: int) -> bytes:
    """A valid SVG padded with a comment to exactly ``size`` bytes."""
    head = b'<svg xmlns="http://www.w3.org/2000/svg"><!--'
    tail = b"--></svg>"
    return head + b"x" * (size - len(head) - len(tail)) + tail


# --- Defaults (DOMAIN.md) --------------------------------------------------------------------

# DOMAIN.md, "Caseload weight and capacity" and "Statutory and practice timescales"; the
# regulations for looked-after visits; STYLE/DOMAIN for the protective marking.
DOMAIN_DEFAULTS: dict[str, Any] = {
    "weights.referral": Decimal("0.5"),
    "weights.assessment": Decimal("1.0"),
    "weights.cin": Decimal("1.0"),
    "weights.cp": Decimal("1.5"),
    "weights.cla": Decimal("1.0"),
    "weights.care_leaver": Decimal("0.5"),
    "weights.court": Decimal("1.0"),
    "capacity.per_fte": Decimal(18),
    "capacity.asye": Decimal(14),
    "capacity.student": Decimal(5),
    "capacity.team_manager": Decimal(0),
    "capacity.service_manager": Decimal(0),
    "rag.amber_from_percent": Decimal(85),
    "rag.red_above_percent": Decimal(100),
    "limits.social_worker": frozenset(),
    "limits.senior_practitioner": frozenset(),
    "limits.advanced_practitioner": frozenset(),
    "limits.asye": frozenset(),
    "limits.student": frozenset({Category.CP}),
    "limits.family_support_worker": frozenset({Category.CP, Category.CLA}),
    "visits.cp_working_days": 10,
    "visits.cin_working_days": 20,
    "visits.cla_weeks": 6,
    "visits.cla_long_term_months": 3,
    "assessment.working_days": 45,
    "escalation.days": 14,
    "records.council_name": "",
    "records.logo": None,
    "records.protective_marking": "OFFICIAL-SENSITIVE",
    "backups.keep": 14,  # the security issue's rotation
}


def test_the_catalogue_has_every_setting_once_with_the_defaults_of_domain_md() -> None:
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(DOMAIN_DEFAULTS)
    assert defaults() == DOMAIN_DEFAULTS
    for key, expected in DOMAIN_DEFAULTS.items():
        item = setting(key)
        assert item.default == expected, key
        # Each default is itself allowed.
        assert item.check(item.default) == expected, key


def test_the_default_rules_are_the_numbers_domain_md_gives() -> None:
    service = ServiceSettings.from_values({})
    rules = service.rules
    assert rules.capacity_at_full_time(Role.SOCIAL_WORKER) == 18
    assert rules.capacity_at_full_time(Role.SENIOR_PRACTITIONER) == 18
    assert rules.capacity_at_full_time(Role.ASYE) == 14
    assert rules.capacity_at_full_time(Role.STUDENT) == 5
    assert rules.capacity_at_full_time(Role.TEAM_MANAGER) == 0
    assert {c.value: rules.weight_of(c) for c in Category} == {
        "referral": Decimal("0.5"),
        "assessment": Decimal("1.0"),
        "cin": Decimal("1.0"),
        "cp": Decimal("1.5"),
        "cla": Decimal("1.0"),
        "care_leaver": Decimal("0.5"),
    }
    assert rules.weight_of(Category.CP, court=True) == Decimal("2.5")
    assert rules.weight_of(Category.REFERRAL, court=True) == Decimal("1.5")
    assert (rules.amber_from_percent, rules.red_above_percent) == (Decimal(85), Decimal(100))
    assert (rules.cp_visit_working_days, rules.cin_visit_working_days) == (10, 20)
    assert rules.escalation_days == 14
    assert rules.assessment_working_days == 45
    assert not rules.may_hold(Role.STUDENT, Category.CP)
    assert not rules.may_hold(Role.FAMILY_SUPPORT_WORKER, Category.CLA)
    assert rules.may_hold(Role.SOCIAL_WORKER, Category.CP)
    assert rules == PracticeRules()
    assert service.records.protective_marking == DEFAULT_MARKING == "OFFICIAL-SENSITIVE"
    assert service.records.logo is None
    assert service.records.council_name == ""
    assert service == ServiceSettings()


def weight_of(category: Category) -> Callable[[ServiceSettings], Any]:
    return lambda s: s.rules.weights[category]


def capacity_of(role: Role) -> Callable[[ServiceSettings], Any]:
    return lambda s: s.rules.role_capacity[role]


def limits_of(role: Role) -> Callable[[ServiceSettings], Any]:
    return lambda s: s.rules.category_limits.get(role, frozenset())


# Each key, a value other than its default, and where ``from_values`` must put it.
WIRING: dict[str, tuple[Any, Callable[[ServiceSettings], Any]]] = {
    **{f"weights.{c.value}": (Decimal("7.25"), weight_of(c)) for c in Category},
    "weights.court": (Decimal("2"), lambda s: s.rules.court_weight),
    "capacity.per_fte": (Decimal("22"), lambda s: s.rules.capacity_per_fte),
    **{
        f"capacity.{r.value}": (Decimal("3"), capacity_of(r))
        for r in (Role.ASYE, Role.STUDENT, Role.TEAM_MANAGER, Role.SERVICE_MANAGER)
    },
    "rag.amber_from_percent": (Decimal("70"), lambda s: s.rules.amber_from_percent),
    "rag.red_above_percent": (Decimal("120"), lambda s: s.rules.red_above_percent),
    **{
        f"limits.{r.value}": (frozenset({Category.CARE_LEAVER}), limits_of(r))
        for r in Role
        if not r.is_manager
    },
    "visits.cp_working_days": (15, lambda s: s.rules.cp_visit_working_days),
    "visits.cin_working_days": (30, lambda s: s.rules.cin_visit_working_days),
    "visits.cla_weeks": (4, lambda s: s.rules.cla_visit_weeks),
    "visits.cla_long_term_months": (2, lambda s: s.rules.cla_long_term_visit_months),
    "assessment.working_days": (40, lambda s: s.rules.assessment_working_days),
    "escalation.days": (21, lambda s: s.rules.escalation_days),
    "records.council_name": ("Exampleshire County Council", lambda s: s.records.council_name),
    "records.logo": (Logo("svg", SVG), lambda s: s.records.logo),
    "records.protective_marking": ("OFFICIAL", lambda s: s.records.protective_marking),
    "backups.keep": (30, lambda s: s.backups_keep),
}


def test_every_key_is_wired_to_its_place_in_the_rules_or_the_records_style() -> None:
    assert set(WIRING) == set(BY_KEY)
    base = ServiceSettings.from_values({})
    for key, (value, where) in WIRING.items():
        assert value != BY_KEY[key].default, key
        changed = ServiceSettings.from_values({key: value})
        assert where(changed) == value, key
        assert changed.values[key] == value, key
        # Nothing else moved: every other key still reads as it did.
        for other, (_, other_where) in WIRING.items():
            if other != key:
                assert other_where(changed) == other_where(base), (key, other)


# --- Round trips -----------------------------------------------------------------------------


def round_trips(item: Setting, value: Any) -> None:
    """``value`` survives text, JSON (through a real JSON string) and ``check`` unchanged."""
    assert item.check(value) == value
    assert item.parse_text(item.to_text(value)) == value
    stored = json.loads(json.dumps(item.to_json(value)))
    assert item.from_json(stored) == value
    assert item.to_json(item.from_json(stored)) == item.to_json(value)


@st.composite
def numbers_in_range(draw: st.DrawFn, item: NumberSetting) -> Decimal:
    value: Decimal = draw(
        st.decimals(
            min_value=item.minimum,
            max_value=item.maximum,
            places=draw(st.integers(0, 3)),
            allow_nan=False,
            allow_infinity=False,
        )
    )
    if item.above_minimum and value == item.minimum:
        value = item.minimum + Decimal("0.5")
    return value


@pytest.mark.parametrize("key", NUMBER_KEYS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_number_in_range_round_trips_through_text_and_json(key: str, data: st.DataObject) -> None:
    item = number(key)
    value = data.draw(numbers_in_range(item))
    parsed = item.parse_text(f"  {value}  ")
    assert parsed == value
    round_trips(item, parsed)
    # A JSON number (int or float) reads the same as its text.
    if value == value.to_integral_value():
        assert item.from_json(int(value)) == value
    assert item.from_json(float(value)) == Decimal(repr(float(value)))


@st.composite
def numbers_out_of_range(draw: st.DrawFn, item: NumberSetting) -> Decimal:
    low = item.minimum if item.above_minimum else item.minimum - Decimal("0.001")
    too_low = st.decimals(max_value=low, places=3, allow_nan=False, allow_infinity=False)
    too_high = st.decimals(
        min_value=item.maximum + Decimal("0.001"), places=3, allow_nan=False, allow_infinity=False
    )
    value: Decimal = draw(st.one_of(too_low, too_high))
    return value


@pytest.mark.parametrize("key", NUMBER_KEYS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_number_out_of_range_is_refused_naming_the_key_and_the_range(
    key: str, data: st.DataObject
) -> None:
    item = number(key)
    value = data.draw(numbers_out_of_range(item))
    attempts: list[Callable[[], object]] = [
        lambda: item.parse_text(str(value)),
        lambda: item.from_json(str(value)),
        lambda: item.from_json(float(value)),
        lambda: item.check(value),
    ]
    for attempt in attempts:
        with pytest.raises(BadSetting) as caught:
            attempt()
        refused(item, str(caught.value))


@pytest.mark.parametrize("key", NUMBER_KEYS)
def test_the_ends_of_a_number_range(key: str) -> None:
    item = number(key)
    assert item.parse_text(str(item.maximum)) == item.maximum
    if item.above_minimum:
        with pytest.raises(BadSetting) as caught:
            item.parse_text(str(item.minimum))
        refused(item, str(caught.value))
        assert item.parse_text("0.01") == Decimal("0.01")
    else:
        assert item.parse_text(str(item.minimum)) == item.minimum


def test_numbers_are_kept_plainly_and_compared_by_value() -> None:
    item = number("weights.cp")
    assert item.parse_text("1.50") == Decimal("1.5")
    assert item.to_json(item.parse_text("1.50")) == "1.5"
    assert item.to_json(item.parse_text("2.0")) == "2"
    assert item.to_json(item.parse_text("1E+1")) == "10"
    assert item.to_text(item.parse_text("0.25")) == "0.25"


def test_an_accepted_number_is_stored_in_a_few_characters() -> None:
    """A number the app accepts is written to the database, the audit trail and every export:
    text such as '1e-100000' must not become a hundred thousand digits there (refusing it, or
    rounding it, are both fine)."""
    too_long = []
    for key in NUMBER_KEYS:
        item = number(key)
        for text in ("1e-100000", "0.000000000000000000000000000001", "5.000000000000000000001"):
            try:
                value = item.parse_text(text)
            except BadSetting as exc:
                refused(item, str(exc))
                continue
            if len(item.to_json(value)) > 20:
                too_long.append((key, text, len(item.to_json(value))))
    assert too_long == []


@pytest.mark.parametrize("key", WHOLE_KEYS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_whole_number_in_range_round_trips(key: str, data: st.DataObject) -> None:
    item = whole(key)
    value = data.draw(st.integers(item.minimum, item.maximum))
    assert item.parse_text(f" {value}\n") == value
    assert item.from_json(value) == value
    assert item.from_json(str(value)) == value
    round_trips(item, value)


@pytest.mark.parametrize("key", WHOLE_KEYS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_whole_number_out_of_range_is_refused(key: str, data: st.DataObject) -> None:
    item = whole(key)
    value = data.draw(
        st.one_of(st.integers(max_value=item.minimum - 1), st.integers(min_value=item.maximum + 1))
    )
    attempts: list[Callable[[], object]] = [
        lambda: item.parse_text(str(value)),
        lambda: item.from_json(value),
        lambda: item.from_json(str(value)),
    ]
    for attempt in attempts:
        with pytest.raises(BadSetting) as caught:
            attempt()
        refused(item, str(caught.value))


def one_line_texts(item: TextSetting) -> st.SearchStrategy[str]:
    alphabet = st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"
    )
    return st.text(alphabet, min_size=1 if item.required else 0, max_size=item.max_length).map(
        str.strip
    )


@pytest.mark.parametrize("key", TEXT_KEYS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_one_line_of_text_round_trips(key: str, data: st.DataObject) -> None:
    item = text_setting(key)
    value = data.draw(one_line_texts(item).filter(lambda t: bool(t) or not item.required))
    assert item.parse_text(f" {value} ") == value
    round_trips(item, value)


@PROPERTY_SETTINGS
@given(value=st.frozensets(st.sampled_from(list(Category))))
def test_a_set_of_categories_round_trips(value: frozenset[Category]) -> None:
    for key in CATEGORY_KEYS:
        item = BY_KEY[key]
        round_trips(item, value)
        typed = ";".join(c.value.upper() for c in value)
        assert item.parse_text(typed) == value


def test_no_categories_is_written_none_and_read_from_none_or_nothing() -> None:
    item = BY_KEY["limits.student"]
    assert item.to_text(frozenset()) == "none"
    assert item.parse_text("none") == frozenset()
    assert item.parse_text("  ") == frozenset()
    assert item.from_json([]) == frozenset()
    assert item.to_json(frozenset({Category.CLA, Category.CP})) == ["cla", "cp"]


def test_a_logo_round_trips_through_json_and_none_through_text() -> None:
    item = BY_KEY["records.logo"]
    assert isinstance(item, LogoSetting)
    for data, kind in ((png_bytes(), "png"), (SVG, "svg")):
        logo = logo_from_bytes(data)
        assert logo == Logo(kind, data)
        stored = json.loads(json.dumps(item.to_json(logo)))
        assert stored == {"format": kind, "data": base64.b64encode(data).decode("ascii")}
        assert item.from_json(stored) == logo
        assert item.check(logo) == logo
    assert item.to_text(None) == "none"
    assert item.parse_text("none") is None
    assert item.parse_text(" NONE ") is None
    assert item.from_json(None) is None
    assert item.to_json(None) is None


# --- Bad values ------------------------------------------------------------------------------


def test_an_unknown_key_is_refused_naming_it_and_every_key_there_is() -> None:
    for key in ("weights.unknown", "WEIGHTS.CP", "", "weights.cp "):
        with pytest.raises(BadSetting) as caught:
            setting(key)
        message = str(caught.value)
        assert repr(key) in message
        for known in BY_KEY:
            assert known in message
    assert issubclass(BadSetting, BadInput)  # the CLI exits 2 for it
    with pytest.raises(BadSetting, match=r"weights\.bogus"):
        ServiceSettings.from_values({"weights.bogus": Decimal(1)})


BAD_NUMBER_TEXT = ["", "   ", "abc", "1,5", "1.5.1", "nan", "NaN", "inf", "-Infinity", "sNaN", "½"]
BAD_NUMBER_JSON: list[Any] = [
    True,
    False,
    None,
    [1],
    {"value": 1},
    float("nan"),
    float("inf"),
    "nan",
    "",
]


@pytest.mark.parametrize("key", NUMBER_KEYS)
def test_a_number_setting_refuses_text_json_and_types_that_are_not_finite_numbers(key: str) -> None:
    item = number(key)
    for text in BAD_NUMBER_TEXT:
        with pytest.raises(BadSetting) as caught:
            item.parse_text(text)
        refused(item, str(caught.value))
    for value in BAD_NUMBER_JSON:
        with pytest.raises(BadSetting) as caught:
            item.from_json(value)
        refused(item, str(caught.value))
    for typed in (1.5, 2, True, "2", Decimal("NaN"), Decimal("Infinity"), None):
        with pytest.raises(BadSetting) as caught:
            item.check(typed)
        refused(item, str(caught.value))


BAD_WHOLE_TEXT = ["", " ", "abc", "1.5", "10.0", "1e1", "nan", "inf", "true", "ten"]
BAD_WHOLE_JSON: list[Any] = [True, False, None, 10.0, 1.5, float("nan"), [10], {"days": 10}, "x"]


@pytest.mark.parametrize("key", WHOLE_KEYS)
def test_a_whole_number_setting_refuses_fractions_booleans_and_words(key: str) -> None:
    item = whole(key)
    for text in BAD_WHOLE_TEXT:
        with pytest.raises(BadSetting) as caught:
            item.parse_text(text)
        refused(item, str(caught.value))
    for value in BAD_WHOLE_JSON:
        with pytest.raises(BadSetting) as caught:
            item.from_json(value)
        refused(item, str(caught.value))
    for typed in (True, Decimal(10), 10.0, "10"):
        with pytest.raises(BadSetting) as caught:
            item.check(typed)
        refused(item, str(caught.value))


LINE_BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("key", TEXT_KEYS)
@pytest.mark.parametrize("line_break", LINE_BREAKS, ids=repr)
def test_text_over_more_than_one_line_is_refused(key: str, line_break: str) -> None:
    item = text_setting(key)
    text = f"Exampleshire{line_break}County Council"
    assert len(text.splitlines()) == 2
    with pytest.raises(BadSetting) as caught:
        item.parse_text(text)
    refused(item, str(caught.value))
    with pytest.raises(BadSetting):
        item.from_json(text)


@pytest.mark.parametrize("key", TEXT_KEYS)
def test_text_too_long_or_not_text_is_refused(key: str) -> None:
    item = text_setting(key)
    assert item.parse_text("x" * item.max_length) == "x" * item.max_length
    for bad in ("x" * (item.max_length + 1), "y" * 5000):
        with pytest.raises(BadSetting) as caught:
            item.parse_text(bad)
        refused(item, str(caught.value))
        assert bad not in str(caught.value)  # a long text is not echoed back
    for value in (None, 5, True, ["OFFICIAL"], {"text": "x"}):
        with pytest.raises(BadSetting) as caught:
            item.from_json(value)
        refused(item, str(caught.value))


def test_the_protective_marking_cannot_be_empty_but_the_council_name_can() -> None:
    marking = text_setting("records.protective_marking")
    for empty in ("", "   ", "\n"):
        with pytest.raises(BadSetting) as caught:
            marking.parse_text(empty)
        refused(marking, str(caught.value))
    assert text_setting("records.council_name").parse_text("   ") == ""


@pytest.mark.parametrize("key", CATEGORY_KEYS)
def test_a_category_limit_refuses_an_unknown_category_naming_those_there_are(key: str) -> None:
    item = BY_KEY[key]
    for text in ("cp, lac", "child protection", "none, cp", "cp;;x"):
        with pytest.raises(BadSetting) as caught:
            item.parse_text(text)
        message = str(caught.value)
        refused(item, message)
        for category in Category:
            assert category.value in message
    for value in ("cp", {"cp": True}, ["cp", "bogus"], [1], None, True):
        with pytest.raises(BadSetting) as caught:
            item.from_json(value)
        refused(item, str(caught.value))
    for typed in ({Category.CP}, frozenset({"cp"}), ["cp"], None):
        with pytest.raises(BadSetting):
            item.check(typed)


def test_a_logo_setting_refuses_text_other_than_none_and_json_that_is_not_an_image() -> None:
    item = BY_KEY["records.logo"]
    with pytest.raises(BadSetting) as caught:
        item.parse_text("/tmp/logo.png")
    refused(item, str(caught.value))
    values: list[object] = ["logo.png", 5, [], {"format": "png"}, {"data": 5}, True]
    for value in values:
        with pytest.raises(BadSetting) as caught:
            item.from_json(value)
        refused(item, str(caught.value))
    with pytest.raises(BadSetting, match=r"records\.logo.*base64"):
        item.from_json({"format": "png", "data": "not base64!"})
    not_an_image = base64.b64encode(b"hello, world\n").decode("ascii")
    with pytest.raises(BadSetting, match=r"records\.logo"):
        item.from_json({"format": "png", "data": not_an_image})
    for typed in ("logo.png", b"\x89PNG", Logo("png", b"not a png")):
        with pytest.raises(BadSetting, match=r"records\.logo"):
            item.check(typed)


# --- Logo files ------------------------------------------------------------------------------


def test_a_real_png_and_real_svgs_are_accepted() -> None:
    png = png_bytes()
    assert logo_from_bytes(png) == Logo("png", png)
    assert logo_from_bytes(SVG) == Logo("svg", SVG)
    assert logo_from_bytes(b"\xef\xbb\xbf" + SVG).format == "svg"  # with a UTF-8 BOM
    # Inkscape and Illustrator write a DOCTYPE naming the SVG DTD: no entities, allowed.
    assert logo_from_bytes(SVG_WITH_DOCTYPE).format == "svg"
    no_prolog = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    assert logo_from_bytes(no_prolog).format == "svg"


def test_a_logo_up_to_one_megabyte_is_accepted_and_a_byte_more_is_refused() -> None:
    assert logo_from_bytes(svg_of_size(MAX_LOGO_BYTES)).format == "svg"
    with pytest.raises(BadSetting, match=r"^records\.logo: .*under 1 MB"):
        logo_from_bytes(svg_of_size(MAX_LOGO_BYTES + 1))


def test_a_png_over_one_megabyte_is_refused_before_it_is_decoded() -> None:
    noise = Image.frombytes("RGB", (640, 640), os.urandom(640 * 640 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    data = buffer.getvalue()
    assert len(data) > MAX_LOGO_BYTES
    with pytest.raises(BadSetting, match=r"records\.logo: the logo is 1\.\d MB; it must be under"):
        logo_from_bytes(data)


@pytest.mark.parametrize("keep", [0.5, 0.25])
def test_a_truncated_png_is_refused_as_damaged(keep: float) -> None:
    png = png_bytes(64, 64)
    with pytest.raises(BadSetting, match=r"^records\.logo: the PNG image is damaged"):
        logo_from_bytes(png[: int(len(png) * keep)])


def test_a_png_missing_its_end_chunk_is_refused() -> None:
    png = png_bytes()
    assert png.endswith(b"IEND\xaeB`\x82")
    with pytest.raises(BadSetting, match=r"records\.logo"):
        logo_from_bytes(png[:-12])


def test_a_png_with_a_corrupted_checksum_is_refused() -> None:
    png = bytearray(png_bytes())
    png[29] ^= 0xFF  # inside the IHDR chunk's CRC
    with pytest.raises(BadSetting, match=r"records\.logo"):
        logo_from_bytes(bytes(png))


@pytest.mark.parametrize("side", [100_000, 12_000])
def test_a_png_declaring_an_enormous_image_is_refused_not_a_crash(side: int) -> None:
    """A 'decompression bomb': a small file whose header claims billions of pixels, which
    drawing the logo onto every PDF page would try to decode."""
    data = png_declaring(side, side)
    assert len(data) < 200
    with pytest.raises(BadSetting, match=r"records\.logo"):
        logo_from_bytes(data)


@pytest.mark.parametrize(
    "data", [SVG_BILLION_LAUGHS, SVG_EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_an_svg_declaring_entities_is_refused(data: bytes) -> None:
    with pytest.raises(BadSetting, match=r"^records\.logo: the logo must be a PNG or SVG"):
        logo_from_bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Exampleshire County Council\n",
        b"%PDF-1.7\n",
        b"<html><body>logo</body></html>",
        b'<?xml version="1.0"?><note>not an svg</note>',
        b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>",
        b"\x89PNG\r\n\x1a\n",
    ],
    ids=["empty", "text", "pdf", "html", "other-xml", "malformed-svg", "png-signature-only"],
)
def test_files_that_are_not_png_or_svg_are_refused(data: bytes) -> None:
    with pytest.raises(BadSetting, match=r"^records\.logo: "):
        logo_from_bytes(data)


def test_a_jpeg_is_refused_and_the_message_names_the_key_given() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG")
    with pytest.raises(BadSetting, match=r"^records\.logo: the logo must be a PNG or SVG image"):
        logo_from_bytes(buffer.getvalue())
    with pytest.raises(BadSetting, match=r"^the logo file: "):
        logo_from_bytes(buffer.getvalue(), key="the logo file")


# --- Settings that must agree ----------------------------------------------------------------


def test_amber_above_red_is_refused_and_amber_equal_to_red_is_allowed() -> None:
    values = defaults()
    values["rag.amber_from_percent"] = Decimal(101)
    with pytest.raises(BadSetting) as caught:
        check_together(values)
    message = str(caught.value)
    assert "rag.amber_from_percent" in message and "rag.red_above_percent" in message
    assert "101" in message and "100" in message
    with pytest.raises(BadSetting, match=r"rag\.amber_from_percent"):
        ServiceSettings.from_values({"rag.red_above_percent": Decimal(80)})
    values["rag.amber_from_percent"] = Decimal(100)
    check_together(values)
    both = ServiceSettings.from_values(
        {"rag.amber_from_percent": Decimal(120), "rag.red_above_percent": Decimal(150)}
    )
    assert (both.rules.amber_from_percent, both.rules.red_above_percent) == (
        Decimal(120),
        Decimal(150),
    )


@PROPERTY_SETTINGS
@given(
    amber=st.decimals(min_value=Decimal("0.5"), max_value=300, places=1),
    red=st.decimals(min_value=Decimal("0.5"), max_value=300, places=1),
)
def test_check_together_refuses_exactly_when_amber_is_above_red(
    amber: Decimal, red: Decimal
) -> None:
    values = {**defaults(), "rag.amber_from_percent": amber, "rag.red_above_percent": red}
    if amber > red:
        with pytest.raises(BadSetting):
            check_together(values)
    else:
        check_together(values)


# --- When the next visit is due --------------------------------------------------------------

RULES_15_25_4 = PracticeRules(
    cp_visit_working_days=15, cin_visit_working_days=25, cla_visit_weeks=4
)


@pytest.mark.parametrize(
    ("category", "last_visit", "rules", "due"),
    [
        # 10 working days from Thu 26 Nov 2026: 27, 30 Nov, 1-4, 7-10 Dec.
        (Category.CP, dt.date(2026, 11, 26), PracticeRules(), dt.date(2026, 12, 10)),
        # Over Christmas: 25 and 28 Dec (Boxing Day observed) and 1 Jan are not working days.
        (Category.CP, dt.date(2026, 12, 18), PracticeRules(), dt.date(2027, 1, 6)),
        (Category.CP, dt.date(2026, 12, 18), RULES_15_25_4, dt.date(2027, 1, 13)),
        # Over Easter 2027: Good Friday 26 Mar and Easter Monday 29 Mar.
        (Category.CP, dt.date(2027, 3, 25), PracticeRules(), dt.date(2027, 4, 12)),
        # A visit on a Saturday counts from the next working day.
        (Category.CP, dt.date(2026, 11, 28), PracticeRules(), dt.date(2026, 12, 11)),
        (Category.CIN, dt.date(2026, 11, 26), PracticeRules(), dt.date(2026, 12, 24)),
        (Category.CIN, dt.date(2026, 11, 26), RULES_15_25_4, dt.date(2027, 1, 5)),
        (Category.CLA, dt.date(2026, 11, 26), PracticeRules(), dt.date(2027, 1, 7)),
        (Category.CLA, dt.date(2026, 11, 26), RULES_15_25_4, dt.date(2026, 12, 24)),
    ],
)
def test_the_next_visit_is_due_by_the_councils_timescale(
    category: Category, last_visit: dt.date, rules: PracticeRules, due: dt.date
) -> None:
    recorded = dt.date(2030, 1, 1)  # ignored when there is a last visit and a rule
    assert visit_due(category, last_visit, rules, recorded) == due
    assert visit_due(category, last_visit, rules) == due


@pytest.mark.parametrize("category", [Category.REFERRAL, Category.ASSESSMENT, Category.CARE_LEAVER])
def test_categories_without_a_visiting_rule_keep_the_recorded_due_date(category: Category) -> None:
    recorded = dt.date(2026, 12, 3)
    assert visit_due(category, dt.date(2026, 11, 2), RULES_15_25_4, recorded) == recorded
    assert visit_due(category, dt.date(2026, 11, 2), RULES_15_25_4) is None


@pytest.mark.parametrize("category", list(Category))
def test_with_no_last_visit_the_recorded_due_date_applies(category: Category) -> None:
    recorded = dt.date(2026, 12, 1)
    assert visit_due(category, None, RULES_15_25_4, recorded) == recorded
    assert visit_due(category, None, PracticeRules()) is None


@PROPERTY_SETTINGS
@given(
    last=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
    days=st.integers(1, 59),
)
def test_a_longer_cp_timescale_always_gives_a_later_working_day(last: dt.date, days: int) -> None:
    shorter = visit_due(Category.CP, last, PracticeRules(cp_visit_working_days=days))
    longer = visit_due(Category.CP, last, PracticeRules(cp_visit_working_days=days + 1))
    assert shorter is not None and longer is not None
    assert last < shorter < longer
    assert is_working_day(shorter) and is_working_day(longer)
