"""`adcli repl` fed from stdin (not a terminal): settings, numbered results, names, errors, :help, :quit."""

from __future__ import annotations

import io
import json
import math

import pytest
from typer.testing import CliRunner

from adcli.cli.app import app
from adcli.cli.repl.loop import HELP, SETTINGS, Session
from adcli.core.errors import AdcliError

RUNNER = CliRunner()


def repl(script: str, *args: str):  # noqa: ANN201 - typer's Result
    result = RUNNER.invoke(app, ["repl", *args], input=script)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("adcli repl crashed") from result.exception
    return result


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def json_array(text: str) -> list[dict]:
    """The JSON array that starts on a line of its own (a point set's records)."""
    return json.loads(text[text.index("\n[\n") :])


def test_a_line_is_a_problem_with_the_sessions_point() -> None:
    result = repl("sin(x)*y\n", "--at", "x=1,y=2", "--format", "json")
    (out,) = json_lines(result.stdout)
    assert result.exit_code == 0 and out["mode"] == "reverse"  # jac, auto: 2 inputs > 1 output
    assert math.isclose(out["jacobian"][0][0], 2 * math.cos(1), rel_tol=1e-15)


def test_settings_change_what_a_line_computes() -> None:
    script = ":format json\n:mode reverse\n:at x=2, y=3\nx^2*y\n:command eval\nx^2*y\n:command grad\nx, y\n"
    result = repl(script)
    outs = json_lines(result.stdout)
    assert outs[0]["mode"] == "reverse" and outs[0]["jacobian"] == [[12.0, 4.0]]
    assert outs[1]["mode"] is None and "jacobian" not in outs[1] and outs[1]["value"] == [12.0]
    assert outs[2]["error"]["kind"] == "usage_error" and "jac" in outs[2]["error"]["message"]
    assert "mode: reverse" in result.stdout and "at: x=2, y=3" in result.stdout


def test_numbered_results_and_names_are_reused() -> None:
    script = ":at x=2, y=3\nx^2\nf = x*y\n$1 + f\n:name g\ng*2\n$\n:names\n:format json\n$4\n"
    result = repl(script, "--format", "plain")
    assert "$1\n" in result.stdout and "$2 = f\n" in result.stdout and "$3\n" in result.stdout
    assert "read as: f = x*y; x^2 + f" in result.stdout
    assert "read as: g = x^2 + x*y; g*2" in result.stdout
    assert "g = x^2 + x*y" in result.stdout and "$4 = (x^2 + x*y)*2" in result.stdout
    (out,) = json_lines(result.stdout)
    assert out["value"] == [20.0] and out["jacobian"] == [[14.0, 4.0]]  # (x^2 + x*y)*2 at (2, 3)


def test_errors_are_shown_and_the_session_goes_on() -> None:
    result = repl("sin(x\nx\n$7\n:bogus\n:mode sideways\nx + 1\n", "--at", "x=1", "--format", "plain")
    assert result.exit_code == 0
    assert "error[syntax_error]" in result.stderr
    assert "there is no result $7: the only result so far is $1" in result.stderr
    assert "unknown command :bogus" in result.stderr and "not 'sideways'" in result.stderr
    assert "read as: x + 1" in result.stdout


def test_a_span_in_the_session_point_gives_a_table_of_points() -> None:
    result = repl(":at x=0:1:3\nx^2\n", "--format", "plain")
    lines = result.stdout.splitlines()
    assert any(line.split() == ["0.5", "0.25", "1"] for line in lines)


def test_help_lists_every_command_and_quit_stops() -> None:
    result = repl(":help\n:quit\nx\n", "--at", "x=1")
    for word in SETTINGS:
        if len(word) > 2 and word not in ("exit",):
            assert f":{word}" in result.stdout, word
    assert "read as" not in result.stdout  # the line after :quit is never run


def test_bad_start_up_settings_are_usage_errors() -> None:
    result = repl("", "--mode", "sideways")
    assert result.exit_code == 2 and "usage_error" in result.stderr


def test_the_session_object() -> None:
    session = Session()
    assert session.set_at("x=1") == "at: x=1" and session.set_wrt("-") == "wrt: (the point order)"
    with pytest.raises(AdcliError):
        session.set_at("x==")
    with pytest.raises(AdcliError):
        session.set_precision("30")
    assert session.expand("plain").text == "plain"
    session.names["f"] = "x^2"
    assert session.expand("f + x").text == "f = (x^2); f + x"
    assert session.expand("2e5*fe + 1e-3").text == "2e5*fe + 1e-3"  # numbers and longer words hold no name
    session.names["e5"] = "y"  # (not a name the session would accept: the digits make it one)
    assert session.expand("1e5 + 2").text == "1e5 + 2"
    assert "now: jac" in session.show_help("") and HELP


def test_interactive_loop_uses_input_and_a_prompt(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from adcli.cli.repl import loop

    typed = iter(["x^2", ":quit"])
    prompts = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr(loop, "HISTORY", str(tmp_path / "history"))
    out = io.StringIO()
    shown = []
    loop.run(Session(at=["x=3"]), io.StringIO(), out, io.StringIO(), lambda *a: shown.append(a), True)
    assert prompts == [loop.PROMPT, loop.PROMPT] and shown[0][0].value == [9.0]
    assert ":help" in out.getvalue()


# ---- audit of issues 4 and 5 (regressions) --------------------------------------------------------


def test_a_one_point_set_is_shown_and_the_session_goes_on() -> None:
    result = repl(":at x={2}\nx^2\nx^3\n", "--format", "plain")
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines.count("$1") == 1 and lines.count("$2") == 1
    assert ["2", "4", "4"] in [line.split() for line in lines] and ["2", "8", "12"] in [line.split() for line in lines]


def test_at_sets_the_named_variables_and_keeps_the_others() -> None:
    session = Session()
    assert session.set_at("x=1, y=2") == "at: x=1, y=2"
    assert session.set_at("x=0:1:3") == "at: x=0:1:3, y=2"
    assert session.set_at("z={1, 2.5}, y=pi") == "at: x=0:1:3, y=pi, z={1, 2.5}"
    assert session.set_at("-") == "at: (no values)"
    result = repl(":at x=1, y=2\n:at x=0:1:3\nx*y\n", "--format", "json")
    records = json.loads(result.stdout[result.stdout.index("[") :])  # many points: an array of records
    assert [r["at"] for r in records] == [{"x": 0.0, "y": 2.0}, {"x": 0.5, "y": 2.0}, {"x": 1.0, "y": 2.0}]


def test_an_unexpected_exception_in_a_line_is_reported_and_the_session_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    solve = Session.solve

    def flaky(self: Session, text: str) -> object:
        calls.append(text)
        if len(calls) == 1:
            raise KeyError("boom")
        return solve(self, text)

    monkeypatch.setattr(Session, "solve", flaky)
    result = repl(":at x=3\nx^2\nx^3\n", "--format", "plain")
    assert result.exit_code == 0 and "error[internal_error]: adcli failed on this problem (KeyError" in result.stderr
    assert "$1" in result.stdout and "27" in result.stdout


# ---- user trial: bugs 1-4 (regressions) -----------------------------------------------------------


def test_a_result_reference_before_any_result_says_there_are_none_yet() -> None:
    result = repl("$\n$2\nx^2\n$0\n$3\n", "--at", "x=3", "--format", "plain")
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    assert len(errors) == 4, result.stderr
    assert "no results yet" in errors[0] and "$0" not in errors[0] and "no results yet" in errors[1]
    assert "there is no result $0: the only result so far is $1" in errors[2]
    assert "there is no result $3: the only result so far is $1" in errors[3]


def _values(stdout: str) -> list[float]:
    """The first output's value of each JSON answer (a single object per line)."""
    return [out["value"][0] for out in json_lines(stdout) if "value" in out]


def _errors(stdout: str) -> list[dict]:
    return [out["error"] for out in json_lines(stdout) if "error" in out]


def test_a_name_that_would_break_later_lines_is_refused_and_they_still_work() -> None:
    script = ":at x=1, y=2\nx*y\n:name sin\n:name pi\n:name x\n:name at\nx = y + 1\nsin = x\nsin(x)\nx + 1\n:names\n"
    result = repl(script, "--format", "json")
    errors = _errors(result.stdout)
    whys = ["sin is a function", "pi is a constant", "x has a value in the session's point", "at is the word"]
    whys += ["x has a value in the session's point", "sin is a function"]
    assert len(errors) == len(whys)
    for error, why in zip(errors, whys, strict=True):
        assert error["kind"] == "usage_error" and why in error["message"], error
        assert "a name must be a new word: not a function, a constant or a variable with a value" in error["message"]
    assert _values(result.stdout) == pytest.approx([2.0, math.sin(1), 2.0], rel=1e-15)  # x*y, sin(x), x + 1
    assert result.stdout.endswith("\n$1 = x*y\n$2 = sin(x)\n$3 = x + 1\n")  # :names: no name was made


def test_a_name_may_not_be_a_variable_of_its_own_expression_or_of_another_definition() -> None:
    script = "x*y at x=3, y=2\n:name x\nf = x*y at x=3, y=2\nz^2 at z=1\n:name x\n:name g\n:names\n"
    result = repl(script, "--format", "plain")
    assert ":name x: x is a variable of its own expression x*y" in result.stderr
    assert ":name x: x is a variable of f = x*y" in result.stderr
    assert result.stdout.endswith("\nf = x*y\ng = z^2\n$1 = x*y\n$2 = x*y\n$3 = z^2\n")  # no x among the names


def test_unname_drops_a_name_and_at_refuses_a_name_until_then() -> None:
    script = ":at x=2, y=3\nf = x*y\n:at f=5\nf + 1\n:unname f\n:at f=5\nf + 1\n:unname f\n:unname\n"
    result = repl(script, "--format", "json")
    assert _values(result.stdout) == [6.0, 7.0, 6.0]  # x*y; (x*y) + 1; then f is a plain variable, 5 + 1
    assert "dropped f = x*y" in result.stdout and "at: x=2, y=3, f=5" in result.stdout
    messages = [e["message"] for e in _errors(result.stdout)]
    assert messages[0] == ":at f=…: f is a name (f = x*y); ':unname f' drops it first"
    assert messages[1] == ":unname f: f is not a name; there are no names"
    assert messages[2].startswith(":unname needs a name")
    assert ":unname f" in HELP


def test_an_error_is_placed_in_the_line_as_typed_never_in_a_definition_put_in_front() -> None:
    script = ":at x=2, y=3\nf = x*y\nf + (x\n:at -\nz + f at z=1\nz + $1 at z=1\n2*$ at z=1\n"
    result = repl(script, "--format", "plain")
    blocks = result.stderr.split("error[")[1:]
    assert len(blocks) == 4, result.stderr
    # the end of `f + (x` is column 7 of what was typed (not of `f = (x*y); f + (x`)
    assert result.stderr.count("1:7: error[syntax_error]") == 1 and "f + (x\n      ^" in result.stderr
    # x and y have no value inside f's definition: the caret goes under f (column 5), the message names f
    assert "1:5: error[unbound_variable]: no value for x, y" in result.stderr and "(in f = x*y)" in result.stderr
    assert "z + f at z=1\n    ^" in result.stderr
    assert "(in $1 = x*y)" in result.stderr and "z + $1 at z=1\n    ^" in result.stderr
    assert "1:3: error[unbound_variable]" in result.stderr and "(in $1 = x*y)\n2*$ at z=1\n  ^" in result.stderr
    assert "f = (" not in result.stderr and "(x*y)" not in result.stderr  # no text the user never typed


def test_a_line_that_assigns_a_name_itself_uses_its_own_definition() -> None:
    result = repl(":at x=2, y=3\nf = x*y\nf = 10; f + 1\nf + 1\n", "--format", "json")
    assert _values(result.stdout) == [6.0, 11.0, 7.0]
    assert [out["input"] for out in json_lines(result.stdout)] == ["f = x*y", "f = 10; f + 1", "f + 1"]


def test_a_failing_point_of_a_point_set_fails_alone_in_text_output() -> None:
    result = repl(":at x={1,2,3,4}\nlog(x-3)\n", "--format", "plain")
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["x", "value", "d/dx"] in rows
    assert [["1", "domain_error", "-"], ["2", "domain_error", "-"], ["3", "domain_error", "-"]] == [
        r for r in rows if r[1:2] == ["domain_error"]
    ]
    assert ["4", "0", "1"] in rows  # log(4 - 3) = 0, d/dx log(x - 3) = 1/(x - 3) = 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[domain_error]")]
    assert [e.split(":")[1] for e in errors] == [" point 1 of 4", " point 2 of 4", " point 3 of 4"]
    assert "x - 3 = -2" in errors[0] and "x - 3 = 0" in errors[2]
    assert "failed" not in result.stderr  # no batch summary for a session's line


def test_a_point_sets_json_records_are_from_the_repl_with_per_point_errors() -> None:
    result = repl(":at x={1,2,3,4}\n:format json\nlog(x-3)\n")
    records = json_array(result.stdout)
    assert [r["point"] for r in records] == [1, 2, 3, 4] and [r["at"]["x"] for r in records] == [1.0, 2.0, 3.0, 4.0]
    assert all(r["file"] == "<repl>" and r["line"] == 3 and r["input"] == "log(x-3)" for r in records)
    assert [r["error"]["kind"] for r in records[:3]] == ["domain_error"] * 3 and "error" not in records[3]
    assert records[3]["value"] == [0.0] and records[3]["jacobian"] == [[1.0]]
    assert "<arg>" not in result.stdout


def test_a_failing_point_inside_a_name_is_placed_under_the_name() -> None:
    result = repl(":at x={2,4}\nf = log(x-3)\n:format json\n2*f\n")
    records = json_array(result.stdout)
    failed, ok = records
    assert failed["error"]["column"] == 3 and failed["error"]["message"].endswith("(in f = log(x - 3))")
    assert failed["input"] == "2*f" and failed["error"]["line"] == 4
    assert ok["value"] == [0.0] and ok["jacobian"] == [[2.0]]  # 2*log(1); d/dx 2*log(x - 3) = 2/(x - 3)


def test_many_failing_points_point_to_the_sessions_json_not_the_command_lines_formats() -> None:
    result = repl(":at x=0:1:31\nlog(x - 0.89)\n", "--format", "plain")  # x = k/30 < 0.89 for k = 0 … 26: 27 points
    assert result.stderr.count("error[domain_error]: point") == 20
    assert "… 7 more points failed: :format json gives each one's error" in result.stderr
    assert "--format" not in result.stderr


def test_a_long_table_in_the_session_points_to_the_sessions_json() -> None:
    result = repl(":at x=0:1:1005\nx^2\n", "--format", "table")
    assert "… 5 more points: :format json lists them all" in result.stdout
    assert "--format" not in result.stdout


def test_a_point_set_whose_every_point_fails_is_one_error_and_the_session_goes_on() -> None:
    result = repl(":at x={1,2}\nlog(x-3)\nx^2\n", "--format", "plain")
    assert "1:1: error[domain_error]" in result.stderr and "all 2 points fail" in result.stderr
    assert [["1", "1", "2"], ["2", "4", "4"]] == [line.split() for line in result.stdout.splitlines()[-2:]]


def test_a_lines_own_point_wins_over_the_sessions_and_unused_session_values_are_no_news() -> None:
    result = repl(":at x=1, y=2\nx^2 at x=5\nx^2\n", "--format", "json")
    first, second = json_lines(result.stdout)
    assert first["value"] == [25.0] and first["jacobian"] == [[10.0]]  # x^2 and 2x at x = 5
    assert second["value"] == [1.0] and second["jacobian"] == [[2.0]]  # the session's x = 1 again
    assert first["warnings"] == [] and second["warnings"] == []  # y serves other lines: not reported unused


class _Readline:
    """The two calls of the readline module the history uses, recorded."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def read_history_file(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            self.read.append(f.read())

    def write_history_file(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write("x^2\n")


def test_the_history_is_read_only_from_a_regular_file(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Issue 11: a FIFO as ~/.adcli_history would hang the session's start; a link to /dev/zero read forever."""
    import os

    from adcli.cli.repl import loop as repl

    history = tmp_path / ".adcli_history"
    monkeypatch.setattr(repl, "HISTORY", str(history))
    os.mkfifo(history)
    reader = _Readline()
    repl._read_history(reader)  # a FIFO: not opened for reading (it would block)
    history.unlink()
    history.symlink_to("/dev/zero")
    repl._read_history(reader)
    history.unlink()
    history.write_text("sin(x)\n", encoding="utf-8")
    repl._read_history(reader)
    assert reader.read == ["sin(x)\n"]


def test_the_history_is_written_whole_or_not_at_all(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from adcli.cli.repl import loop as repl

    history = tmp_path / ".adcli_history"
    monkeypatch.setattr(repl, "HISTORY", str(history))
    repl._write_history(_Readline())
    assert history.read_text(encoding="utf-8") == "x^2\n" and [p.name for p in tmp_path.iterdir()] == [history.name]

    class Failing(_Readline):
        def write_history_file(self, path: str) -> None:
            with open(path, "w", encoding="utf-8") as f:
                f.write("half")
            raise OSError(28, "No space left on device")

    repl._write_history(Failing())
    assert history.read_text(encoding="utf-8") == "x^2\n" and len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(repl, "HISTORY", str(tmp_path / "no" / "such" / ".adcli_history"))
    repl._write_history(_Readline())  # a home folder that does not exist is not created
    assert not (tmp_path / "no").exists()


def test_a_chain_of_results_uses_each_graph_not_its_text() -> None:
    """Issue 11: 2,000 chained `$ + 1` lines took 42 s, each parsing (and printing) every earlier result's
    text again; `$k` is now result k's graph, under a placeholder name the parser takes as it is."""
    from adcli.cli.repl.session import State

    session = State()
    session.at = ["x=1"]
    session.format = "json"
    session.solve("x")
    for _ in range(300):
        k, _, result = session.solve("$ + 1")
    assert k == 301 and result.value == [301.0] and result.jacobian == [[1.0]]
    expansion = session.expand("$ + $1")
    assert expansion.text == "_r301 + _r1" and set(expansion.given) == {"_r301", "_r1"}
    assert session.results[0] == "x" and session.results[-1].startswith("x + 1 + 1")  # texts made when asked


def test_a_placeholder_never_clashes_with_the_line_and_a_fault_inside_a_result_points_at_it() -> None:
    result = repl("1/(x-1)\n:at x=1, _r1=5\n_r1*2 + $1\n", "--at", "x=2", "--format", "plain")  # _r1: a variable
    assert "1:9: error[nonfinite]: 1/(x - 1) divided by zero at x - 1 = 0 (in $1 = 1/(x - 1))" in result.output
    long = "1/(x-1) + " + " + ".join(f"x^{k}" for k in range(1, 60))  # longer than a message shows
    result = repl(f"{long}\n:at x=1\n$1 + 1\n", "--at", "x=2", "--format", "plain")
    said = next(line for line in result.output.splitlines() if "error[nonfinite]" in line)
    assert "(in $1 = 1/(x - 1) + x^1 + x^2" in said and said.endswith("…)") and len(said) < 300
