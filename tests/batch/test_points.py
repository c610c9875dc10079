"""Many points at once: spans, lists, tables; grid and zip; vectorised results against one by one."""

from __future__ import annotations

import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from adcli import api
from adcli.batch import points
from adcli.batch.inputs import MAX_LINE
from adcli.batch.table import read_table
from adcli.core.errors import AdcliError
from adcli.language.parser import Binding, parse_point


def expanded(text: str, combine: str = "grid") -> dict:
    return points.expand({b.name: b if b.kind != "value" else b.values[0] for b in parse_point(text)}, combine)


def test_a_span_is_linspace_and_a_list_is_its_values() -> None:
    got = expanded("x=0:1:5")
    np.testing.assert_allclose(got["x"], [0, 0.25, 0.5, 0.75, 1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(expanded("x={3, -1, pi/2}")["x"], [3, -1, math.pi / 2], rtol=1e-15)
    np.testing.assert_allclose(expanded("x=2:2:1")["x"], [2], rtol=0)


@pytest.mark.parametrize("text", ["x=0:1:0", "x=0:1:2.5", "x=0:1:-3"])
def test_a_span_count_must_be_a_whole_number(text: str) -> None:
    with pytest.raises(AdcliError) as info:
        expanded(text)
    assert info.value.kind == "usage_error" and "count" in info.value.message


def test_grid_crosses_with_the_first_variable_slowest_and_scalars_broadcast() -> None:
    got = expanded("x={1,2,3}, c=7, y={10,20}")
    assert list(got) == ["x", "c", "y"]
    np.testing.assert_array_equal(got["x"], [1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(got["y"], [10, 20, 10, 20, 10, 20])
    assert got["c"] == 7.0


def test_zip_pairs_and_wants_equal_lengths() -> None:
    got = expanded("x={1,2,3}, y=0:1:3", "zip")
    np.testing.assert_array_equal(got["x"], [1, 2, 3])
    np.testing.assert_allclose(got["y"], [0, 0.5, 1], atol=1e-15)
    with pytest.raises(AdcliError) as info:
        expanded("x={1,2,3}, y={1,2}", "zip")
    assert info.value.kind == "usage_error" and "x has 3" in info.value.message and "y has 2" in info.value.message


def test_a_huge_grid_is_refused_before_allocation_with_its_size() -> None:
    tracemalloc.start()
    with pytest.raises(AdcliError) as info:
        expanded("x=0:1:1000000, y=0:1:1000000, z=0:1:1000")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.value.kind == "limit_exceeded" and info.value.exit_code == 2
    assert "1,000,000,000,000,000 points" in info.value.message and "--zip" in info.value.message
    assert peak < 50_000_000  # refused from the lengths: the spans themselves are 8 MB each


def test_one_huge_span_is_refused_before_its_values_are_made() -> None:
    with pytest.raises(AdcliError) as info:
        expanded("x=0:1:1e13")
    assert info.value.kind == "limit_exceeded" and "10,000,000,000,000 points" in info.value.message
    assert "--zip" not in info.value.message


def test_the_memory_limit_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADCLI_MEMORY_LIMIT", "1000")
    with pytest.raises(AdcliError) as info:
        expanded("x=0:1:200")
    assert "200 points" in info.value.message and "1 KB" in info.value.message


@pytest.mark.parametrize(
    ("setting", "limit"), [("1000", 1000), ("2e3", 2000), ("1KB", 1000), ("1.5 MB", 1_500_000), ("2GiB", 2 << 30)]
)
def test_the_memory_limit_takes_bytes_or_a_unit(monkeypatch: pytest.MonkeyPatch, setting: str, limit: int) -> None:
    monkeypatch.setenv("ADCLI_MEMORY_LIMIT", setting)
    assert points.memory_budget() == limit


@pytest.mark.parametrize("setting", ["abc", "-5", "0", "0.5", "1 XB", "nan"])
def test_a_bad_memory_limit_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv("ADCLI_MEMORY_LIMIT", setting)
    with pytest.raises(AdcliError) as info:
        points.memory_budget()
    assert info.value.kind == "usage_error" and f"ADCLI_MEMORY_LIMIT={setting!r} is not a size" in info.value.message


def grid_reference(f: str, xs: np.ndarray, ys: np.ndarray) -> list[tuple[float, list[float]]]:
    """The same grid one point at a time, through the single-point path."""
    out = []
    for x in xs:
        for y in ys:
            r = api.gradient(f, x=float(x), y=float(y))
            out.append((r.value[0], r.gradient))
    return out


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_a_grid_matches_the_same_points_done_one_by_one(mode: str) -> None:
    f = "sin(x)*exp(-y^2/10) + x^3*y - log(1 + x^2 + y^2)"
    vec = api.gradient(f, at=["x=-2:2:9", "y={-1, 0, 0.5, 3}"], mode=mode)
    ref = grid_reference(f, np.linspace(-2, 2, 9), np.array([-1, 0, 0.5, 3]))
    assert vec.value[0].shape == (36,)
    for i, (value, gradient) in enumerate(ref):
        assert math.isclose(vec.value[0][i], value, rel_tol=1e-14, abs_tol=1e-14)
        for k in range(2):
            assert math.isclose(vec.jacobian[0][k][i], gradient[k], rel_tol=1e-14, abs_tol=1e-14)


def test_columns_of_one_table_are_paired_elementwise() -> None:
    """Many points from arrays go in as a table's columns (as --points does); a numpy array given as a
    value is one array (issue 12): its gradient is an array of its shape."""
    x = np.linspace(0.1, 3, 50)
    y = np.linspace(-1, 1, 50)
    r = api.gradient("x*y + sin(x)", at=[Binding("x", x, "rows"), Binding("y", y, "rows")])
    np.testing.assert_allclose(r.value[0], x * y + np.sin(x), rtol=1e-15)
    np.testing.assert_allclose(r.jacobian[0][0], y + np.cos(x), rtol=1e-15)
    np.testing.assert_allclose(r.jacobian[0][1], x, rtol=1e-15)
    gx, gy = api.gradient("sum(x*y + sin(x))", x=x, y=y).gradient
    np.testing.assert_allclose(gx, y + np.cos(x), rtol=1e-15)
    np.testing.assert_allclose(gy, x, rtol=1e-15)


def test_constant_outputs_and_entries_are_broadcast_to_every_point() -> None:
    r = api.jacobian("x^2, 3", at="x=0:1:4")
    np.testing.assert_allclose(r.value[1], [3, 3, 3, 3])
    np.testing.assert_allclose(r.jacobian[1][0], [0, 0, 0, 0])
    np.testing.assert_allclose(r.jacobian[0][0], [0, 2 / 3, 4 / 3, 2], rtol=1e-15)


@pytest.mark.parametrize("chunk", [None, 7])
def test_a_domain_error_names_the_first_offending_point(monkeypatch: pytest.MonkeyPatch, chunk: int | None) -> None:
    if chunk:
        monkeypatch.setattr(points, "CHUNK", chunk)
    x = np.concatenate([np.linspace(1, 2, 40), [-1.0, 0.5, -3.0]])
    with pytest.raises(AdcliError) as info:
        api.value("log(x) + sqrt(x)", at=[Binding("x", x, "rows")])
    assert info.value.kind == "domain_error"
    assert info.value.message.endswith("x = -1 (point 41 of 43)")  # x is named once (audit item 12)
    assert info.value.column == 1  # the place in the text, as for one point


def test_a_nonfinite_derivative_names_the_point() -> None:
    with pytest.raises(AdcliError) as info:
        api.gradient("sqrt(x)", at="x={4, 1, 0, 9}")
    assert info.value.kind == "nonfinite" and info.value.message.endswith("(point 3 of 4)")
    assert "sqrt(x) has no derivative at x = 0" in info.value.message  # the table's infinite slope, in every mode


def test_a_kink_warning_names_its_first_point_and_counts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(points, "CHUNK", 4)
    r = api.gradient("abs(x) + abs(y)", at=["x={1, 0, 2}", "y={0, 5}"])  # kinks: x at 2 points, y at 3
    kinks = {w.details["node"]: w for w in r.warnings if w.kind == "nondifferentiable"}
    assert kinks["abs(x)"].details["point"] == 3 and kinks["abs(x)"].details["points"] == 2
    assert kinks["abs(x)"].message.endswith("; at 2 of the points, the first point 3 of 6: y = 0")
    assert kinks["abs(y)"].details["point"] == 1 and kinks["abs(y)"].details["points"] == 3


def test_other_errors_are_not_bisected() -> None:
    with pytest.raises(AdcliError) as info:
        api.jvp("x*y", {"z": 1.0}, at="x=0:1:3, y=1")
    assert info.value.kind == "usage_error" and "point" not in info.value.message


# ---- --points tables ------------------------------------------------------------------------------


def table(tmp_path: Path, text: str) -> list[Binding]:
    path = tmp_path / "pts.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(str(path))


def test_two_tables_are_two_axes_crossed_or_zipped(tmp_path: Path) -> None:
    """Each table's columns stay paired row by row; the tables are crossed (grid) or paired (zip)."""
    from adcli.batch.run import point_bindings

    (tmp_path / "a.csv").write_text("x,y\n1,10\n2,20\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("z\n100\n200\n", encoding="utf-8")
    both = point_bindings(None, [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    grid = api.evaluate_problem(api.prepare("x + y + z", None, defaults=both))
    assert np.asarray(grid.value[0]).tolist() == [111, 211, 122, 222]  # (x, y) rows slowest, z fastest
    zipped = api.evaluate_problem(api.prepare("x + y + z", None, defaults=both, combine="zip"))
    assert np.asarray(zipped.value[0]).tolist() == [111, 222]


def test_a_variable_in_two_tables_is_refused(tmp_path: Path) -> None:
    from adcli.batch.run import point_bindings

    (tmp_path / "a.csv").write_text("x,y\n1,10\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("x\n5\n", encoding="utf-8")
    with pytest.raises(AdcliError) as info:
        point_bindings(None, [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert info.value.kind == "usage_error" and "x is a column of both" in info.value.message


def test_a_points_table_is_read_by_column(tmp_path: Path) -> None:
    got = table(tmp_path, "\ufeffx, y\r\n1,2\r\n\r\n# a comment\n3.5,-4e-3\n")
    assert [b.name for b in got] == ["x", "y"] and all(b.kind == "rows" for b in got)
    np.testing.assert_array_equal(got[0].values, [1, 3.5])
    np.testing.assert_array_equal(got[1].values, [2, -4e-3])


@pytest.mark.parametrize(
    ("text", "words", "place"),
    [
        ("x,y\n1,2\n3\n", ["row 2", "no value for column y"], (3, 2)),  # the caret after the last cell
        ("x,y\n1,2,3\n", ["row 1", "column 3 has no name"], (2, 5)),
        ("x,y\n1,2\n3,abc\n", ["row 2, column y", "'abc' is not a number"], (3, 3)),
        ('x\n"1,0",2\n', ["row 1 has 2 cells for 1 column:"], (2, 7)),  # a quoted comma starts no cell
        ('x\n"1"2\n', ["',' expected after '\"'"], (2, None)),  # csv's lenient reading: the number 12
        ('x\n1\n"', ["unexpected end of data"], (3, None)),  # an unclosed quote: read as no row at all
        ("x,y\n1,\n", ["row 1, column y", "empty cell"], (2, 3)),
        ("x,y\n1,inf\n", ["column y", "not a finite number"], (2, 3)),
        ("x,y\n1_000,2\n", ["column x", "'1_000' is not a number"], (2, 1)),  # Python's float() would take it
        ("x,y\n\u0661,2\n", ["column x", "ARABIC-INDIC DIGIT ONE", "write 1"], (2, 1)),  # float() would take 1
        ("x,y\n1\n", ["has 1 cell for 2 columns"], (2, 2)),
        ("x,x\n1,2\n", ["names x twice"], (1, 3)),
        ("# c\n\nx, 2y\n1,2\n", ["header column 2", "not a variable name"], (3, 4)),
        ("x,pi\n1,2\n", ["header column 2 (pi) is a constant"], (1, 3)),
        ("x,\uff58\n1,2\n", ["header column 2 ('\uff58') is not a variable name (names are written"], (1, 3)),
        ("\u00e9\n1\n", ["header column 1 ('\u00e9') is not a variable name"], (1, 1)),  # no expression names it
        ("sin\n1\n", ["header column 1 (sin) is a function name"], (1, 1)),
        ("x,y\n", ["no rows"], (1, None)),
        ("", ["no header row"], (None, None)),
    ],
)
def test_bad_tables_name_the_row_and_column(
    tmp_path: Path, text: str, words: list[str], place: tuple[int | None, int | None]
) -> None:
    """Each error has its place in the file (file:line:column, a caret under the bad cell): they had
    the file and a row's line in the message only."""
    with pytest.raises(AdcliError) as info:
        table(tmp_path, text)
    assert info.value.kind == "usage_error"
    assert all(w in info.value.message for w in words), info.value.message
    assert info.value.file == str(tmp_path / "pts.csv")
    assert (info.value.line, info.value.column) == place


def test_a_missing_points_file() -> None:
    with pytest.raises(AdcliError) as info:
        read_table("/no/such/pts.csv")
    assert info.value.kind == "usage_error" and info.value.file == "/no/such/pts.csv"


def test_table_rows_cross_with_a_span(tmp_path: Path) -> None:
    rows = table(tmp_path, "x,y\n1,2\n3,4\n")
    r = api.value("x + y + z", at=[*rows, *parse_point("z={0, 100}")])
    np.testing.assert_allclose(r.value[0], [3, 103, 7, 107])


# ---- audit of issues 4 and 5 (regressions) --------------------------------------------------------


@pytest.mark.parametrize(("start", "stop", "count"), [(0, 1, 11), (-5, 5, 101), (2, 2, 7), (1e-3, -3e5, 13), (4, 9, 1)])
def test_a_spans_values_made_a_chunk_at_a_time_are_linspaces(start: float, stop: float, count: int) -> None:
    column = points.expand({"x": Binding("x", [start, stop, count], "span")})["x"]
    reference = np.linspace(start, stop, count)
    np.testing.assert_array_equal(np.asarray(column), reference)  # the same arithmetic: the same floats
    for a, b in [(0, 1), (count // 2, count), (0, count)]:
        np.testing.assert_array_equal(column.chunk(a, b), reference[a:b])
    assert column[count - 1] == reference[-1] and len(column) == count


def test_a_grid_is_made_a_chunk_at_a_time_in_itertools_product_order() -> None:
    got = expanded("x={1,2,3}, y=0:1:5, z={7,8}")
    xs, ys, zs = np.meshgrid([1, 2, 3], np.linspace(0, 1, 5), [7, 8], indexing="ij")
    for name, reference in zip("xyz", (xs, ys, zs), strict=True):
        np.testing.assert_array_equal(got[name].chunk(0, 30), reference.ravel())
        np.testing.assert_array_equal(got[name].chunk(7, 19), reference.ravel()[7:19])


def test_a_billion_point_span_is_not_made_when_it_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADCLI_MEMORY_LIMIT", "16GB")  # a budget for its answers: the points are never made whole
    tracemalloc.start()
    got = expanded("x=0:1:1e9")
    first = got["x"].chunk(0, 4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(got["x"]) == 1_000_000_000 and points.size(got) == 1_000_000_000
    np.testing.assert_allclose(first, np.arange(4) / (1e9 - 1), rtol=1e-15, atol=0)
    assert peak < 1_000_000  # was 8 GB (the whole span), then the grid's tiled copies


def test_the_answers_are_refused_before_allocation_when_over_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADCLI_MEMORY_LIMIT", "100000")  # the points pass (1 number each), the answers do not
    problem = api.prepare("x*y + z, x - y", "x=0:1:50, y=1:2:50, z=3", ["x", "y", "z"])
    assert points.size(problem.point) == 2500
    with pytest.raises(AdcliError) as info:
        api.differentiate(problem, "forward")
    assert info.value.kind == "limit_exceeded"
    assert "2,500 points" in info.value.message and "8 numbers per point" in info.value.message
    assert "160 KB" in info.value.message and "100 KB" in info.value.message


def each_point(text: str, at: str, command: str = "eval", **kw: object) -> object:
    problem = api.prepare(text, at, each_point=True)
    return api.evaluate_problem(problem) if command == "eval" else api.differentiate(problem, "reverse", **kw)


@pytest.mark.parametrize("chunk", [None, 3])
def test_with_each_point_a_failing_point_fails_alone(monkeypatch: pytest.MonkeyPatch, chunk: int | None) -> None:
    if chunk:
        monkeypatch.setattr(points, "CHUNK", chunk)
    x = [2.0, -1.0, 0.5, 0.0, 3.0, -2.0, 1.0]
    r = each_point("log(x) + 1/(x - 3)", "x={" + ", ".join(map(str, x)) + "}", "grad")
    failed = {i: r.failures.error(i) for i in r.failures.index.tolist()}
    assert sorted(failed) == [1, 3, 4, 5]  # log of -1, 0, -2; 1/0 at x = 3
    assert [failed[i].kind for i in (1, 3, 4, 5)] == ["domain_error", "domain_error", "nonfinite", "domain_error"]
    assert "x = -2" in failed[5].message and failed[1].column == 1
    for i, xi in enumerate(x):
        if i in failed:
            assert math.isnan(r.value[0][i]) and math.isnan(r.jacobian[0][0][i])
        else:
            assert math.isclose(r.value[0][i], math.log(xi) + 1 / (xi - 3), rel_tol=1e-14)
            assert math.isclose(r.jacobian[0][0][i], 1 / xi - 1 / (xi - 3) ** 2, rel_tol=1e-14)


def test_a_derivative_failing_at_a_point_is_isolated_too() -> None:
    r = each_point("sqrt(x)", "x={4, 1, 0, 9}", "grad")  # the value is fine at 0, its slope is not
    assert r.failures.index.tolist() == [2] and r.failures.error(2).kind == "nonfinite"
    np.testing.assert_allclose(np.asarray(r.jacobian[0][0])[[0, 1, 3]], [0.25, 0.5, 1 / 6], rtol=1e-15)


def test_when_every_point_fails_the_problem_fails_naming_the_first() -> None:
    with pytest.raises(AdcliError) as info:
        each_point("log(x)", "x=-3:-1:3")
    assert info.value.kind == "domain_error" and info.value.message.endswith("(point 1 of 3); all 3 points fail")


def test_failed_points_after_the_explained_ones_keep_their_own_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past EXPLAINED, the primal sweep alone at the point says why: the same message, that point's value."""
    monkeypatch.setattr(points, "EXPLAINED", 1)
    r = each_point("x + log(y - 0.5)", "y={-1, 1, 0.25, -3}, x=1")
    assert r.failures.index.tolist() == [0, 2, 3]
    first, later = r.failures.error(0), r.failures.error(2)
    assert first.message == "log(y - 0.5) is outside the domain of log (the argument > 0): y - 0.5 = -1.5"
    assert later.message == "log(y - 0.5) is outside the domain of log (the argument > 0): y - 0.5 = -0.25"
    assert later.kind == "domain_error" and later.column == 5


def test_a_kink_warning_marks_exactly_its_points_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(points, "CHUNK", 4)
    r = api.gradient("abs(x) + abs(y)", at=["x={1, 0, 2}", "y={0, 5}"])  # x: 1 1 0 0 2 2, y: 0 5 0 5 0 5
    kinks = {w.details["node"]: w.where.tolist() for w in r.warnings if w.kind == "nondifferentiable"}
    assert kinks == {"abs(x)": [0, 0, 1, 1, 0, 0], "abs(y)": [1, 0, 1, 0, 1, 0]}
    assert all(w.where is None for w in r.warnings if w.kind != "nondifferentiable")


def test_a_points_file_with_an_endless_line_is_refused(tmp_path: Path) -> None:
    """Issue 11: --points /dev/zero grew to 4.6 GB in 10 s (the csv reader took the line whole)."""
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "1" * (MAX_LINE + 10) + "\n3,4\n", encoding="utf-8")
    with pytest.raises(AdcliError) as caught:
        read_table(str(path))
    assert caught.value.kind == "limit_exceeded" and "line 2 is longer than" in caught.value.message


@pytest.mark.parametrize("span", ["x=-1e308:1e308:3", "x=1.7e308:-1.7e308:2"])
def test_a_span_whose_width_overflows_is_a_usage_error(span: str) -> None:
    """Issue 11: -1e308:1e308:3 made NaN and Infinity points (invalid JSON, internal_error, a traceback)."""
    with pytest.raises(AdcliError) as caught:
        api.value("x", span)
    assert caught.value.kind == "usage_error" and "overflows a float" in caught.value.message
    assert api.value("x", "x=-1e308:0:3").value[0].tolist() == [-1e308, -5e307, 0.0]  # a wide but finite span


def test_the_default_budget_is_128_mib_or_half_the_available_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: half the available memory let `eval x --at x=0:1:1e9` hold 7.8 GB of answers."""
    monkeypatch.delenv("ADCLI_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(points, "_half_available", lambda: 10 << 30)
    assert points.memory_budget() == 128 << 20
    monkeypatch.setattr(points, "_half_available", lambda: 50 << 20)
    assert points.memory_budget() == 50 << 20
    monkeypatch.setattr(points, "_half_available", lambda: 10 << 30)
    with pytest.raises(AdcliError) as info:
        api.value("x", "x=0:1:1e9")
    assert info.value.kind == "limit_exceeded" and "the point set has 1,000,000,000 points" in info.value.message
