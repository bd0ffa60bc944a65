"""Reading extracts: headers, dates, vocabularies, and every kind of bad row named with its line.

The rules are pure (``domain.imports``): these tests build sheets of cells in memory and check
what ``validate`` makes of them, against a ``Known`` standing in for the database.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.categories import Category, Employment, Risk, Role, WorkerStatus
from caseload_desktop.domain.imports import (
    ANNEX_A,
    BUILT_IN,
    TEMPLATE,
    Cell,
    ColumnMapping,
    Kind,
    Known,
    NotText,
    Problem,
    Sheet,
    UnlistedWorker,
    csv_sheet,
    decode_text,
    header_key,
    parse_date_cell,
    parse_employment,
    parse_fte,
    parse_role,
    parse_status,
    parse_yes_no,
    resolve_columns,
    unlisted_staff_id,
    validate,
)
from caseload_desktop.domain.names import fold_name

TODAY = dt.date(2026, 11, 26)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)
NBSP = "\u00a0"

KNOWN = Known(
    teams={"assessment north": 1, "care leavers": 2},
    staff={"S1": 11, "S2": 12, "TM1": 13},
    names={"sam reid": (11,), "ama osei": (12,), "chris twin": (14, 15)},
    staff_ids={11: "S1", 12: "S2", 13: "TM1", 14: "S14", 15: "S15"},
)

CASE_HEADER = (
    "case_ref",
    "child_id",
    "child_name",
    "date_of_birth",
    "family_group",
    "team",
    "category",
    "opened_on",
    "allocated_worker",
    "allocated_on",
    "next_visit_due",
)
GOOD_CASE = (
    "C-1",
    "CH1",
    "Ava Reid",
    "2015-03-09",
    "FG1",
    "Assessment North",
    "CIN",
    "2026-08-04",
    "S1",
    "2026-08-05",
    "2026-12-02",
)
WORKER_HEADER = ("staff_id", "name", "role", "employment", "fte", "team", "start_date", "end_date")
GOOD_WORKER = ("S9", "Nia Lloyd", "Social worker", "agency", "0.8", "New Team", "2026-01-05", "")


def sheet(header: Sequence[Cell], *rows: Sequence[Cell], name: str | None = None) -> Sheet:
    """A sheet whose header is line 1 and whose rows follow on lines 2, 3, ..."""
    return Sheet(name, [(1, list(header)), *((i, list(r)) for i, r in enumerate(rows, start=2))])


def cases(*rows: Sequence[Cell], mapping: ColumnMapping = TEMPLATE, known: Known = KNOWN):
    return validate([sheet(CASE_HEADER, *rows)], Kind.CASES, mapping, known, today=TODAY)


def with_cell(row: Sequence[Cell], column: str, value: Cell) -> tuple[Cell, ...]:
    cells = list(row)
    cells[CASE_HEADER.index(column)] = value
    return tuple(cells)


def only_problem(problems: Sequence[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --- Headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["date_of_birth", "Date of Birth", "DATE OF BIRTH", " date_of_birth ", "Date-of-Birth"],
)
def test_headers_match_ignoring_case_spaces_underscores_and_punctuation(header: str) -> None:
    assert header_key(header) == header_key("date_of_birth")


def test_template_headers_are_found_in_any_order_and_spelling() -> None:
    header = ["Allocated Worker", "CASE REF", "Child ID", "Child Name", "Team", "Category"]
    header += ["Opened On", "Unknown extra"]
    header[1] = "Case_Ref"
    columns, problems = resolve_columns(header, 1, TEMPLATE, Kind.CASES, None)
    assert problems == []
    assert columns.at["case_ref"] == 1
    assert columns.at["allocated_worker"] == 0
    assert columns.ignored == ("Unknown extra",)


def test_a_missing_required_column_is_refused_by_name() -> None:
    header = [h for h in CASE_HEADER if h != "team"]
    _columns, problems = resolve_columns(header, 1, TEMPLATE, Kind.CASES, None)
    problem = only_problem(problems)
    assert (problem.line, problem.column) == (1, "team")
    assert "required column team" in problem.message


def test_a_doubled_column_is_a_problem() -> None:
    _columns, problems = resolve_columns([*CASE_HEADER, "Team"], 1, TEMPLATE, Kind.CASES, None)
    assert "two columns are called 'team'" in only_problem(problems).message


def test_a_title_above_the_header_is_skipped() -> None:
    title = Sheet(None, [(1, ["Open cases, Northshire"]), (3, list(CASE_HEADER)), (4, GOOD_CASE)])
    result = validate([title], Kind.CASES, TEMPLATE, KNOWN, today=TODAY)
    assert result.problems == []
    assert [r.line for r in result.records] == [4]


# --- Cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26", dt.date(2026, 11, 26)),
        ("2026-1-5", dt.date(2026, 1, 5)),
        ("26/11/2026", dt.date(2026, 11, 26)),
        ("03/04/2026", dt.date(2026, 4, 3)),  # 3 April: day first, never month first
        ("3.4.2026", dt.date(2026, 4, 3)),
        ("2026-11-26 00:00:00", dt.date(2026, 11, 26)),
        (dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
        (dt.datetime(2026, 11, 26, 0, 0), dt.date(2026, 11, 26)),
    ],
)
def test_dates_are_iso_or_day_first(text: Cell, expected: dt.date) -> None:
    assert parse_date_cell(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12/31/2026", "not a real date (dates are day first"),  # month first is refused
        ("31/02/2026", "not a real date"),
        ("2026-02-30", "not a real date"),
        ("tomorrow", "not a date"),
        ("26/11/26", "write the year in full"),
        ("01/01/0026", "impossible date"),
        ("2201-01-01", "impossible date"),
    ],
)
def test_bad_and_impossible_dates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_date_cell(text)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Social Worker", Role.SOCIAL_WORKER),
        ("SW", Role.SOCIAL_WORKER),
        ("social_worker", Role.SOCIAL_WORKER),
        ("Senior Social Worker", Role.SENIOR_PRACTITIONER),
        ("NQSW", Role.ASYE),
        ("Newly qualified (ASYE)", Role.ASYE),
        ("Student social worker", Role.STUDENT),
        ("FSW", Role.FAMILY_SUPPORT_WORKER),
        ("TM", Role.TEAM_MANAGER),
        ("Team Manager", Role.TEAM_MANAGER),
        ("Service manager", Role.SERVICE_MANAGER),
    ],
)
def test_roles_accept_common_spellings(text: str, role: Role) -> None:
    assert parse_role(text) is role


@pytest.mark.parametrize(
    ("text", "employment"),
    [
        ("Permanent", Employment.PERMANENT),
        ("perm", Employment.PERMANENT),
        ("Agency", Employment.AGENCY),
        ("Locum", Employment.LOCUM),
        ("Interim", Employment.LOCUM),
        ("locum/interim", Employment.LOCUM),
    ],
)
def test_employment_accepts_common_spellings(text: str, employment: Employment) -> None:
    assert parse_employment(text) is employment


def test_unknown_vocabulary_is_refused_with_the_accepted_words() -> None:
    with pytest.raises(ValueError, match="expected one of Social worker"):
        parse_role("wizard")
    with pytest.raises(ValueError, match="permanent, agency or locum"):
        parse_employment("volunteer")
    with pytest.raises(ValueError, match="active, or inactive"):
        parse_status("on holiday")
    with pytest.raises(ValueError, match="yes or no"):
        parse_yes_no("maybe")
    assert parse_status("Long-term absence") is WorkerStatus.INACTIVE


@pytest.mark.parametrize(
    ("text", "fte"), [("1", "1.00"), ("0.8", "0.80"), ("0.75", "0.75"), ("80%", "0.80")]
)
def test_fte_is_a_fraction_of_full_time(text: str, fte: str) -> None:
    assert parse_fte(text) == Decimal(fte)


@pytest.mark.parametrize("text", ["0", "1.5", "-0.5", "0.333", "full", "NaN", "Infinity"])
def test_fte_out_of_range_or_unreadable_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fte(text)


def test_names_fold_case_and_odd_spaces() -> None:
    assert fold_name(f"  Sam{NBSP}  REID ") == "sam reid"


# --- Text files ---------------------------------------------------------------------------------


def test_utf8_with_and_without_bom_and_windows_1252_are_read() -> None:
    assert decode_text("Zoë".encode()) == ("Zoë", "utf-8")
    assert decode_text(codecs.BOM_UTF8 + "Zoë".encode()) == ("Zoë", "utf-8-sig")
    assert decode_text("Zoë, £".encode("cp1252")) == ("Zoë, £", "windows-1252")
    assert decode_text("Zoë".encode("utf-16")) == ("Zoë", "utf-16")


def test_bytes_that_are_no_text_name_their_line() -> None:
    with pytest.raises(NotText) as caught:
        decode_text(b"a,b\nc,d\n\x81\x8d\x8f\n")  # undefined in Windows-1252 too
    assert caught.value.line == 3


def test_csv_rows_keep_their_file_lines() -> None:
    text = 'a,b\r\n\r\n"two\nlines",x\r\nz,y\r\n'
    found = csv_sheet(text)
    assert [line for line, _ in found.rows] == [1, 3, 5]
    assert found.rows[1][1] == ["two\nlines", "x"]


def test_csv_rows_a_line_each_are_numbered_by_line_and_blank_ones_left_out() -> None:
    found = csv_sheet("a,b\n\n , \nc,d\r\n e ,\n")
    assert list(found.rows) == [(1, ["a", "b"]), (4, ["c", "d"]), (5, [" e ", ""])]
    assert found.problems == ()


def test_the_separator_is_found_after_a_long_run_of_blank_lines() -> None:
    found = csv_sheet("\n" * 70_000 + "a;b;c\n1;2,5;3\n")
    assert list(found.rows) == [(70_001, ["a", "b", "c"]), (70_002, ["1", "2,5", "3"])]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(separator: str) -> None:
    found = csv_sheet(f"a{separator}b{separator}c\n1{separator}2,5{separator}3\n")
    assert found.rows[1][1] == ["1", "2,5", "3"]


def test_a_nul_character_is_a_problem_on_its_line() -> None:
    found = csv_sheet("a,b\nc,d\ne\x00f,g\n")
    assert [line for line, _ in found.rows] == [1, 2]
    assert only_problem(found.problems).line == 3


# --- Rows ---------------------------------------------------------------------------------------


def test_a_good_case_row_reads_into_its_fields() -> None:
    result = cases(GOOD_CASE)
    assert result.problems == []
    values = result.records[0].values
    assert values["team"] == 1
    assert values["allocated_worker"] == 11
    assert values["category"] is Category.CIN
    assert values["opened_on"] == dt.date(2026, 8, 4)
    assert "closed_on" not in values  # no column: left as it is


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("team", "Nowhere", "no such team"),
        ("allocated_worker", "S404", "no worker with this staff ID"),
        ("opened_on", "2026-13-01", "not a real date"),
        ("opened_on", "12/31/2026", "day first"),
        ("opened_on", "soon", "not a date"),
        ("date_of_birth", "1066-10-14", "impossible date"),
        ("child_name", "", "a value is required"),
        ("case_ref", "  ", "a value is required"),
        ("category", "CINN", "unknown category"),
        ("team", "#N/A", "spreadsheet error (#N/A)"),
        ("child_name", "=VLOOKUP(A2,B:C,2)", "spreadsheet formula"),
        ("case_ref", "C" * 41, "longer than 40 characters"),
    ],
)
def test_each_kind_of_bad_cell_is_named_with_line_column_and_value(
    column: str, value: str, message: str
) -> None:
    bad = with_cell(("C-2", *GOOD_CASE[1:]), column, value)
    result = cases(GOOD_CASE, bad)
    problem = only_problem(result.problems)
    assert (problem.line, problem.column, problem.value) == (3, column, value)
    assert message in problem.message
    assert [r.line for r in result.records] == [2]  # the bad row is not among the records


def test_a_duplicate_reference_names_both_lines() -> None:
    result = cases(GOOD_CASE, with_cell(GOOD_CASE, "child_id", "CH2"))
    problem = only_problem(result.problems)
    assert (problem.line, problem.column, problem.value) == (3, "case_ref", "C-1")
    assert "also on line 2" in problem.message


def test_references_are_duplicates_whatever_their_case() -> None:
    result = cases(GOOD_CASE, with_cell(with_cell(GOOD_CASE, "case_ref", "c-1"), "child_id", "X"))
    assert "also on line 2" in only_problem(result.problems).message


def test_a_child_on_two_rows_must_agree_with_itself() -> None:
    second = with_cell(with_cell(GOOD_CASE, "case_ref", "C-2"), "child_name", "Eva Reid")
    problem = only_problem(cases(GOOD_CASE, second).problems)
    assert (problem.line, problem.column) == (3, "child_name")
    assert "child CH1 is on line 2 with another child name" in problem.message


def test_dates_out_of_order_are_problems() -> None:
    early = with_cell(GOOD_CASE, "allocated_on", "2026-08-01")
    problem = only_problem(cases(early).problems)
    assert (problem.line, problem.column) == (2, "allocated_on")
    assert "allocated before the case opened" in problem.message
    late = ("S9", "Nia Lloyd", "SW", "", "", "New Team", "2026-01-05", "2025-12-31")
    result = validate([sheet(WORKER_HEADER, late)], Kind.WORKERS, TEMPLATE, KNOWN, today=TODAY)
    assert "end date is before the start date" in only_problem(result.problems).message


def test_a_ragged_row_is_a_problem_but_empty_trailing_cells_are_not() -> None:
    result = cases((*GOOD_CASE, "", " "), (*with_cell(GOOD_CASE, "case_ref", "C-2"), "extra"))
    problem = only_problem(result.problems)
    assert problem.line == 3
    assert "12 values but the header has 11 columns" in problem.message


def test_a_short_row_reads_its_missing_cells_as_empty() -> None:
    result = cases(GOOD_CASE[:9])
    assert result.problems == []
    assert result.records[0].values["next_visit_due"] is None


def test_defused_values_lose_their_apostrophe() -> None:
    result = cases(with_cell(GOOD_CASE, "child_name", "'-Ava"))
    assert result.records[0].values["child_name"] == "-Ava"


def test_empty_or_unallocated_worker_means_an_unallocated_case() -> None:
    for text in ("", "Unallocated", "not allocated"):
        result = cases(with_cell(GOOD_CASE, "allocated_worker", text))
        assert result.records[0].values["allocated_worker"] is None, text


def test_a_team_managers_staff_id_is_just_a_worker() -> None:
    result = cases(with_cell(GOOD_CASE, "allocated_worker", "tm1"))
    assert result.records[0].values["allocated_worker"] == 13


def test_workers_name_new_teams_instead_of_failing() -> None:
    result = validate(
        [
            sheet(
                WORKER_HEADER,
                GOOD_WORKER,
                ("S10", "Ben Hall", "TM", "", "", "new  team", "1/2/2020", ""),
            )
        ],
        Kind.WORKERS,
        TEMPLATE,
        KNOWN,
        today=TODAY,
    )
    assert result.problems == []
    assert result.new_teams == {"new team": "New Team"}
    first, second = (r.values for r in result.records)
    assert first["fte"] == Decimal("0.80")
    assert first["employment"] is Employment.AGENCY
    assert second["employment"] is Employment.PERMANENT  # blank: the template's default
    assert second["fte"] == Decimal("1.00")
    assert second["start_date"] == dt.date(2020, 2, 1)


def test_every_problem_of_a_file_is_reported_in_line_order() -> None:
    rows = [
        with_cell(("C-2", *GOOD_CASE[1:]), "category", "??"),
        with_cell(("C-3", *GOOD_CASE[1:]), "team", "Nowhere"),
        with_cell(("C-4", *GOOD_CASE[1:]), "opened_on", "31/09/2026"),
    ]
    result = cases(GOOD_CASE, *rows)
    assert [(p.line, p.column) for p in result.problems] == [
        (3, "category"),
        (4, "team"),
        (5, "opened_on"),
    ]


# --- Annex A ------------------------------------------------------------------------------------

ANNEX_HEADER = (
    "Child Unique ID",
    "Gender",
    "Date of Birth",
    "Age",
    "Child Protection Plan Start Date",
    "Child Protection Plan End Date",
    "Allocated Team",
    "Allocated Worker",
)


def annex(name: str, header: Sequence[str], *rows: Sequence[Cell]) -> Sheet:
    return sheet(header, *rows, name=name)


def test_annex_a_lists_are_known_by_their_columns() -> None:
    row = ("1234567", "a) Male", dt.date(2019, 1, 5), "7.9", dt.date(2026, 10, 2), "")
    cp = annex("List 7", ANNEX_HEADER, (*row, "Assessment North", f"Sam{NBSP}Reid"))
    result = validate([cp], Kind.CASES, ANNEX_A, KNOWN, today=TODAY)
    assert result.problems == []
    values = result.records[0].values
    assert values["case_ref"] == values["child_id"] == values["child_name"] == "1234567"
    assert values["category"] is Category.CP
    assert values["opened_on"] == dt.date(2026, 10, 2)
    assert values["allocated_worker"] == 11  # by name, the non-breaking space folded
    assert values["closed_on"] is None


def test_annex_a_worker_not_on_the_staff_list_is_recorded_as_unlisted() -> None:
    cp = annex(
        "List 7", ANNEX_HEADER, ("1", "", "", "", "2026-10-02", "", "Care Leavers", "Jo Gone")
    )
    result = validate([cp], Kind.CASES, ANNEX_A, KNOWN, today=TODAY)
    assert result.problems == []
    assert result.records[0].values["allocated_worker"] == UnlistedWorker("Jo Gone")
    assert result.unlisted == {"jo gone": "Jo Gone"}
    assert unlisted_staff_id("jo  GONE") == unlisted_staff_id("Jo Gone")
    assert any("not on the staff list" in note for note in result.notes)


def test_annex_a_name_shared_by_two_workers_asks_for_a_staff_id() -> None:
    cp = annex(
        "List 7", ANNEX_HEADER, ("1", "", "", "", "2026-10-02", "", "Care Leavers", "Chris Twin")
    )
    problem = only_problem(validate([cp], Kind.CASES, ANNEX_A, KNOWN, today=TODAY).problems)
    assert "more than one worker has this name" in problem.message
    assert "S14, S15" in problem.message


def test_annex_a_child_on_several_lists_is_one_case_from_the_later_list() -> None:
    referral = ("Child Unique ID", "Date of Referral", "Allocated Team", "Allocated Worker")
    cin = (
        "Child Unique ID",
        "CIN Start Date",
        "CIN Closure Date",
        "Allocated Team",
        "Allocated Worker",
    )
    sheets = [
        annex(
            "List 3",
            referral,
            ("7", "2026-09-01", "Care Leavers", "S1"),
            ("8", "2026-09-02", "Care Leavers", "S1"),
        ),
        annex(
            "List 6",
            cin,
            ("7", "2026-09-10", "", "Care Leavers", "S2"),
            ("8", "2026-09-10", "2026-11-01", "Care Leavers", "S2"),
        ),
        annex("List 1", ("Child Unique ID", "Date of Contact"), ("9", "2026-11-01")),
    ]
    result = validate(sheets, Kind.CASES, ANNEX_A, KNOWN, today=TODAY)
    assert result.problems == []
    by_child = {r.values["child_id"]: r for r in result.records}
    assert by_child["7"].values["category"] is Category.CIN  # the later list
    assert by_child["7"].values["allocated_worker"] == 12
    assert by_child["8"].values["category"] is Category.REFERRAL  # open before closed
    assert any("List 1" in note for note in result.notes)


def test_annex_a_duplicate_within_one_list_is_a_problem() -> None:
    rows = [("7", "", "", "", "2026-10-02", "", "Care Leavers", "S1")] * 2
    result = validate(
        [annex("List 7", ANNEX_HEADER, *rows)], Kind.CASES, ANNEX_A, KNOWN, today=TODAY
    )
    assert "also on line 2" in only_problem(result.problems).message


def test_annex_a_list_without_a_start_date_takes_the_day_of_the_import_for_new_cases() -> None:
    leavers = ("Child Unique ID", "Allocated Team", "Allocated Worker", "Eligibility Category")
    result = validate(
        [annex("List 9", leavers, ("5", "Care Leavers", "S1", "b) Former relevant child"))],
        Kind.CASES,
        ANNEX_A,
        KNOWN,
        today=TODAY,
    )
    record = result.records[0]
    assert record.values["category"] is Category.CARE_LEAVER
    assert "opened_on" not in record.values
    assert record.defaults == {"opened_on": TODAY}


def test_spreadsheet_errors_are_problems_in_any_column() -> None:
    cp = annex("List 7", ANNEX_HEADER, ("1", "", "", "", "2026-10-02", "", "#N/A", "#N/A"))
    result = validate([cp], Kind.CASES, ANNEX_A, KNOWN, today=TODAY)
    assert [(p.sheet, p.line, p.column) for p in result.problems] == [
        ("List 7", 2, "Allocated Team"),
        ("List 7", 2, "Allocated Worker"),
    ]


# --- Mappings -----------------------------------------------------------------------------------


def test_mappings_survive_json() -> None:
    for mapping in BUILT_IN.values():
        assert ColumnMapping.from_json(mapping.as_json()) == mapping


def test_a_users_mapping_puts_their_headers_first() -> None:
    mine = TEMPLATE.with_columns({"case_ref": "Case No", "team": "Locality"}, Kind.CASES)
    assert mine.columns["case_ref"][0] == "Case No"
    assert mine.kind is Kind.CASES
    with pytest.raises(ValueError, match="no field wizard"):
        TEMPLATE.with_columns({"wizard": "x"}, Kind.CASES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a JSON object"),
        ({"name": ""}, "no name"),
        ({"name": "x", "kind": "pets"}, "kind must be"),
        ({"name": "x", "columns": {"nope": "A"}}, "no field 'nope'"),
        ({"name": "x", "columns": {"team": 3}}, "a header or a list"),
        ({"name": "x", "category_by_column": {"A": "cinn"}}, "categories are"),
        ({"name": "x", "workers_by": "shoe size"}, "workers_by"),
    ],
)
def test_a_broken_mapping_is_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ColumnMapping.from_json(data)


def test_a_bad_default_in_a_mapping_is_a_problem_of_the_header() -> None:
    mapping = ColumnMapping(
        name="mine", kind=Kind.CASES, columns=dict(TEMPLATE.columns), defaults={"risk": "dire"}
    )
    result = cases(GOOD_CASE, mapping=mapping)
    problem = only_problem(result.problems)
    assert (problem.line, problem.column) == (1, "risk")
    assert "the mapping's default: unknown risk" in problem.message
    fine = ColumnMapping(
        name="m", kind=Kind.CASES, columns=dict(TEMPLATE.columns), defaults={"risk": "high"}
    )
    assert cases(GOOD_CASE, mapping=fine).records[0].defaults == {"risk": Risk.HIGH}


# --- Never a crash --------------------------------------------------------------------------------

_cell = st.one_of(
    st.sampled_from(["", " ", "#N/A", "=A1", "'=A1", "Unallocated", "S1", "CIN", "cp", "LAC"]),
    st.sampled_from(["2026-11-26", "31/02/2026", "12/31/2026", "0.8", "Assessment North"]),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2300, 1, 1)),
)


@PROPERTY_SETTINGS
@given(
    header=st.lists(
        st.sampled_from([*CASE_HEADER, *WORKER_HEADER, "Child Unique ID", "Allocated Team", "x"]),
        max_size=14,
    ),
    rows=st.lists(st.lists(_cell, max_size=16), max_size=8),
    kind=st.sampled_from(list(Kind)),
    mapping=st.sampled_from([TEMPLATE, ANNEX_A]),
)
def test_validate_never_raises_and_every_row_is_a_record_or_a_problem(
    header: list[str], rows: list[list[Cell]], kind: Kind, mapping: ColumnMapping
) -> None:
    if mapping.kind not in (None, kind):
        return
    result = validate([sheet(header, *rows)], kind, mapping, KNOWN, today=TODAY)
    lines_with_problems = {p.line for p in result.problems}
    assert result.rows <= len(rows)
    for record in result.records:
        assert record.line not in lines_with_problems
    if not result.problems:
        assert len(result.records) <= result.rows
