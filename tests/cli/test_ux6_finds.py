"""Bad input and first-use rough edges found by a session (issue 12's follow-ups): each one line with a
kind, a place (file:line:column or line:column, a caret) and its exit code, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import Run


@pytest.mark.parametrize(
    ("text", "place", "caret_line"),
    [
        ("x,y\n1,2\n3,abc\n", "3:3", "3,abc"),  # a bad number: the caret under abc
        ("x,y\n1,2\n3\n", "3:2", "3"),  # a ragged row: the caret where y's cell is missing
        ("x,y\n1,2,3\n", "2:5", "1,2,3"),  # a cell with no column
        ("x,2y\n1,2\n", "1:3", "x,2y"),  # a header cell that is not a name
    ],
)
def test_points_table_errors_have_file_line_column_and_a_caret(
    adcli: Run, tmp_path: Path, text: str, place: str, caret_line: str
) -> None:
    """--points errors said the file and the row in words, with no place: now file:line:column and a caret."""
    path = tmp_path / "pts.csv"
    path.write_text(text, encoding="utf-8")
    code, out, err = adcli("grad", "x*y", "--points", str(path))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{path}:{place}: error[usage_error]: "), err
    column = int(place.split(":")[1])
    assert lines[1] == caret_line and lines[2] == " " * (column - 1) + "^"
    code, out, _ = adcli("grad", "x*y", "--points", str(path), "--format", "json")
    error = json.loads(out)["error"]
    assert code == 2 and error["file"] == str(path)
    assert [error["line"], error["column"]] == [int(p) for p in place.split(":")]


def test_an_empty_points_file_is_named(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    code, _, err = adcli("grad", "x*y", "--points", str(path))
    assert code == 2 and err == f"{path}: error[usage_error]: no header row (a row of variable names, e.g. x,y)\n"


def test_a_variable_missing_from_the_table_says_where_to_give_it(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("x\n1\n2\n", encoding="utf-8")
    code, _, err = adcli("grad", "x*y", "--points", str(path))
    assert code == 2
    assert f"error[unbound_variable]: no value for y; give it one with --at y=… or a column y in {path}" in err
    assert err.splitlines()[1:3] == ["x*y", "  ^"]


def test_repl_at_takes_what_at_takes(adcli: Run, tmp_path: Path) -> None:
    """`:at x=randn(3)` was an unknown function and `:at W=@w.npy` a syntax error: the REPL read its point with
    the language alone, where --at reads generators and files too (adcli.batch.values, the one reader)."""
    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    script = f":at x=randn(3), W=@{tmp_path / 'w.npy'}, v=ones(2)\nsum(x)\nsum(W @ v)\n:at\n"
    code, out, err = adcli("repl", "--format", "json", "--seed", "7", stdin=script)
    assert code == 0 and "error" not in err, err
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    _, cli, _ = adcli("eval", "sum(x)", "--at", "x=randn(3)", "--seed", "7", "--format", "json")
    drawn = json.loads(cli)["at"]["x"]
    assert records[0]["at"]["x"] == drawn and records[0]["seed"] == 7  # the same draw as --at, its seed said
    assert records[0]["value"] == pytest.approx(sum(np.random.default_rng(7).standard_normal(3)))
    assert records[1]["value"] == 10.0 and "seed" not in records[1]  # W @ ones = [3, 7]: no randn in it
    assert f"at: x=randn(3), W=@{tmp_path / 'w.npy'}, v=ones(2)" in out  # shown as written, not 3 long numbers


def test_repl_at_of_a_bad_generator_is_one_line(adcli: Run) -> None:
    code, out, err = adcli("repl", "--format", "plain", stdin=":at q=randn(0)\n:at x=zeros(2)\nsum(x)\n")
    assert code == 0
    assert "error[usage_error]: q=randn(0): give one or two sizes, each at least 1" in err
    assert "value = 0" in out and "Traceback" not in err


def test_cot_takes_generated_and_file_arrays_in_order(adcli: Run, tmp_path: Path) -> None:
    """--cot ones(2) was read by the language as the ones-like of the number 2 (the scalar 1: a shape_error on
    a (2,) output, or spread over it); --cot @c.npy a syntax error. In order, a piece is read as --at reads
    a value: generators, files, array literals and constant expressions."""
    np.save(tmp_path / "c.npy", np.array([3.0, -1.0]))
    at = ("--at", "x=[1,2]", "--format", "json")
    for cot, vjp in [("ones(2)", [2.0, 2.0]), (f"@{tmp_path / 'c.npy'}", [6.0, -2.0]), ("[1,0]", [2.0, 0.0])]:
        code, out, err = adcli("jac", "x*2", *at, "--cot", cot)
        assert code == 0, err
        assert json.loads(out)["vjp"] == [vjp]  # one per wrt variable; d(2x)/dx = 2I: twice the weights
    code, out, err = adcli("jac", "x*2", *at, "--cot", "ones(3)")
    assert (
        code == 2
        and json.loads(out)["error"]["message"] == "--cot for output 1 has shape (3,); output 1 has shape (2,)"
    )
    code, out, err = adcli("jac", "x*2", "--at", "x=[1,2]", "--cot", "1, ones(0)")
    assert code == 2 and err.splitlines() == [
        "1:4: error[usage_error]: bad --cot '1, ones(0)': ones(0): give one or two sizes, each at least 1",
        "1, ones(0)",
        "   ^",
    ]


@pytest.mark.parametrize("given", [["--dir", "randn(2)"], ["--dir", "x=randn(2)"], ["--cot", "randn(2)"]])
def test_a_drawn_dir_or_cot_uses_the_seed(adcli: Run, given: list[str]) -> None:
    """randn(…) in --dir and --cot draws with --seed, as --at's does: it drew with seed 0 whatever --seed said.
    d(2x)/dx = 2I, so the JVP or VJP is twice the drawn vector."""
    code, out, err = adcli("jac", "2*x", "--at", "x=[1,2]", "--seed", "5", *given, "--format", "json")
    assert code == 0, err
    found = json.loads(out)["jvp" if given[0] == "--dir" else "vjp"][0]
    np.testing.assert_allclose(found, 2 * np.random.default_rng(5).standard_normal(2), rtol=1e-15)


def test_dir_in_order_takes_generated_arrays(adcli: Run) -> None:
    code, out, err = adcli("jac", "x*sum(y)", "--at", "x=2,y=[1,2]", "--dir", "0, ones(2)", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["jvp"] == [4.0]  # d/dt 2*sum(y + t) = 2*2


@pytest.mark.parametrize(
    ("args", "message"),
    [  # scalar problems: float() of an array entry was an internal_error (exit 3)
        (["jac", "x*y", "--at", "x=1,y=2", "--dir", "x=[1,2]"], "--dir for x has shape (2,); x is a scalar"),
        (
            ["jac", "x*y, x", "--at", "x=1,y=2", "--cot", "[1],0"],
            "--cot for output 1 has shape (1,); output 1 is a scalar",
        ),
        (
            ["trace", "x*y, x", "--at", "x=1,y=2", "--cot", "[1,0],2"],
            "--cot for output 1 has shape (2,); output 1 is a scalar",
        ),
        (
            ["jac", "x*y", "--at", "x=1,y=2", "--mode", "symbolic", "--dir", "[1,2],0"],
            "--dir for x has shape (2,); x is a scalar",
        ),
        # arrays: a number for an array output was a shape_error in jac and spread over it by trace
        (["trace", "x*2", "--at", "x=[1,2]", "--cot", "1"], "--cot for output 1 is a scalar; output 1 has shape (2,)"),
        (
            ["graph", "x*2", "--at", "x=[1,2]", "--cot", "[1,2,3]"],
            "--cot for output 1 has shape (3,); output 1 has shape (2,)",
        ),
        (
            ["jac", "x*sum(y)", "--at", "x=1,y=[1,2]", "--wrt", "y,x", "--dir", "1,[1,0]"],
            "--dir for y is a scalar; y has shape (2,)",
        ),
    ],
)
def test_a_seed_of_the_wrong_shape_is_a_shape_error_naming_both(adcli: Run, args: list[str], message: str) -> None:
    code, out, err = adcli(*args)
    assert code == 2 and err == f"error[shape_error]: {message}\n", err


def test_unknown_names_and_counts_are_said_alike_for_scalars_and_arrays(adcli: Run) -> None:
    """The array path said `not among the variables ['x', 'y']` (a Python list) and `1 weights`."""
    for at in ("x=1,y=2", "x=[1,2],y=2"):
        code, _, err = adcli("jac", "x*y", "--at", at, "--dir", "z=1")
        assert code == 2 and err == "error[usage_error]: --dir names z, not a variable here (variables: x, y)\n"
        code, _, err = adcli("jac", "x*y, y", "--at", at, "--cot", "1")
        assert code == 2 and err == "error[usage_error]: --cot has 1 weight; the expression has 2 outputs\n"


def test_dir_and_hvp_take_the_same_layouts(adcli: Run) -> None:
    """By name, one entry per --wrt variable in its shape (as grad lays out a gradient), or every entry flattened
    in --wrt order: jac took only the first two, hess --hvp and taylor only the first and the last."""
    base = ["jac", "x*sum(y)", "--at", "x=2,y=[1,3]", "--wrt", "y,x", "--format", "json"]
    jvps = set()
    for given in ("y=[1,0],x=1", "[1,0],1", "1,0,1"):
        code, out, err = adcli(*base, "--dir", given)
        assert code == 0, err
        jvps.add(tuple(json.loads(out)["jvp"]))
    assert jvps == {(6.0,)}  # d/dt (2+t)*sum(y + t·[1,0]) = sum(y) + 2*1 = 4 + 2
    hvps = []
    for given in ("x=[1,1]", "[1,1]", "1,1", "x=ones(2)"):
        code, out, err = adcli("hess", "sum(x^3)", "--at", "x=[1,2]", "--hvp", given, "--format", "json")
        assert code == 0, err
        hvps.append(json.loads(out)["hvp"])
    assert hvps == [[6.0, 12.0]] * 4  # H = diag(6x)


def test_cot_with_forward_mode_is_refused_for_arrays_as_for_scalars(adcli: Run) -> None:
    code, out, err = adcli("jac", "x*2", "--at", "x=[1,2]", "--cot", "ones(2)", "--mode", "forward")
    assert code == 2 and out == ""  # it ran a reverse sweep and said nothing
    assert err == "error[usage_error]: --cot asks for one reverse sweep; it cannot run in forward mode\n"


def test_graph_cot_takes_an_array_weight_for_an_array_output(adcli: Run) -> None:
    code, out, err = adcli("graph", "x*2", "--at", "x=[1,2]", "--cot", "[1,3]", "--format", "json")
    assert code == 0, err  # it said "output 1 is a scalar"
    x = next(v for v in json.loads(out)["vertices"] if v["op"] == "input")
    assert x["adjoint"] == [2.0, 6.0]  # d(2x)/dx = 2I, weighted by [1, 3]


def test_help_says_what_the_commands_do_now(adcli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """check --help said `exit 0/1` (it exits 4 for "agrees, not proven"); --grid said lists (sets now, issue 12);
    --at's help named no array, generator or file."""
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = adcli("check", "--help")
    assert "Exit 0 proven symbolically, 4 agrees at random points, 1 wrong" in out
    _, out, _ = adcli("grad", "--help")
    assert "Cross spans, sets and tables" in out and "lists" not in out
    assert "arrays x=[1,2], W=randn(3,2), @w.npy; sets x={1,2}, spans x=0:1:11" in out


def test_a_huge_generator_says_its_size_exactly(adcli: Run) -> None:
    code, _, err = adcli("grad", "sum(x)", "--at", "x=ones(99999999999999999999999)")
    assert code == 2 and "would have 99,999,999,999,999,999,999,999 entries" in err  # ...991,611,392 (a float)


def test_a_long_bad_value_is_quoted_cut_not_whole(adcli: Run) -> None:
    """A 5,000-digit --at number was quoted whole twice: a 10 KB one-line message."""
    digits = "1" * 5000
    code, _, err = adcli("grad", "x", "--at", f"x={digits}")
    first = err.splitlines()[0]
    assert code == 2 and len(first) < 250 and first.count("…") == 2
    assert first.startswith("1:3: error[usage_error]: bad point 'x=111") and first.endswith("is too large for a float")
    code, _, err = adcli("jac", "x", "--at", "x=1", "--dir", digits)
    assert code == 2 and len(err.splitlines()[0]) < 250 and "bad --dir '111" in err


def test_an_unfinished_point_names_no_grammar_terminal(adcli: Run) -> None:
    """`--at x=` said `expected … or '{' or GEN` (the lexer's name for randn, zeros, ones, eye)."""
    code, _, err = adcli("grad", "x", "--at", "x=")
    assert code == 2 and err.splitlines()[0].endswith("expected a number, a name, a function or '(' or '[' or '{'")
    code, _, err = adcli("grad", "x at x=")
    assert code == 2 and "GEN" not in err


def test_repl_settings_say_what_is_wrong(adcli: Run) -> None:
    """`:` alone said `unknown command ::`; `:wrt ,` emptied the columns and every later line failed with
    `--wrt names no variable: give x or x`; `:name f` before any result said it must have one output."""
    code, out, err = adcli("repl", "--format", "plain", stdin=":\n:name f\n:wrt ,\n:at x=1\nx\n")
    assert code == 0
    assert err.splitlines() == [
        "error[usage_error]: a ':' needs a command after it, as in :help",
        "error[usage_error]: :name names the last result: there is none yet",
        "error[usage_error]: :wrt names no variable: give x,y (or ':wrt -' for the point order)",
    ]
    assert "output  value  d/dx" in out  # the columns stayed the point's
    code, _, err = adcli("grad", "x", "--wrt", ",", "--at", "x=1")
    assert code == 2 and err == "error[usage_error]: --wrt names no variable: give x\n"


def test_array_files_that_are_not_files_are_refused_without_reading_them_whole(
    adcli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/dev/zero named z.csv was read whole (a MemoryError: internal_error); named z.npy, numpy took it for pickled
    data and advised loading it unsafely; a FIFO named .csv had no size to check (84 million entries read)."""
    import os

    from adcli.batch import values

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(values, "TEXT_LIMIT", 1000)  # /dev/zero would reach the real one in ~1 s
    os.symlink("/dev/zero", "z.csv")
    os.symlink("/dev/zero", "z.npy")
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@z.csv")
    assert code == 2 and "error[limit_exceeded]: x=@z.csv is longer than 1,000 characters" in err
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@z.npy")
    assert code == 2 and "x=@z.npy: not a regular file" in err and "pickle" not in err
    (tmp_path / "zeros.npy").write_bytes(bytes(100))
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@zeros.npy")
    assert code == 2 and "x=@zeros.npy: not a .npy file (no numpy header" in err and "pickle" not in err
    np.save("obj.npy", np.array([1, "a", None], dtype=object))
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@obj.npy")
    assert code == 2 and "holds Python objects (pickled data), which adcli never loads" in err
    assert "allow_pickle" not in err
    os.mkfifo("f.npy")
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@f.npy")  # open() of a FIFO waits for a writer: not opened
    assert code == 2 and "x=@f.npy: not a regular file" in err
    (tmp_path / "big.txt").write_text("1 " * 400, encoding="utf-8")
    monkeypatch.setattr(values, "MAX_ENTRIES", 300)
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@big.txt")
    assert code == 2 and "x=@big.txt has 400 entries; the limit is 300" in err


def test_a_point_without_names_says_how_to_name_it(adcli: Run) -> None:
    """`--at 3` said `unexpected '3': expected a name or a function`; `grad "x^2" x=3` only that x=3 was extra."""
    code, _, err = adcli("grad", "x^2", "--at", "3")
    assert (
        code == 2
        and err.splitlines()[0] == "1:1: error[usage_error]: bad point '3': a point names each variable, as in x=3"
    )
    code, _, err = adcli("grad", "x^2", "x=3")
    assert code == 2 and "a point is given with --at, as in --at x=3" in err


def test_a_dir_naming_thousands_of_variables_says_a_few(adcli: Run) -> None:
    """12,000 unknown names in --dir made a 100 KB message (and a quadratic check of names given twice)."""
    many = ",".join(f"a{i}=1" for i in range(12_000))
    code, _, err = adcli("jac", "a1", "--at", "a1=1", "--dir", many)
    assert code == 2
    assert (
        err == "error[usage_error]: --dir names a0, a2, a3, a4, a5, a6, a7, a8, a9, a10 and 11,989 more, "
        "not a variable here (variables: a1)\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f(x) = ", "1:7: error[syntax_error]: unexpected end of input: a definition needs a body after '='"),
        ("f(x) = (x", "1:10: error[syntax_error]: unexpected end of input: expected ')'"),
        ("f(x) = x+", "1:10: error[syntax_error]: unexpected end of input: expected a number"),
    ],
)
def test_functions_of_an_unfinished_definition_name_no_semicolon(adcli: Run, text: str, message: str) -> None:
    """`adcli functions "f(x) = "` said "unexpected ';'": the `; 0` adcli puts after definitions, not typed."""
    code, _, err = adcli("functions", text)
    assert code == 2 and err.startswith(message) and "';'" not in err


@pytest.mark.parametrize("text", ['{"x": 1, "y": 2}\n', "x\ty\n1\t2\n", "x;y\n1;2\n"])
def test_a_points_file_in_another_format_says_what_points_reads(adcli: Run, tmp_path: Path, text: str) -> None:
    path = tmp_path / "pts.txt"
    path.write_text(text, encoding="utf-8")
    code, _, err = adcli("grad", "x*y", "--points", str(path))
    assert code == 2 and err.splitlines()[0].endswith(
        "is not a variable name: --points reads comma-separated values, a header row x,y then rows 1,2"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("x＋y", "unexpected character '＋' (FULLWIDTH PLUS SIGN): write +"),
        ("ﬁ*2", "unexpected character 'ﬁ' (LATIN SMALL LIGATURE FI): write fi"),
        ("\u0445*2", "unexpected character 'х' (CYRILLIC SMALL LETTER HA): names are written with A-Z, a-z, 0-9, _"),
        ("e\u0301*2", "unexpected character '\\u0301' (COMBINING ACUTE ACCENT): names are written with"),
    ],
)
def test_a_character_outside_the_language_is_named(adcli: Run, text: str, said: str) -> None:
    """A Cyrillic х looks like x, ＋ like + (a CJK input method): the message said only `unexpected character`."""
    code, _, err = adcli("grad", text, "--at", "x=1,y=1")
    assert code == 2 and said in err.splitlines()[0]


def test_repl_at_with_spaces_replaces_the_value(adcli: Run) -> None:
    """`:at W = randn(2)` was kept as its text, whose name `W ` (with the space) no later :at W matched: W twice."""
    code, out, _ = adcli(
        "repl", "--format", "json", "--command", "eval", stdin=":at W = randn(2)\n:at W = ones(2)\nsum(W)\n"
    )
    assert code == 0
    assert "at: W=ones(2)" in out.splitlines()
    assert json.loads(out.splitlines()[-1])["value"] == 2.0


def test_an_at_sign_without_a_file_says_to_give_one(adcli: Run) -> None:
    code, _, err = adcli("grad", "sum(x)", "--at", "x=@")
    assert code == 2 and err.splitlines()[0] == "1:1: error[usage_error]: x=@: give a file after @, as in x=@a.npy"
    code, _, err = adcli("jac", "x", "--at", "x=1", "--cot", "1,@")
    assert code == 2 and err.splitlines()[:3] == [
        "1:3: error[usage_error]: bad --cot '1,@': @: give a file after @, as in @a.npy",
        "1,@",
        "  ^",
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["grad", "x", "--at", "x={}"],
            "bad point 'x={}': an empty set of values: a set has at least one, as in {1, 2}",
        ),
        (["grad", "sum(x)", "--at", "x=[[]]"], "an empty array: an array has at least one entry, as in [1, 2]"),
        (["grad", "sum([])"], "1:6: error[syntax_error]: an empty array: an array has at least one entry"),
        (["grad", "sum(x[])", "--at", "x=[1,2]"], "1:7: error[syntax_error]: an empty index: write one, as in x[0]"),
    ],
)
def test_empty_brackets_say_what_is_empty(adcli: Run, args: list[str], said: str) -> None:
    """`x=[]`, `x={}` and `x[]` said "unexpected ']': expected a number, a name, a function or '(' or '['"."""
    code, _, err = adcli(*args)
    assert code == 2 and said in err.splitlines()[0]
