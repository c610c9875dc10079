"""Point sets written a column at a time (issue 15) against the row writer, byte for byte.

The row writer is the record-at-a-time path that stays for the points that are not like the others:
`records` (one JSON object per point) and `csv_row` with `csv.writer`. The column writer must give the
same bytes on any point set: failed points, kinks, several outputs, --dir, chunk edges, extreme numbers.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adcli import api
from adcli.batch.inputs import ARG, Item
from adcli.batch.run import Outcome, Summary
from adcli.language.parser import Binding
from adcli.render import batch as render_batch
from adcli.render import columns, records
from adcli.render import results as render

PROBLEMS = [  # (text, command, direction): failures (log, sqrt, 1/x), kinks (abs, max), several outputs
    ("sin(x)*exp(-x^2/10) + x^3", "grad", None),
    ("log(x) + abs(y), x*y", "jac", None),
    ("max(x, y)*sqrt(x + 1)", "grad", None),
    ("x/y", "eval", None),
    ("x*y, x + y", "jac", {"x": 1.0, "y": 0.0}),
    ("1/(x - y) + y^2", "grad", None),
]
NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.1, 1e-300, 5e-324, 1e300, -2.5, 1 / 3]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


def outcome(text: str, command: str, direction: dict | None, point: dict | list) -> Outcome:
    if isinstance(point, dict):  # a list of values is a set of points (a numpy array would be one array value)
        point = [Binding(k, list(np.atleast_1d(v)), "list" if np.ndim(v) else "value") for k, v in point.items()]
    problem = api.prepare(text, point, each_point=True)
    if command == "eval":
        result = api.evaluate_problem(problem)
    else:
        result = api.differentiate(problem, "auto", direction)
    return Outcome(Item(text, ARG, 1), result)


def by_columns(fmt: str, outcomes: list[Outcome], command: str) -> str:
    out = io.StringIO()
    sink = render_batch.sink(fmt, command, 6, out, io.StringIO())
    for o in outcomes:
        sink.emit(o)
    sink.close(Summary())
    return out.getvalue()


def _full(o: Outcome, record: dict) -> dict:
    """csv has every column on every row: a lean record's input is its problem's; a failed point of a set
    has an empty warnings cell (as csv always had: its error cell says what happened)."""
    if "point" in record and "error" in record and o.error is None:
        record = {**record, "warnings": []}
    return {"input": o.item.text, **record}


def by_rows(fmt: str, outcomes: list[Outcome], command: str) -> str:
    """The row writer: every record through records(), csv_row() and csv.writer."""
    found = [r for o in outcomes for r in records.records(o, command)]
    if fmt == "jsonl":
        return "".join(render.dumps(r) + "\n" for r in found)
    rows = [records.csv_row(_full(o, r)) for o in outcomes for r in records.records(o, command)]
    seen: dict[str, int] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, len(seen))
    for name in (*records.LEAD, *records.TAIL):
        seen.setdefault(name, len(seen))
    header = sorted(seen, key=lambda c: (records.group(c), seen[c]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([row.get(h) for h in header] for row in rows)
    return out.getvalue()


@given(
    problem=st.sampled_from(PROBLEMS),
    xs=st.lists(NUMBERS, min_size=1, max_size=9),
    ys=st.lists(NUMBERS, min_size=1, max_size=4),
    chunk=st.integers(min_value=1, max_value=7),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_the_column_writer_writes_the_row_writers_bytes(
    problem: tuple, xs: list[float], ys: list[float], chunk: int, fmt: str
) -> None:
    text, command, direction = problem
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "CHUNK", chunk)  # chunk edges anywhere
        try:
            one = outcome(text, command, direction, {"x": np.array(xs), "y": np.array(ys[:1] * len(xs))})
        except api.AdcliError as exc:  # every point failed: one error, no point set to write
            assert exc.kind in ("domain_error", "nonfinite")
            return
        assert by_columns(fmt, [one], command) == by_rows(fmt, [one], command)


def test_a_batch_that_mixes_columns_gives_the_row_writers_csv() -> None:
    """Problems with other variables and outputs: the spooled blocks are laid out under the union header."""
    outcomes = [
        outcome("x*y", "jac", None, {"x": np.array([1.0, 2.0]), "y": 3.0}),
        outcome("x^2", "jac", None, {"x": 4.0}),
        outcome("z, z^2", "jac", None, {"z": np.array([0.5, -1.0, 2.0])}),
        outcome("x*y", "jac", None, {"x": np.array([5.0, 6.0]), "y": 7.0}),
        Outcome(Item("(x", "f", 9), error=api.AdcliError("syntax_error", "unexpected end", line=1, column=3)),
    ]
    assert by_columns("csv", outcomes, "jac") == by_rows("csv", outcomes, "jac")


def test_csv_digits_round_trip_exactly() -> None:
    """Every number in the csv is Python's shortest repr of the float computed: float(cell) is it exactly."""
    x = np.array([0.1, 1 / 3, 1e-300, 5e-324, 123456.789, -0.0, 2.0**0.5, 1e22])
    one = outcome("x*exp(x/1e30), x", "jac", None, {"x": x})
    rows = list(csv.DictReader(io.StringIO(by_columns("csv", [one], "jac"))))
    for k, row in enumerate(rows):
        for name, values in (("x", x), ("f1", one.result.value[0]), ("d(f1)/d(x)", one.result.jacobian[0][0])):
            number = float(values[k])
            assert row[name] == repr(number) and float(row[name]) == number
            assert math.copysign(1, float(row[name])) == math.copysign(1, number)


def test_a_file_name_like_a_placeholder_changes_nothing() -> None:
    one = outcome("x^2", "grad", None, {"x": np.array([1.0, 2.0])})
    one = Outcome(Item("x^2", "a\x010\x01b", 1), one.result)
    assert by_columns("jsonl", [one], "grad") == by_rows("jsonl", [one], "grad")


def test_a_jsonl_point_set_is_lean_after_its_first_result() -> None:
    one = outcome("log(x)*y", "grad", None, {"x": np.array([-1.0, 2.0, 3.0]), "y": 2.0})
    import json

    got = [json.loads(line) for line in by_columns("jsonl", [one], "grad").splitlines()]
    assert got[0]["error"]["kind"] == "domain_error"  # the failed point: its error record, as before
    assert "read_as" in got[1] and "cost" in got[1]  # the first result: the whole object
    assert list(got[2]) == ["file", "line", "point", "wrt", "at", "value", "jacobian", "gradient", "warnings"]
    assert got[2]["at"] == {"x": 3.0, "y": 2.0} and got[2]["gradient"] == [2 / 3, math.log(3.0)]


def test_joined_rows() -> None:
    assert columns.joined(["a", ["1", "2"], "b", "c", ["x", "y"]], 2) == "a,1,b,c,x\na,2,b,c,y\n"
    assert columns.joined(["a", "b"], 2) == "a,b\na,b\n"
    assert columns.joined([["1"]], 0) == ""
    assert columns.csv_cell('say "hi", then go') == '"say ""hi"", then go"'
    assert columns.csv_cell("two\nlines") == '"two\nlines"'
    assert columns.json_floats(np.array([1.5, math.inf, math.nan])) == ["1.5", "null", "null"]


def test_a_placeholder_collision_falls_back_to_the_row_writer() -> None:
    text = render.dumps({"file": "\x010\x01", "a": columns.slot(0)})
    assert columns.template_rows(text, [["1"]], 1, 1) is None
    assert columns.template_rows(render.dumps({"a": columns.slot(0)}), [["1"]], 1, 1) == ['{"a": 1}']
