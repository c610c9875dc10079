"""Batch runs: input order kept, each line on its own, worst exit code, summary, progress, equivalence.

Most cases drive the CLI in-process (Typer's CliRunner: stdin is a pipe there, never a terminal);
references are closed forms compared with tolerances.
"""

from __future__ import annotations

import gc
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adcli.batch import run as batch
from adcli.batch.inputs import ARG, Item
from adcli.batch.run import Outcome, Summary
from adcli.cli.app import app
from adcli.core.errors import AdcliError

RUNNER = CliRunner()

MIXED = """\
# a homework sheet
sin(x)*y
x^2 +* 3
log(x) at x=-1

x*y at y=10
sqrt(x, y)
1/(x - 1)
"""


def run(*args: str, stdin: str | None = None):  # noqa: ANN201 - typer's Result
    result = RUNNER.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"adcli {' '.join(args)!r} crashed") from result.exception
    return result


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-15)


@pytest.fixture
def sheet(tmp_path: Path) -> str:
    path = tmp_path / "sheet.txt"
    path.write_text(MIXED, encoding="utf-8")
    return str(path)


# ---- the batch loop -------------------------------------------------------------------------------


class Collect:
    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.notes: list[Item] = []
        self.summary: Summary | None = None

    def emit(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def note(self, item: Item) -> None:
        self.notes.append(item)

    def close(self, summary: Summary) -> None:
        self.summary = summary


def compute(text: str, given: object, defaults: object) -> str:
    if text.startswith("bad"):
        raise AdcliError("syntax_error" if text == "bad2" else "domain_error", text, line=1, column=3)
    return text.upper()


def test_run_keeps_order_and_the_worst_exit_code() -> None:
    items = [Item("a", "f", 1), Item("bad1", "f", 2), Item(None, "g", 0, note="g is empty"), Item("bad2", "f", 4)]
    items.append(Item("b", "f", 5))
    sink = Collect()
    summary = batch.run(items, compute, sink)
    assert [o.result for o in sink.outcomes] == ["A", None, None, "B"]
    assert [o.error.kind if o.error else None for o in sink.outcomes] == [None, "domain_error", "syntax_error", None]
    assert (summary.ok, summary.failed, summary.exit_code) == (2, 2, 2)
    assert summary.text() == "2 ok, 2 failed" and sink.summary is summary
    assert [n.note for n in sink.notes] == ["g is empty"]
    assert sink.outcomes[2].place == ("f", 4, 3)


def test_the_collector_is_paused_per_problem_and_restored() -> None:
    """Each problem is computed and written with the collector off (its objects are freed by reference
    counting when written); between problems and after the batch it is on again, or off if it was off."""
    seen: list[tuple[str, bool]] = []

    def record(text: str, given: object, defaults: object) -> str:
        seen.append(("compute", gc.isenabled()))
        if text == "boom":
            raise ValueError("a bug")  # an internal error must not leave the collector off
        return text

    class Sink(Collect):
        def emit(self, outcome: Outcome) -> None:
            seen.append(("emit", gc.isenabled()))
            super().emit(outcome)

    assert gc.isenabled()
    items = [Item("a", "f", 1), Item("boom", "f", 2), Item("b", "f", 3)]
    batch.run(items, record, Sink())
    assert len(seen) == 6 and not any(on for _, on in seen) and gc.isenabled()
    gc.disable()
    try:
        batch.run(items, record, Sink())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_only_domain_errors_exit_one() -> None:
    summary = batch.run([Item("bad1", "f", 1), Item("ok", "f", 2)], compute, Collect())
    assert summary.exit_code == 1


def test_the_argument_point_overrides_and_a_lines_point_wins() -> None:
    seen = []

    def record(text: str, given: object, defaults: object) -> None:
        seen.append((given, defaults))

    batch.run([Item("x", ARG, 1), Item("y", "f", 1)], record, Collect(), point=["P"])  # type: ignore[list-item]
    assert seen == [(["P"], ()), ((), ["P"])]


def test_progress_appears_only_for_batches_over_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(x * 0.3 for x in range(100))
    monkeypatch.setattr(batch.time, "monotonic", lambda: next(clock))
    made = []

    class Bar:
        def __init__(self) -> None:
            self.updates: list[tuple[int, int, int]] = []
            self.closed = False
            made.append(self)

        def update(self, done: int, failed: int, lines: int) -> None:
            self.updates.append((done, failed, lines))

        def close(self) -> None:
            self.closed = True

    batch.run([Item(f"p{i}", "f", i) for i in range(1, 3)], compute, Collect(), progress=Bar)
    assert made == []  # two problems in 0.6 s: no bar
    batch.run([Item(f"p{i}", "f", i) for i in range(1, 9)], compute, Collect(), progress=Bar)
    assert len(made) == 1 and made[0].closed and made[0].updates[-1][0] == 8
    assert made[0].updates[-1][2] == 8  # lines read


def test_lines_read_add_up_over_files() -> None:
    lines = batch.LinesRead()
    for item in [Item("a", ARG, 1), Item("b", "f", 3), Item("c", "f", 7), Item("d", "g", 2)]:
        lines.count(item)
    assert lines.total == 1 + 7 + 2


# ---- the command line -----------------------------------------------------------------------------


def test_mixed_file_keeps_order_locates_errors_and_exits_with_the_worst(sheet: str) -> None:
    result = run("grad", "-f", sheet, "--at", "x=2,y=3", "--format", "jsonl")
    assert result.exit_code == 2
    records = jsonl(result.stdout)
    assert [r["line"] for r in records] == [2, 3, 4, 6, 7, 8]
    assert [r.get("error", {}).get("kind") for r in records] == [
        None,
        "syntax_error",
        "domain_error",
        None,
        "arity_error",
        None,
    ]
    assert records[1]["error"]["line"] == 3 and records[1]["error"]["column"] == 6
    assert close(records[0]["gradient"][0], 3 * math.cos(2)) and close(records[0]["gradient"][1], math.sin(2))
    assert records[3]["at"] == {"x": 2.0, "y": 10.0}  # the line's own y wins over --at
    assert close(records[5]["value"][0], 1.0)
    assert result.stderr.strip().endswith("3 ok, 3 failed")


def test_mixed_file_in_plain_text_puts_located_errors_on_stderr(sheet: str) -> None:
    result = run("grad", "-f", sheet, "--at", "x=2,y=3", "--format", "plain")
    assert result.exit_code == 2
    assert f"# {sheet}:2" in result.stdout and f"# {sheet}:6" in result.stdout
    err = result.stderr.splitlines()
    i = err.index(
        f"{sheet}:3:6: error[syntax_error]: unexpected '*': expected a number, a name, a function or '(' or '['"
    )
    assert err[i + 1 : i + 3] == ["x^2 +* 3", "     ^"]
    assert f"{sheet}:4:1: error[domain_error]" in result.stderr
    assert "error" not in result.stdout


def test_only_domain_errors_give_exit_one(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x^2\nlog(x)\n", encoding="utf-8")
    assert run("eval", "-f", str(path), "--at", "x=-1", "--format", "jsonl").exit_code == 1


def test_stdin_file_and_argument_give_the_same_answers(tmp_path: Path) -> None:
    lines = ["sin(x)*y", "x^2/3 + y", "exp(-x*y) at x=0.5", "atan2(y, x)"]
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    at = ["--at", "x=0.3,y=-1.2", "--format", "jsonl"]
    from_file = jsonl(run("grad", "-f", str(path), *at).stdout)
    from_stdin = jsonl(run("grad", *at, stdin="\n".join(lines)).stdout)
    from_dash = jsonl(run("grad", "-", *at, stdin="\n".join(lines)).stdout)
    from_args = [jsonl(run("grad", text, *at).stdout)[0] for text in lines]
    assert [r["file"] for r in from_stdin] == ["<stdin>"] * 4 and [r["file"] for r in from_args] == ["<arg>"] * 4
    drop = {"file", "line"}
    for group in (from_stdin, from_dash, from_args):
        for i, (a, b) in enumerate(zip(from_file, group, strict=True)):
            if group is from_args and i == 2:  # an argument's --at overrides its own `at`; a line's own wins
                assert a["at"] == {"x": 0.5, "y": -1.2} and b["at"] == {"x": 0.3, "y": -1.2}
                continue
            assert {k: v for k, v in a.items() if k not in drop} == {k: v for k, v in b.items() if k not in drop}
    single = json.loads(run("grad", lines[0], "--at", "x=0.3,y=-1.2", "--format", "json").stdout)
    assert single["gradient"] == from_file[0]["gradient"]


def test_crlf_input_gives_the_same_answers(tmp_path: Path) -> None:
    unix, dos = tmp_path / "u.txt", tmp_path / "d.txt"
    unix.write_bytes(b"sin(x)\nx^3 at x=2\n")
    dos.write_bytes(b"sin(x)\r\nx^3 at x=2\r\n")
    a = jsonl(run("grad", "-f", str(unix), "--at", "x=1", "--format", "jsonl").stdout)
    b = jsonl(run("grad", "-f", str(dos), "--at", "x=1", "--format", "jsonl").stdout)
    assert [r["input"] for r in b] == ["sin(x)", "x^3 at x=2"]
    assert [r["gradient"] for r in a] == [r["gradient"] for r in b]


def test_old_mac_line_endings_are_lines_not_a_product(tmp_path: Path) -> None:
    mac = tmp_path / "m.txt"
    mac.write_bytes(b"x+1\rx^2\r")
    got = jsonl(run("eval", "-f", str(mac), "--at", "x=2", "--format", "jsonl").stdout)
    assert [(r["line"], r["value"]) for r in got] == [(1, [3.0]), (2, [4.0])]
    one = run("eval", "x+1\rx^2", "--at", "x=2", "--format", "json")  # one argument: two statements, no product
    assert one.exit_code == 2 and "syntax_error" in one.stdout


def test_empty_file_is_a_note_and_exit_zero(tmp_path: Path) -> None:
    path = tmp_path / "e.txt"
    path.write_text("", encoding="utf-8")
    result = run("grad", "-f", str(path))
    assert result.exit_code == 0 and result.stdout == ""
    assert "is empty: nothing to do" in result.stderr


def test_a_missing_file_fails_in_its_place_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "g.txt"
    good.write_text("x+1\n", encoding="utf-8")
    result = run("eval", "-f", str(tmp_path / "nope.txt"), "-f", str(good), "--at", "x=1", "--format", "jsonl")
    records = jsonl(result.stdout)
    assert result.exit_code == 2
    assert records[0]["error"]["kind"] == "usage_error" and close(records[1]["value"][0], 2.0)


def test_no_expression_on_a_terminal_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from adcli.batch import inputs

    monkeypatch.setattr(inputs, "wants_stdin", lambda expr, files, stdin: expr == "-")
    result = run("grad", "--at", "x=1")
    assert result.exit_code == 2 and "no expression" in result.stderr


def test_grid_zip_and_points_from_the_command_line(tmp_path: Path) -> None:
    grid = jsonl(run("eval", "x*10 + y", "--at", "x={1,2}", "--at", "y={3,4}", "--format", "jsonl").stdout)
    assert [r["value"][0] for r in grid] == [13.0, 14.0, 23.0, 24.0]
    assert [r["point"] for r in grid] == [1, 2, 3, 4]
    zipped = jsonl(run("eval", "x*10 + y", "--at", "x={1,2}, y={3,4}", "--zip", "--format", "jsonl").stdout)
    assert [r["value"][0] for r in zipped] == [13.0, 24.0]
    table = tmp_path / "pts.csv"
    table.write_text("x,y\n1,5\n2,6\n", encoding="utf-8")
    rows = jsonl(run("eval", "x*10 + y", "--points", str(table), "--format", "jsonl").stdout)
    assert [r["value"][0] for r in rows] == [15.0, 26.0] and rows[1]["at"] == {"x": 2.0, "y": 6.0}


def test_two_points_tables_are_crossed_or_zipped(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,10\n2,20\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("z\n100\n200\n", encoding="utf-8")
    tables = ["--points", str(tmp_path / "a.csv"), "--points", str(tmp_path / "b.csv")]
    grid = jsonl(run("eval", "x + y + z", *tables, "--format", "jsonl").stdout)
    assert [r["value"][0] for r in grid] == [111, 211, 122, 222]  # each table's rows stay together
    zipped = jsonl(run("eval", "x + y + z", *tables, "--zip", "--format", "jsonl").stdout)
    assert [r["value"][0] for r in zipped] == [111, 222]


def test_an_overridden_at_value_changes_nothing_not_even_the_order(tmp_path: Path) -> None:
    """A line's own at sets the order of its grid; a --at value it overrides is not news."""
    line = tmp_path / "p.txt"
    line.write_text("x*y at x={1,2}, y={3,4}\n", encoding="utf-8")
    alone = jsonl(run("eval", "-f", str(line), "--format", "jsonl").stdout)
    shadowed = jsonl(run("eval", "-f", str(line), "--at", "y=7", "--format", "jsonl").stdout)
    expected = [{"x": 1.0, "y": 3.0}, {"x": 1.0, "y": 4.0}, {"x": 2.0, "y": 3.0}, {"x": 2.0, "y": 4.0}]
    assert [r["at"] for r in alone] == [r["at"] for r in shadowed] == expected  # x first: it varies slowest
    assert [r["value"][0] for r in shadowed] == [3, 4, 6, 8]


def test_an_at_value_for_every_column_of_a_table_keeps_its_rows(tmp_path: Path) -> None:
    (tmp_path / "pts.csv").write_text("x,y\n1,2\n3,4\n5,6\n", encoding="utf-8")
    got = jsonl(
        run("eval", "x + 10*y", "--points", str(tmp_path / "pts.csv"), "--at", "x=9,y=9", "--format", "jsonl").stdout
    )
    assert [r["value"][0] for r in got] == [99.0, 99.0, 99.0]  # three rows, each with the given values
    one = jsonl(
        run("eval", "x + 10*y", "--points", str(tmp_path / "pts.csv"), "--at", "x=9", "--format", "jsonl").stdout
    )
    assert [r["value"][0] for r in one] == [29.0, 49.0, 69.0]


def test_a_bad_points_file_stops_before_any_problem(tmp_path: Path) -> None:
    table = tmp_path / "pts.csv"
    table.write_text("x,y\n1\n", encoding="utf-8")
    result = run("eval", "x+y", "--points", str(table))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{table}:2:2: error[usage_error]: row 1 has" in result.stderr


def test_a_huge_grid_on_the_command_line_is_refused(sheet: str) -> None:
    result = run("eval", "x+y", "--at", "x=0:1:100000000, y=0:1:100000000", "--format", "jsonl")
    assert result.exit_code == 2
    assert jsonl(result.stdout)[0]["error"]["kind"] == "limit_exceeded"


def test_the_single_expression_path_is_unchanged() -> None:
    result = run("grad", "sin(x)*y", "--at", "x=1,y=2", "--format", "json")
    out = json.loads(result.stdout)
    assert result.exit_code == 0 and "file" not in out and close(out["gradient"][1], math.sin(1))


# ---- the other commands read files and pipes too --------------------------------------------------


@pytest.mark.parametrize("command", ["trace", "graph", "compare", "diff"])
def test_other_commands_take_problems_from_files_with_their_place(command: str, tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x^2*y\n\nsin(x\nx*y\n", encoding="utf-8")
    result = run(command, "-f", str(path), "--at", "x=1,y=2", "--format", "jsonl")
    records = jsonl(result.stdout)
    assert result.exit_code == 2 and [r["line"] for r in records] == [1, 3, 4]
    assert records[1]["error"]["kind"] == "syntax_error" and records[1]["error"]["column"] == 6
    assert "error" not in records[0] and "error" not in records[2]
    assert result.stderr.strip().endswith("2 ok, 1 failed")
    plain = run(command, "-f", str(path), "--at", "x=1,y=2", "--format", "plain")
    assert f"# {path}:1" in plain.stdout and f"# {path}:4" in plain.stdout
    assert f"{path}:3:6: error[syntax_error]" in plain.stderr


def test_check_grades_a_list_of_answers() -> None:
    result = run("check", "--of", "sin(x^2)", "--format", "json", stdin="2*x*cos(x^2)\nx*cos(x^2)\n")
    records = json.loads(result.stdout)
    assert result.exit_code == 1 and [r["line"] for r in records] == [1, 2]
    assert [r["verdict"] for r in records] == ["correct", "wrong"]


def test_each_answer_is_emitted_before_the_next_line_is_read() -> None:
    """Streaming end to end: output keeps pace with input (a generator-backed stdin of many lines)."""
    from adcli import api
    from adcli.batch.inputs import STDIN, lines, problems_in

    class Stream:
        handed = 0

        def readline(self, limit: int = -1) -> bytes:
            self.handed += 1
            return f"x*{self.handed}\n".encode() if self.handed <= 100_000 else b""

    stream, seen = Stream(), []

    class Enough(BaseException):  # not an Exception: the batch's per-line guard lets it through
        pass

    class Watch(Collect):
        def emit(self, outcome: Outcome) -> None:
            seen.append(stream.handed)
            if len(seen) == 50:
                raise Enough  # enough: the rest of the 100,000 lines are never read

    def solve(text: str, given: object, defaults: object) -> object:
        return api.evaluate_problem(api.prepare(text, given, defaults=defaults))

    with pytest.raises(Enough):
        batch.run(problems_in(lines(stream, STDIN), STDIN), solve, Watch(), batch.point_bindings(["x=2"], None))
    assert seen == list(range(1, 51)) and stream.handed == 50


# ---- audit of issues 4 and 5 (regressions) --------------------------------------------------------


def test_an_unexpected_exception_is_that_lines_error_and_the_batch_goes_on() -> None:
    def shaky(text: str, given: object, defaults: object) -> str:
        if text == "bug":
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return text

    class Fragile(Collect):
        def emit(self, outcome: Outcome) -> None:
            if outcome.result == "unprintable":
                raise ValueError("cannot render this")
            super().emit(outcome)

    items = [Item("a", "f", 1), Item("bug", "f", 2), Item("unprintable", "f", 3), Item("b", "f", 4)]
    sink = Fragile()
    summary = batch.run(items, shaky, sink)
    got = [(o.item.line, o.result, o.error.kind if o.error else None) for o in sink.outcomes]
    assert got == [(1, "a", None), (2, None, "internal_error"), (3, None, "internal_error"), (4, "b", None)]
    assert "TypeError: only 0-dimensional" in sink.outcomes[1].error.message
    assert "bug" in sink.outcomes[1].error.message and "report" in sink.outcomes[1].error.message
    assert (summary.ok, summary.failed, summary.exit_code) == (2, 2, 3)


def test_a_line_with_a_one_point_set_loses_no_line(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("x^2\nx^3 at x={5}\nx^4\n", encoding="utf-8")
    result = run("grad", "-f", str(path), "--at", "x=1", "--format", "jsonl")
    records = jsonl(result.stdout)
    assert result.exit_code == 0 and [r["line"] for r in records] == [1, 2, 3]
    assert records[1]["at"] == {"x": 5.0} and close(records[1]["gradient"][0], 75.0)
    assert close(records[2]["gradient"][0], 4.0)


@pytest.mark.parametrize("fmt", ["plain", "table", "json", "jsonl", "csv"])
def test_a_span_in_the_expressions_own_at_works_like_an_at_span(fmt: str) -> None:
    own = run("grad", "x^2 at x=0:1:3", "--format", fmt)
    given = run("grad", "x^2", "--at", "x=0:1:3", "--format", fmt)
    assert own.exit_code == given.exit_code == 0
    assert own.stdout.replace("x^2 at x=0:1:3", "x^2") == given.stdout
    if fmt == "jsonl":
        records = jsonl(own.stdout)
        assert [r["at"]["x"] for r in records] == [0.0, 0.5, 1.0]
        assert all(close(r["gradient"][0], 2 * r["at"]["x"]) for r in records)


def test_json_is_one_object_for_one_expression_at_one_point_and_an_array_otherwise() -> None:
    assert isinstance(json.loads(run("grad", "x^2", "--at", "x=3", "--format", "json").stdout), dict)
    at = ["--at", "x=3"]
    cases = [(["-", *at], "x^2\n"), (at, "x^2\n"), (["x^2", "--at", "x={3}"], None), (["x^2 at x=3:3:1"], None)]
    for args, stdin in cases:  # a batch (even of one line) or a point set (even of one point): an array
        got = json.loads(run("grad", *args, "--format", "json", stdin=stdin).stdout)
        assert isinstance(got, list) and len(got) == 1 and close(got[0]["gradient"][0], 6.0), args


def test_a_domain_error_at_some_points_leaves_the_others_their_rows() -> None:
    result = run("eval", "log(x)", "--at", "x=-1:1:3, y=2", "--format", "jsonl")
    records = jsonl(result.stdout)
    assert result.exit_code == 1 and [r["point"] for r in records] == [1, 2, 3]
    assert [r.get("error", {}).get("kind") for r in records] == ["domain_error", "domain_error", None]
    assert records[0]["at"] == {"x": -1.0, "y": 2.0} and records[0]["error"]["column"] == 1
    assert "point" not in records[0]["error"]["message"] and "y = 2" not in records[0]["error"]["message"]
    assert close(records[2]["value"][0], 0.0)
    assert result.stderr.strip() == "0 ok, 1 failed (2 failed points)"
    plain = run("eval", "log(x)", "--at", "x=-1:1:3", "--format", "plain")
    assert plain.exit_code == 1 and plain.stdout.splitlines()[-1].split() == ["1", "0"]
    assert "error[domain_error]: point 1 of 3: log(x) is outside the domain" in plain.stderr


def test_a_wrong_answer_or_a_disagreement_counts_as_failed_in_the_summary() -> None:
    result = run("check", "--of", "sin(x)*cos(x)", "--format", "plain", stdin="cos(2*x)\nsin(x)\n2*cos(2*x)\n")
    assert result.exit_code == 1 and result.stderr.strip().endswith("1 ok, 2 failed")
    result = run("check", "--of", "sin(x)*cos(x)", "--format", "jsonl", stdin="cos(2*x)\nsin(x)\n")
    assert result.exit_code == 1 and result.stderr.strip().endswith("1 ok, 1 failed")


def test_batch_warnings_on_stderr_name_their_line_and_carets_keep_tabs(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("abs(x)\n\tx +* 2\nabs(x - 1) at x=0:1:3\n", encoding="utf-8")
    result = run("grad", "-f", str(path), "--at", "x=0", "--format", "plain")
    err = result.stderr.splitlines()
    assert f"{path}:1: warning[nondifferentiable]: abs(x) is not differentiable at x = 0" in result.stderr
    assert f"{path}:3: warning[nondifferentiable]: abs(x - 1) is not differentiable" in result.stderr
    i = next(k for k, line in enumerate(err) if line.startswith(f"{path}:2:5: error[syntax_error]"))
    assert err[i + 1 : i + 3] == ["\tx +* 2", "\t   ^"]


def test_an_at_value_for_a_points_column_keeps_the_columns_order(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    records = jsonl(run("grad", "x*y^2", "--points", str(path), "--at", "x=5", "--format", "jsonl").stdout)
    assert [r["wrt"] for r in records] == [["x", "y"]] * 2
    assert [r["at"] for r in records] == [{"x": 5.0, "y": 2.0}, {"x": 5.0, "y": 4.0}]


def test_dash_file_is_stdin_and_dash_expr_comes_first(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x^3\n", encoding="utf-8")
    first = jsonl(run("eval", "-", "-f", str(path), "--at", "x=2", "--format", "jsonl", stdin="x^2\n").stdout)
    last = jsonl(run("eval", "-f", str(path), "-f", "-", "--at", "x=2", "--format", "jsonl", stdin="x^2\n").stdout)
    assert [r["input"] for r in first] == ["x^2", "x^3"] and [r["input"] for r in last] == ["x^3", "x^2"]


def test_a_line_over_the_parsers_limit_fails_alone_and_is_not_echoed_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x^2\n" + "x+" * 750_000 + "x\nx^3\n", encoding="utf-8")  # 1.5 MB: under the byte limit
    result = run("eval", "-f", str(path), "--at", "x=2", "--format", "jsonl")
    records = jsonl(result.stdout)
    assert result.exit_code == 2 and [r["line"] for r in records] == [1, 2, 3]
    assert records[1]["error"]["kind"] == "limit_exceeded"
    assert len(records[1]["input"]) < 1100 and records[1]["input"].endswith("(1,500,001 characters)")


def test_a_closed_pipe_stops_quietly_with_the_sigpipe_status() -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "adcli", "eval", "x^2", "--at", "x=0:1:300000", "--format", "csv"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"file,line,point")
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.wait() == 141 and b"Traceback" not in err and b"Error" not in err


@pytest.mark.parametrize("fmt", [None, "json"])
def test_option_errors_use_adclis_error_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fmt: str | None
) -> None:
    from adcli.cli import app as cli

    args = ["adcli", "compare", "x", "--at", "x=1", "--rtol", "abc", *(["--format", fmt] if fmt else [])]
    monkeypatch.setattr("sys.argv", args)
    with pytest.raises(SystemExit) as done:
        cli.main()
    out, err = capsys.readouterr()
    assert done.value.code == 2
    if fmt == "json":
        error = json.loads(out)["error"]
        assert error["kind"] == "usage_error" and "'--rtol'" in error["message"] and err == ""
    else:
        assert err.startswith("error[usage_error]: Invalid value for '--rtol': 'abc' is not a valid float.")
        assert "adcli compare --help" in err and "Usage:" not in err
