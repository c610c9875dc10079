"""The command line: exit codes per error kind, the JSON schema, options, no tracebacks, help and docs.

Most cases run in-process with Typer's CliRunner; the ones about real processes (stdin, a 10 MB
input, environment variables, `python -m adcli`) run `sys.executable -m adcli` in a subprocess.
References are closed forms (math), compared with tolerances, never `==` on floats.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from typer.main import get_command
from typer.testing import CliRunner

import adcli
from adcli.cli.app import app
from adcli.core.primitives import FUNCTIONS

RUNNER = CliRunner()
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
CORE = ["grad", "jac", "eval", "functions"]
ERROR_KEYS = {"kind", "message", "line", "column"}
COLOR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-79]|9[0-7]|38|4[0-79]|10[0-7]|48)[;m]")


def run(*args: str, stdin: str | None = None):  # noqa: ANN201 - typer's Result
    """The app in-process; a crash (anything but SystemExit) fails the test with its traceback."""
    result = RUNNER.invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"adcli {' '.join(args)!r} crashed") from result.exception
    return result


def run_json(command: str, *args: str, stdin: str | None = None) -> tuple[int, dict]:
    """`adcli COMMAND --format json ARGS…` (the option first, so that ARGS may end with `-- TEXT`)."""
    result = run(command, "--format", "json", *args, stdin=stdin)
    return result.exit_code, json.loads(result.stdout)


def process(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None, timeout: float = 60):
    """A real `python -m adcli` process (bytes in, text out)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "adcli", *args],
        input=data if data is not None else b"",
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def close(a: float, b: float, rel: float = 1e-14) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


# ---- exit codes and the error object ------------------------------------------------------------

ERRORS = [
    # (arguments, kind, exit code)
    (["eval", "sin(x", "--at", "x=1"], "syntax_error", 2),
    (["eval", "x**", "--at", "x=1"], "syntax_error", 2),
    (["eval", "2 +* 3"], "syntax_error", 2),
    (["eval", ""], "syntax_error", 2),
    (["eval", "sin^-1(x)", "--at", "x=0.5"], "syntax_error", 2),
    (["eval", "2x", "--at", "x=1", "--strict"], "syntax_error", 2),
    (["eval", "sinn(x)", "--at", "x=1"], "unknown_function", 2),
    (["eval", "xy", "--at", "x=1,y=2"], "unbound_variable", 2),
    (["grad", "x*y + z", "--at", "x=1"], "unbound_variable", 2),
    (["eval", "atan2(x)", "--at", "x=1"], "arity_error", 2),
    (["eval", "max(x, x, x)", "--at", "x=1"], "arity_error", 2),
    (["eval", "x", "--at", "x=="], "usage_error", 2),
    (["eval", "x", "--at", "pi=3"], "usage_error", 2),
    (["grad", "x, y", "--at", "x=1,y=1"], "usage_error", 2),
    (["grad", "x", "--at", "x=1", "--mode", "sideways"], "usage_error", 2),
    (["jac", "x", "--at", "x=1", "--dir", "x=1", "--cot", "1"], "usage_error", 2),
    (["jac", "x*y, x+y", "--at", "x=1,y=2", "--cot", "1"], "usage_error", 2),
    (["eval", "log(-1)"], "domain_error", 1),
    (["eval", "sqrt(-1)"], "domain_error", 1),
    (["eval", "acosh(0.5)"], "domain_error", 1),
    (["eval", "(-2)^0.5"], "domain_error", 1),
    (["grad", "log(x)", "--at", "x=0"], "domain_error", 1),
    (["eval", "exp(1000)"], "nonfinite", 1),
    (["eval", "1/x", "--at", "x=0"], "nonfinite", 1),
    (["grad", "sqrt(x)", "--at", "x=0"], "nonfinite", 1),
    (["grad", "hypot(x, y)", "--at", "x=0,y=0"], "nonfinite", 1),
]


@pytest.mark.parametrize(("args", "kind", "code"), ERRORS, ids=[" ".join(a[:2]) for a, _, _ in ERRORS])
def test_error_kind_exit_code_and_json_object(args: list[str], kind: str, code: int) -> None:
    exit_code, out = run_json(*args)
    assert exit_code == code
    assert set(out) >= {"error"}
    assert set(out["error"]) == ERROR_KEYS
    assert out["error"]["kind"] == kind
    assert out["error"]["message"] and "\n" not in out["error"]["message"]
    for key in ("line", "column"):
        assert out["error"][key] is None or (isinstance(out["error"][key], int) and out["error"][key] >= 1)


@pytest.mark.parametrize(("args", "kind", "code"), ERRORS, ids=[" ".join(a[:2]) for a, _, _ in ERRORS])
def test_error_text_is_one_line_with_kind_on_stderr(args: list[str], kind: str, code: int) -> None:
    result = run(*args, "--format", "plain")
    assert result.exit_code == code
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert f"error[{kind}]" in first
    assert "Traceback" not in result.stderr


def test_error_place_and_caret() -> None:
    exit_code, out = run_json("eval", "1 + sinn(x)", "--at", "x=1")
    assert (exit_code, out["error"]["line"], out["error"]["column"]) == (2, 1, 5)
    text = run("eval", "a = x\n2 +* a", "--at", "x=1", "--format", "plain").stderr.splitlines()
    assert text[0].startswith("2:4: error[syntax_error]")
    assert text[1:3] == ["2 +* a", "   ^"]


def test_success_exits_zero_and_warnings_keep_zero() -> None:
    assert run("grad", "sin(x)*y", "--at", "x=1,y=2").exit_code == 0
    exit_code, out = run_json("grad", "abs(x)", "--at", "x=0")
    assert exit_code == 0
    assert [w["kind"] for w in out["warnings"]] == ["nondifferentiable"]
    assert {"node", "at", "left", "right", "convention"} <= set(out["warnings"][0])


def test_typer_usage_errors_exit_two() -> None:
    assert run("grad", "x", "--bogus").exit_code == 2
    assert run("grad", "x", "--precision", "0").exit_code == 2
    assert run("nonsense").exit_code == 2


# ---- the JSON schema ----------------------------------------------------------------------------

BASE_KEYS = {"input", "read_as", "outputs", "wrt", "at", "mode", "sweeps", "value", "warnings"}


def test_grad_json_schema() -> None:
    exit_code, out = run_json("grad", "sin(x)*y", "--at", "x=1,y=2")
    assert exit_code == 0
    assert BASE_KEYS | {"jacobian", "gradient"} <= set(out)
    assert out["input"] == "sin(x)*y"
    assert out["read_as"] == "sin(x)*y"
    assert out["outputs"] == ["sin(x)*y"]
    assert out["wrt"] == ["x", "y"]
    assert out["at"] == {"x": 1.0, "y": 2.0}
    assert (out["mode"], out["sweeps"]) == ("reverse", 1)
    assert close(out["value"][0], 2 * math.sin(1))
    want = [2 * math.cos(1), math.sin(1)]
    assert all(close(g, w) for g, w in zip(out["gradient"], want, strict=True))
    assert len(out["jacobian"]) == 1
    assert all(close(g, w) for g, w in zip(out["jacobian"][0], want, strict=True))
    assert out["warnings"] == []


def test_jac_json_schema_and_auto_mode() -> None:
    exit_code, out = run_json("jac", "x*y, x+y, sin(x)", "--at", "x=1,y=2")
    assert exit_code == 0
    assert BASE_KEYS | {"jacobian"} <= set(out)
    assert "gradient" not in out
    assert len(out["outputs"]) == 3
    assert (out["mode"], out["sweeps"]) == ("forward", 2)  # 2 inputs <= 3 outputs
    want = [[2, 1], [1, 1], [math.cos(1), 0]]
    for row, ref in zip(out["jacobian"], want, strict=True):
        assert all(math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-15) for a, b in zip(row, ref, strict=True))
    _, wide = run_json("jac", "x*y*z", "--at", "x=1,y=2,z=3")
    assert (wide["mode"], wide["sweeps"]) == ("reverse", 1)  # 3 inputs > 1 output


def test_eval_json_schema() -> None:
    exit_code, out = run_json("eval", "x^2 + 1, sqrt(x)", "--at", "x=4")
    assert exit_code == 0
    assert BASE_KEYS <= set(out)
    assert "gradient" not in out and "jacobian" not in out
    assert (out["mode"], out["sweeps"]) == (None, 0)
    assert [close(v, w) for v, w in zip(out["value"], [17.0, 2.0], strict=True)] == [True, True]


def test_json_floats_at_full_precision() -> None:
    _, out = run_json("eval", "pi/3", "--precision", "2")
    assert out["value"][0] == pytest.approx(math.pi / 3, rel=1e-16)


# ---- options ------------------------------------------------------------------------------------


def test_at_repeats_and_overrides_the_texts_point() -> None:
    _, out = run_json("grad", "sin(x)*y at x=1, y=2", "--at", "y=3")
    assert out["at"] == {"x": 1.0, "y": 3.0}
    assert close(out["value"][0], 3 * math.sin(1))
    _, out = run_json("grad", "x^2 + y", "--at", "x=3", "--at", "y=1", "--at", "x=4")
    assert out["at"]["x"] == pytest.approx(4.0)
    assert close(out["value"][0], 17.0)


def test_at_values_may_be_constant_expressions() -> None:
    _, out = run_json("eval", "sin(x) + y", "--at", "x=pi/6,y=-1e-3")
    assert math.isclose(out["value"][0], 0.5 - 1e-3, rel_tol=1e-14)


def test_wrt_orders_the_columns() -> None:
    _, out = run_json("grad", "x*y", "--at", "x=1,y=2", "--wrt", "y,x")
    assert out["wrt"] == ["y", "x"]
    assert all(close(g, w) for g, w in zip(out["gradient"], [1.0, 2.0], strict=True))
    _, out = run_json("grad", "x*y", "--at", "y=2,x=1")
    assert out["wrt"] == ["y", "x"]  # default: the order of the point


def test_mode_forward_agrees_with_reverse() -> None:
    _, rev = run_json("grad", "exp(x)*sin(y)/x", "--at", "x=0.7,y=1.3")
    _, fwd = run_json("grad", "exp(x)*sin(y)/x", "--at", "x=0.7,y=1.3", "--mode", "forward")
    assert (fwd["mode"], fwd["sweeps"]) == ("forward", 2)
    assert all(close(a, b, 1e-13) for a, b in zip(rev["gradient"], fwd["gradient"], strict=True))


def test_dir_gives_a_jvp_in_one_forward_sweep() -> None:
    _, out = run_json("jac", "x*y, x+y", "--at", "x=1,y=2", "--dir", "x=1,y=0")
    assert (out["mode"], out["sweeps"]) == ("forward", 1)
    assert out["direction"] == {"x": 1.0, "y": 0.0}
    assert all(close(a, b) for a, b in zip(out["jvp"], [2.0, 1.0], strict=True))


def test_cot_gives_a_vjp_in_one_reverse_sweep() -> None:
    _, out = run_json("jac", "x*y, x+y", "--at", "x=1,y=2", "--cot", "1,0")
    assert (out["mode"], out["sweeps"]) == ("reverse", 1)
    assert out["cotangent"] == [1.0, 0.0]
    assert all(close(a, b) for a, b in zip(out["vjp"], [2.0, 1.0], strict=True))


def test_precision_sets_significant_digits_in_plain_text() -> None:
    out = run("eval", "pi", "--precision", "3", "--format", "plain").stdout
    assert "3.14" in out and "3.142" not in out
    out = run("eval", "pi", "--format", "plain").stdout
    assert "3.141592654" in out  # the default, 10 digits


def test_strict_refuses_implicit_multiplication_only() -> None:
    exit_code, out = run_json("eval", "2x", "--at", "x=1", "--strict")
    assert (exit_code, out["error"]["column"]) == (2, 2)
    assert run_json("eval", "2*x", "--at", "x=1", "--strict")[0] == 0
    assert run_json("eval", "2x", "--at", "x=1")[0] == 0


def test_implicit_product_after_division_is_noted() -> None:
    result = run("eval", "1/2x", "--at", "x=3", "--format", "plain")
    assert "read as: (1/2)*x" in result.stdout
    assert "note: 1/2x read as (1/2)*x" in result.stderr
    _, out = run_json("eval", "1/2x", "--at", "x=3")
    assert close(out["value"][0], 1.5) and out["notes"]


def test_an_expression_starting_with_minus_goes_after_double_dash() -> None:
    _, out = run_json("eval", "--at", "x=3", "--", "-x^2")
    assert close(out["value"][0], -9.0)


def first_result(stdout: bytes) -> dict:
    """The first JSON result printed: one object, or the first of a batch's array or JSON lines."""
    text = stdout.decode().strip()
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        found = json.loads(text.splitlines()[0])
    return found[0] if isinstance(found, list) else found


def test_dash_reads_the_expression_from_stdin() -> None:
    done = process("grad", "-", "--at", "x=1,y=2", "--format", "json", stdin="sin(x)*y\n")
    assert done.returncode == 0, done.stderr
    out = first_result(done.stdout)
    assert out["input"].strip() == "sin(x)*y"
    assert close(out["value"][0], 2 * math.sin(1))
    assert all(close(g, w) for g, w in zip(out["gradient"], [2 * math.cos(1), math.sin(1)], strict=True))


def test_functions_lists_every_table_entry() -> None:
    result = run("functions", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    text = " ".join(r["name"] for r in rows)
    for name in FUNCTIONS:
        assert re.search(rf"\b{re.escape(name)}\b", text), name
    assert all({"name", "arity", "domain", "derivative"} <= set(r) for r in rows)
    plain = run("functions", "--format", "plain").stdout
    assert all(re.search(rf"\b{re.escape(n)}\b", plain) for n in FUNCTIONS)


def test_version() -> None:
    result = run("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"adcli {adcli.__version__}")


def test_python_dash_m_adcli_version() -> None:
    done = process("--version")
    assert (done.returncode, done.stdout.decode().strip()) == (0, f"adcli {adcli.__version__}")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    examples = result.stdout[result.stdout.index(" Examples") :]  # set apart, after the options' panels
    assert f"$ adcli {command}" in examples
    assert "╭─ Options" in result.stdout  # Typer's Rich help, in panels


def test_main_help_lists_the_commands_in_panels_never_cut() -> None:
    out = run("--help").stdout
    assert all(name in out for name in CORE)
    assert not re.search(r"\.\.\.\s*│", out)  # each summary whole (Click cut them at 45 characters with ...)
    flowing = re.sub(r"[│\s]+", " ", out)
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        summary = " ".join(command.help.split("\n\n")[0].split())
        assert summary in flowing, name
    assert all(f"╭─ {panel}" in out for panel in ("Derivatives", "See how each mode works"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    """sqlite-utils style: a command without a `### adcli NAME` section in README.md fails here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ .*\badcli {re.escape(command)}\b", readme, re.MULTILINE), command


# ---- bad input never crashes ----------------------------------------------------------------------

NASTY = [
    "",
    " ",
    ";;",
    "# only a comment",
    "sin(x",
    "x)",
    "x**",
    "2 +* 3",
    "x^^2",
    "__import__('os').system('ls')",
    "().__class__",
    "lambda: 0",
    "x.__class__",
    "exec('1')",
    "eval(x)",
    "open('/etc/passwd')",
    '"x"',
    "x\x00",
    "\x00",
    "1e999",
    "1e308*10",
    "9" * 400,
    "(" * 60,
    ")" * 60,
    "x " * 500,
    "[1, 2]",
    "{}",
    "x = 1",
    "a = 1; a = 2; a",
    "pi = 3; pi",
    "sin = 2; sin",
    "x at",
    "x at x=",
    "x at x=1:2:",
    "x at x=[1,",
    "√",
    "²",
    "x⁻",
    "sin^x(x)",
    "sin^-1 x",
    "𝑥",
    "x @ y",
    "x ; ; y",
    "\u202e x",
    "nan",
    "inf",
    "1/0",
    "0/0",
    "0^0",
    "0^-1",
    "(-8)^(1/3)",
    "max()",
    "sin()",
    "sin(,)",
    "x,",
    ",x",
    "1 2",
    "tan(pi/2)",
    "log(0)",
    "atan2(0, 0)",
    "x^1e300",
]


@pytest.mark.parametrize("text", NASTY, ids=[repr(t[:20]) for t in NASTY])
@pytest.mark.parametrize("command", ["eval", "grad"])
def test_nasty_input_gets_an_answer_or_an_error_object(command: str, text: str) -> None:
    exit_code, out = run_json(command, "--at", "x=0.5,y=2", "--", text)
    assert exit_code in (0, 1, 2)
    if exit_code:
        assert set(out["error"]) == ERROR_KEYS
    else:
        assert "value" in out and not isinstance(out.get("error"), dict)


@pytest.mark.parametrize(
    "text", ["__import__('os').system('ls')", "().__class__", "lambda: 0", "x\x7f", "sin(x", "log(-1)"]
)
def test_no_traceback_from_a_real_process(text: str) -> None:
    done = process("eval", "--at", "x=1", "--", text)
    assert done.returncode in (1, 2)
    assert b"Traceback" not in done.stderr
    assert done.stderr.count(b"\n") <= 4  # a message, the line, a caret (and maybe a warning)


def test_code_is_never_run() -> None:
    for text in ["__import__('os').system('ls')", "().__class__", "lambda: 0"]:
        _, out = run_json("eval", text)
        assert out["error"]["kind"] in ("syntax_error", "unknown_function")


def test_ten_megabytes_on_stdin_is_refused_or_answered_quickly() -> None:
    text = "x+" * 5_000_000 + "x"  # 10 MB on one line
    done = process("eval", "-", "--at", "x=1", "--format", "json", stdin=text, timeout=60)
    assert done.returncode in (0, 2)
    assert b"Traceback" not in done.stderr
    if done.returncode == 2:
        assert b"limit_exceeded" in done.stdout + done.stderr


def test_hundred_thousand_nested_parentheses() -> None:
    text = "(" * 100_000 + "x" + ")" * 100_000
    done = process("eval", "-", "--at", "x=2", "--format", "json", stdin=text, timeout=120)
    assert b"Traceback" not in done.stderr and b"RecursionError" not in done.stderr
    if done.returncode == 0:
        assert close(first_result(done.stdout)["value"][0], 2.0)
    else:
        assert done.returncode == 2 and b"limit_exceeded" in done.stdout + done.stderr


# ---- Rich: user text is text, colour follows NO_COLOR -------------------------------------------


def _result(text: str) -> adcli.Result:
    """A real result whose user-facing strings carry Rich markup."""
    result = adcli.gradient("sin(x)*y", x=1, y=2)
    result.read_as = text
    result.outputs = [text]
    result.notes = [f"note about {text}"]
    return result


@pytest.mark.parametrize("text", ["x[/i]", "[bold]y[/bold]", "[red]", "a[link=x]b", "\\[x]"])
def test_rich_markup_in_user_text_is_shown_literally(text: str) -> None:
    from rich.console import Console

    from adcli.render import results as render

    console = Console(record=True, width=120, force_terminal=True, color_system="standard")
    render.table(_result(text), 10, console)
    shown = console.export_text()
    assert text in shown
    assert "1.080604612" in shown


@pytest.mark.parametrize("width", [30, 40, 60, 100])
def test_a_table_never_cuts_a_number_however_narrow_the_terminal(width: int) -> None:
    """At any width every number is printed whole: as a table when they fit, else a block per output."""
    from rich.console import Console

    from adcli import api
    from adcli.render import results as render

    x, y = 1.234567, 2.345678
    f = math.sin(x) * math.exp(y) / (1 + x**2)
    exact = [f, math.exp(y) * (math.cos(x) * (1 + x**2) - 2 * x * math.sin(x)) / (1 + x**2) ** 2, f]
    console = Console(record=True, width=width)
    render.table(api.gradient("sin(x)*exp(y)/(1+x^2)", x=x, y=y), 10, console)
    shown = console.export_text()
    assert all(f"{v:.10g}" in shown for v in exact), shown
    assert "…" not in shown and max(len(line.rstrip()) for line in shown.splitlines()) <= width


def test_table_format_through_the_cli() -> None:
    result = run("grad", "x*y", "--at", "x=1,y=2", "--format", "table")
    assert result.exit_code == 0
    assert "∂/∂x" in result.stdout and "reverse mode" in result.stdout


def test_no_color_is_respected() -> None:
    args = ("grad", "abs(x)", "--at", "x=0", "--format", "table")
    coloured = process(*args, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    plain = process(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert coloured.returncode == plain.returncode == 0
    assert COLOR.search((coloured.stdout + coloured.stderr).decode())  # the warning is yellow
    assert not COLOR.search((plain.stdout + plain.stderr).decode())
    assert "nondifferentiable" in (plain.stdout + plain.stderr).decode()


def test_pipes_get_plain_text_without_escape_codes() -> None:
    done = process("grad", "sin(x)*y", "--at", "x=1,y=2", env={"NO_COLOR": "", "FORCE_COLOR": ""})
    out = done.stdout.decode()
    assert done.returncode == 0 and "\x1b[" not in out
    assert out.splitlines()[0] == "read as: sin(x)*y"


# ---- start-up: what is imported before a command runs -------------------------------------------


def test_importing_the_cli_loads_no_numpy_lark_or_rich() -> None:
    """The heavy packages are imported by the command that needs them (start-up target: 0.20 s)."""
    code = "import sys, adcli.cli.app; print(sorted(m for m in ('numpy', 'lark', 'rich') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_main_keeps_openblas_to_one_thread_unless_told_otherwise() -> None:
    code = (
        "import os, sys; from adcli.cli.app import main; sys.argv = ['adcli', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint(os.environ['OPENBLAS_NUM_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.splitlines()[-1] == "1"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "OPENBLAS_NUM_THREADS": "3"},
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "3"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_builds_only_its_own_command(command: str) -> None:
    """main() hands Typer the app with the one command the arguments name (building all twelve Click
    commands cost 0.04 s a run); the app itself keeps all of them."""
    from adcli.cli.app import _app_for

    one = _app_for([command, "x", "--format", "json"])
    assert sorted(get_command(one).commands) == [command]  # type: ignore[attr-defined]
    assert sorted(get_command(app).commands) == COMMANDS  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["--version"], ["gard", "x"]])
def test_no_command_or_an_unknown_one_gets_the_whole_app(args: list[str]) -> None:
    """The list of commands, and "did you mean" for a misspelt one, need every command."""
    from adcli.cli.app import _app_for

    assert _app_for(args) is app


def test_a_misspelt_command_through_main_is_still_suggested() -> None:
    done = subprocess.run([sys.executable, "-m", "adcli", "gard", "x"], capture_output=True, text=True)
    assert done.returncode == 2 and "Did you mean 'grad'?" in done.stderr, done.stderr
