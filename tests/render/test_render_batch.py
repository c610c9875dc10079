"""Batch output formats against their schemas (README, "Batch output formats"): jsonl, json, csv, text."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from conftest import ROOT
from rich.console import Console
from typer.testing import CliRunner

from adcli import api
from adcli.batch.inputs import ARG, Item
from adcli.batch.run import Outcome, Summary
from adcli.cli.app import app
from adcli.core.errors import AdcliError
from adcli.render import batch as render_batch

RUNNER = CliRunner()

#: key -> type(s) of a result record; (key, commands) it appears for.
RESULT = {
    "file": str,
    "line": int,
    "point": int,
    "input": str,
    "read_as": str,
    "outputs": list,
    "wrt": list,
    "at": dict,
    "mode": (str, type(None)),
    "sweeps": int,
    "value": list,
    "warnings": list,
    "notes": list,
    "cost": dict,
}
BY_COMMAND = {"eval": set(), "jac": {"jacobian"}, "grad": {"jacobian", "gradient"}}
ERROR = {"file": str, "line": (int, type(None)), "input": (str, type(None)), "error": dict, "warnings": list}
ERROR_OBJECT = {"kind": str, "message": str, "line": (int, type(None)), "column": (int, type(None))}
PROBLEMS = "sin(x)*y\nx*y, x + y at x=2\nlog(x) at x=-1\n(x\n"


def run(*args: str, stdin: str | None = None):  # noqa: ANN201 - typer's Result
    result = RUNNER.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"adcli {' '.join(args)!r} crashed") from result.exception
    return result


def check(record: dict, schema: dict) -> None:
    for key, kind in schema.items():
        assert key in record, key
        assert isinstance(record[key], kind), (key, record[key])


#: what a point set's records after its first result hold: what varies per point, and what joins it back
LEAN = ["file", "line", "point", "wrt", "at", "value", "jacobian", "gradient", "warnings"]


def check_result(record: dict, command: str, lean: bool = False) -> None:
    check(record, {k: v for k, v in RESULT.items() if k in LEAN} if lean else RESULT)
    if lean:
        assert list(record) == [k for k in LEAN if k in record]
    for key in BY_COMMAND[command]:
        assert key in record
    assert all(isinstance(v, float) for v in record["value"])
    assert all(isinstance(v, float) for v in record["at"].values())
    if "jacobian" in record:
        assert len(record["jacobian"]) == len(record["value"])
        assert all(
            len(row) == len(record["wrt"]) and all(isinstance(e, float) for e in row) for row in record["jacobian"]
        )


def check_error(record: dict) -> None:
    check(record, ERROR)
    check(record["error"], ERROR_OBJECT)


def records(command: str, fmt: str, *args: str) -> tuple[int, str, str]:
    result = run(command, "--at", "x=1,y=3", "--format", fmt, *args, stdin=PROBLEMS)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["eval", "jac", "grad"])
def test_jsonl_records_follow_the_schema(command: str) -> None:
    code, out, err = records(command, "jsonl")
    got = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and err.strip().endswith("ok, 2 failed" if command != "grad" else "ok, 3 failed")
    assert [r["line"] for r in got] == [1, 2, 3, 4] and all(r["file"] == "<stdin>" for r in got)
    for r in got:
        if "error" in r:
            check_error(r)
        else:
            check_result(r, command)
    assert got[2]["error"]["kind"] == "domain_error" and got[3]["error"] == {
        "kind": "syntax_error",
        "message": "unexpected end of input: 1 '(' not closed",
        "line": 4,
        "column": 3,
    }


def test_json_is_the_jsonl_records_as_an_array() -> None:
    _, lines, _ = records("jac", "jsonl")
    _, array, _ = records("jac", "json")
    assert json.loads(array) == [json.loads(line) for line in lines.splitlines()]


def test_jsonl_has_one_record_per_point() -> None:
    out = run("grad", "x^2*y", "--at", "x={1,2,3}", "--at", "y={10,20}", "--format", "jsonl").stdout
    got = [json.loads(line) for line in out.splitlines()]
    assert [r["point"] for r in got] == [1, 2, 3, 4, 5, 6] and all(r["line"] == 1 for r in got)
    for r in got:
        check_result(r, "grad", lean=r["point"] > 1)  # the problem's own fields are in its first record
        x, y = r["at"]["x"], r["at"]["y"]
        assert math.isclose(r["value"][0], x * x * y) and math.isclose(r["gradient"][0], 2 * x * y)
        assert r["gradient"] == r["jacobian"][0]


def rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def test_csv_columns_are_stable_and_documented() -> None:
    code, out, _ = records("jac", "csv")
    header, got = rows(out)
    assert code == 2
    assert header == [
        "file",
        "line",
        "point",
        "input",
        "x",
        "y",
        "f1",
        "f2",
        "d(f1)/d(x)",
        "d(f1)/d(y)",
        "d(f2)/d(x)",
        "d(f2)/d(y)",
        "warnings",
        "error",
    ]
    assert [r["line"] for r in got] == ["1", "2", "3", "4"]
    assert float(got[1]["x"]) == 2.0 and float(got[1]["d(f2)/d(y)"]) == 1.0 and got[0]["f2"] == ""
    assert got[2]["error"].startswith("domain_error: ") and got[3]["error"].endswith("(column 3)")
    assert all(r["error"] == "" for r in got[:2])


def test_csv_numbers_round_trip_and_match_jsonl() -> None:
    _, lines, _ = records("grad", "jsonl")
    _, table, _ = records("grad", "csv")
    first = json.loads(lines.splitlines()[0])
    row = rows(table)[1][0]
    assert float(row["f1"]) == first["value"][0]  # the same float, written in full
    assert [float(row["d(f1)/d(x)"]), float(row["d(f1)/d(y)"])] == first["gradient"]


def test_csv_header_is_the_union_and_clashing_names_are_prefixed() -> None:
    text = "x + y at x=1, y=2\nz*line + f1 + x at z=3, line=4, f1=5, x=0\n"
    out = run("eval", "--format", "csv", stdin=text).stdout
    header, got = rows(out)
    assert header[:9] == ["file", "line", "point", "input", "x", "y", "z", "at(line)", "at(f1)"]
    assert header[9:] == ["f1", "warnings", "error"]
    assert got[0]["z"] == "" and float(got[1]["at(line)"]) == 4.0 and float(got[1]["f1"]) == 17.0


def test_csv_jvp_and_vjp_columns() -> None:
    jvp = rows(run("jac", "x*y, x+y", "--at", "x=1,y=2", "--dir", "x=1,y=0", "--format", "csv").stdout)
    assert {"jvp(f1)", "jvp(f2)"} <= set(jvp[0]) and float(jvp[1][0]["jvp(f1)"]) == 2.0
    vjp = rows(run("jac", "x*y, x+y", "--at", "x=1,y=2", "--cot", "1,0", "--format", "csv").stdout)
    assert {"vjp(x)", "vjp(y)"} <= set(vjp[0]) and float(vjp[1][0]["vjp(y)"]) == 1.0


def test_csv_has_a_row_per_point() -> None:
    header, got = rows(run("grad", "x^3", "--at", "x=0:2:5", "--format", "csv").stdout)
    assert [r["point"] for r in got] == ["1", "2", "3", "4", "5"]
    assert [float(r["d(f1)/d(x)"]) for r in got] == [0.0, 0.75, 3.0, 6.75, 12.0]


def outcome(text: str, file: str = "sheet.txt", line: int = 7) -> Outcome:
    try:
        return Outcome(Item(text, file, line), api.gradient(text, x=1.0, y=2.0))
    except AdcliError as exc:
        return Outcome(Item(text, file, line), error=exc)


def test_table_groups_each_problem_under_its_file_and_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    sink = render_batch.TableSink("grad", 6, out, err)
    sink.console = Console(file=out, width=100, record=True, color_system=None)
    for o in (outcome("sin(x)*y"), outcome("x +* y", line=8), outcome("x^2", line=9)):
        sink.emit(o)
    sink.close(Summary(ok=2, failed=1, exit_code=2))
    text = out.getvalue()
    assert text.index("sheet.txt:7") < text.index("sin(x)*y") < text.index("sheet.txt:9") < text.index("x^2")
    assert "sheet.txt:8" not in text
    assert err.getvalue().splitlines()[:3] == [
        "sheet.txt:8:4: error[syntax_error]: unexpected '*': expected a number, a name, a function or '(' or '['",
        "x +* y",
        "   ^",
    ]
    assert err.getvalue().endswith("2 ok, 1 failed\n")


def test_a_points_table_is_capped_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_batch, "TABLE_ROWS", 3)
    out = io.StringIO()
    sink = render_batch.TableSink("grad", 6, out, io.StringIO())
    sink.console = Console(file=out, width=100, color_system=None)
    sink.emit(Outcome(Item("x^2", ARG, 1), api.gradient("x^2", at="x=0:1:10")))
    text = out.getvalue()
    assert "10 points" in text and "… 7 more points" in text and "0.3333" not in text


def test_plain_lists_points_in_aligned_columns() -> None:
    out, err = io.StringIO(), io.StringIO()
    sink = render_batch.PlainSink("grad", 6, out, err)
    sink.emit(Outcome(Item("x^2*y", "f.txt", 3), api.gradient("x^2*y", at=["x={1,2}", "y=5"])))
    lines = out.getvalue().splitlines()
    assert lines[0] == "# f.txt:3" and lines[1] == "read as: x^2*y"
    assert lines[4].split() == ["x", "y", "value", "d/dx", "d/dy"]
    assert lines[5].split() == ["1", "5", "5", "10", "1"] and lines[6].split() == ["2", "5", "20", "20", "4"]
    assert len({len(line) for line in lines[4:7]}) == 1


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^### Batch output formats\n(.*?)^### ", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md needs its 'Batch output formats' section"
    return match.group(1)


def test_the_readme_documents_every_field_and_column() -> None:
    section = readme_section()
    for key in [*RESULT, "jacobian", "gradient", *ERROR, *ERROR_OBJECT]:
        assert f"`{key}`" in section or f'"{key}"' in section, key
    for column in ("file", "line", "point", "input", "f1", "d(fi)/d(x)", "jvp(fi)", "vjp(x)", "warnings", "error"):
        assert f"`{column}`" in section, column


# ---- audit of issues 4 and 5 (regressions) --------------------------------------------------------


@pytest.mark.parametrize("at", ["x={3}", "x=3:3:1"])
@pytest.mark.parametrize("fmt", ["table", "plain", "json", "jsonl", "csv"])
def test_a_point_set_of_one_point_is_one_row_in_every_format(fmt: str, at: str) -> None:
    result = run("grad", "x^2", "--at", at, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt in ("json", "jsonl"):
        got = json.loads(result.stdout) if fmt == "json" else [json.loads(result.stdout)]
        assert len(got) == 1 and got[0]["point"] == 1 and got[0]["at"] == {"x": 3.0}
        assert got[0]["value"] == [9.0] and got[0]["gradient"] == [6.0]
    elif fmt == "csv":
        _, got = rows(result.stdout)
        assert len(got) == 1 and float(got[0]["f1"]) == 9.0 and float(got[0]["d(f1)/d(x)"]) == 6.0
    else:
        assert re.search(r"^\W*3\W+9\W+6\W*$", result.stdout, re.MULTILINE), result.stdout
    if fmt == "table":
        assert "1 point ·" in result.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_kink_warning_is_on_the_kink_points_rows_only(fmt: str) -> None:
    out = run("grad", "abs(x)", "--at", "x=-1:1:3", "--format", fmt).stdout
    if fmt == "jsonl":
        warned = [[w["kind"] for w in json.loads(line)["warnings"]] for line in out.splitlines()]
    else:
        warned = [["nondifferentiable"] if r["warnings"] else [] for r in rows(out)[1]]
    assert warned == [[], ["nondifferentiable"], []]


def test_a_failed_points_record_follows_the_schema() -> None:
    out = run("jac", "log(x), x*y", "--at", "x={1, -1}, y=2", "--format", "jsonl").stdout
    good, bad = (json.loads(line) for line in out.splitlines())
    check_result(good, "jac")
    check(bad, {**ERROR, "point": int, "at": dict})
    check(bad["error"], ERROR_OBJECT)
    assert list(bad) == ["file", "line", "point", "input", "at", "error", "warnings"]
    assert bad["point"] == 2 and bad["at"] == {"x": -1.0, "y": 2.0} and bad["error"]["kind"] == "domain_error"


def test_csv_of_a_point_set_matches_its_jsonl_records() -> None:
    args = ["jac", "log(x) + abs(y), x*y", "--at", "x={-1, 0.5, 2}, y={0, 3}", "--mode", "forward"]
    records_ = [json.loads(line) for line in run(*args, "--format", "jsonl").stdout.splitlines()]
    header, got = rows(run(*args, "--format", "csv").stdout)
    assert header == [*LEAD_COLUMNS, "x", "y", "f1", "f2", *JACOBIAN_COLUMNS, "warnings", "error"]
    assert len(got) == len(records_) == 6
    for record, row in zip(records_, got, strict=True):  # the chunked csv path gives the records' cells
        record = {"input": args[1], **record}  # a lean record's input is in the first result's
        expected = {k: ("" if v is None else str(v)) for k, v in render_batch.csv_row(record).items()}
        assert {k: row[k] for k in expected} == expected
    assert [bool(r["error"]) for r in got] == [True, True, False, False, False, False]
    assert [bool(r["warnings"]) for r in got] == [False, False, True, False, True, False]  # abs(y) at y = 0


LEAD_COLUMNS = ["file", "line", "point", "input"]
JACOBIAN_COLUMNS = ["d(f1)/d(x)", "d(f1)/d(y)", "d(f2)/d(x)", "d(f2)/d(y)"]


def test_a_long_failed_problem_is_echoed_truncated() -> None:
    text = "(" * 2000 + "x"
    record = render_batch.error_record(outcome(text))
    assert record["error"]["kind"] == "syntax_error" and len(record["input"]) < 1100
    assert record["input"].startswith("(((") and record["input"].endswith("… (2,001 characters)")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_each_points_kink_warning_gives_that_points_own_values(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """max(x, y) ties at points 1, 3 and 5; point 3 fails (log of -1), so the chunks of 4 split into
    pieces around it: each tied point's record still names its own x and y, never the first tie's."""
    from adcli.batch import points

    monkeypatch.setattr(points, "CHUNK", 4)
    xs, ys, zs = [1, 2, 3, 4, 5, 6], [1, 0, 3, 0, 5, 0], [1, 1, -1, 1, 1, 1]
    at = f"x={{{','.join(map(str, xs))}}},y={{{','.join(map(str, ys))}}},z={{{','.join(map(str, zs))}}}"
    result = RUNNER.invoke(app, ["grad", "max(x, y) + log(z)", "--at", at, "--zip", "--format", fmt])
    if fmt == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        said = [" ".join(w["message"] for w in r.get("warnings", [])) for r in rows]
    else:
        said = [row["warnings"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert len(said) == 6
    for i, (x, y, z) in enumerate(zip(xs, ys, zs, strict=True)):
        tie = x == y and z > 0
        assert (f"not differentiable at x = {x}, y = {y}:" in said[i]) == tie, (i, said[i])
        assert "of the points" not in said[i]


def test_a_programs_line_is_its_first_line_in_results_and_errors_alike() -> None:
    """A program of several lines: `line` is where it starts; the error's own line is error.line."""
    program = "a = x*y\nb = a + 10\nb + sinn(a)\n\nx\n"
    result = RUNNER.invoke(app, ["grad", "--at", "x=1,y=2", "--format", "jsonl"], input=program)
    bad, good = (json.loads(line) for line in result.stdout.splitlines())
    assert (bad["line"], bad["error"]["line"], bad["error"]["column"]) == (1, 3, 5)
    assert good["line"] == 5
    table = RUNNER.invoke(app, ["grad", "--at", "x=1,y=2", "--format", "csv"], input=program)
    row = next(csv.DictReader(io.StringIO(table.stdout)))
    assert row["line"] == "1" and row["error"].endswith("(line 3, column 5)")


def test_json_never_has_nan_or_infinity_tokens() -> None:
    """RFC 8259 has no NaN or infinity: Python's json writes tokens readers refuse; adcli writes null."""
    import json

    from adcli.render import results as render

    text = render.dumps({"value": [float("nan"), 1.5, float("inf")], "at": {"x": -float("inf")}, "n": 3})
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"value": [None, 1.5, None], "at": {"x": None}, "n": 3}
    assert render.dumps({"x": 1e308}) == '{"x": 1e+308}'


def test_json_of_numpy_values_is_plain_json_with_null_for_nonfinite() -> None:
    """numpy arrays and scalars (float32, int64, bool_ are not JSON types; a float64 NaN is a float) come out
    as JSON numbers, booleans and null; an object that is none of these is still refused."""
    import numpy as np

    from adcli.render import results as render

    data = {"a": np.array([1.0, np.nan]), "b": np.float32(np.inf), "c": np.int64(3), "d": np.float64(np.nan)}
    text = render.dumps({**data, "e": [np.bool_(True), (np.float32(0.5),)]})
    assert json.loads(text) == {"a": [1.0, None], "b": None, "c": 3, "d": None, "e": [True, [0.5]]}
    with pytest.raises(TypeError):
        render.dumps({"x": object()})
