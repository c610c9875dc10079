"""The parser tables shipped as JSON (adcli/language/tables.py): the same parser as the grammar builds, and no cache.

The old parser cache was a pickle in ~/.cache/adcli, read before anything was checked, so a planted file
ran code (issue 11). Nothing is read from or written to the user's folders now: a FIFO or a pickle left
at the old path is never opened, and a HOME that does not exist is not created.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import lark
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcli.core.errors import AdcliError
from adcli.core.printing import to_text
from adcli.language import parser as syntax
from adcli.language import tables
from tests.strategies import expressions

SHIPPED = Path(tables.FOLDER) / tables.TABLES
GRAD = [sys.executable, "-m", "adcli", "grad", "sin(x)*y", "--at", "x=1,y=2", "--format", "json"]


def test_the_shipped_tables_are_the_ones_the_grammar_gives() -> None:
    """The build step's output now equals the file in the package (run `python -m adcli.language.tables` if not)."""
    assert SHIPPED.read_text(encoding="ascii") == tables.tables_json()


def test_the_build_step_writes_the_same_text_in_every_process() -> None:
    """Lark numbers states by set order, which changes with the hash seed: the written file must not."""
    code = "from adcli.language import tables; import sys; sys.stdout.write(tables.tables_json())"
    texts = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(texts) == 1 and texts.pop().startswith("{")


def _rule(rule: object) -> str:
    return f"{rule} {rule.alias} {rule.options}"  # type: ignore[attr-defined]


def test_the_loaded_table_is_the_built_table_with_states_renumbered() -> None:
    """An independent check of the numbering: walk both tables from the start states in step; every state
    pair must have the same actions on the same tokens (same rules reduced, shifts to paired states)."""
    loaded, built = (
        tables.load(tables.grammar_text()).parser.parser.parser.parse_table,
        tables.build().parser.parser.parser.parse_table,
    )
    pairs = {loaded.start_states[s]: built.start_states[s] for s in tables.START}
    queue = list(pairs.items())
    while queue:
        a, b = queue.pop()
        row_a, row_b = loaded.states[a], built.states[b]
        assert set(row_a) == set(row_b)
        for token, (action, arg) in row_a.items():
            action_b, arg_b = row_b[token]
            assert action is action_b
            if action.name == "Shift":
                if arg not in pairs:
                    pairs[arg] = arg_b
                    queue.append((arg, arg_b))
                assert pairs[arg] == arg_b
            else:
                assert _rule(arg) == _rule(arg_b)
    assert len(pairs) == len(loaded.states) == len(built.states)
    assert {s: pairs[n] for s, n in loaded.end_states.items()} == built.end_states


def test_the_loaded_lexer_has_the_built_terminals() -> None:
    def terminals(parser: object) -> list[tuple]:
        conf = parser.lexer_conf  # type: ignore[attr-defined]
        # Lark's own serialization writes a pattern's flags (a frozenset) as a list, as its pickle cache did
        shown = [(t.name, t.pattern.type, t.pattern.value, sorted(t.pattern.flags), t.priority) for t in conf.terminals]
        return [*sorted(shown), tuple(sorted(conf.ignore))]

    assert terminals(tables.load(tables.grammar_text())) == terminals(tables.build())


def test_the_tables_hold_only_json_data() -> None:
    """Two lines, one JSON object each: the lean loop's tables (all a good text reads), then Lark's."""
    first, second = (json.loads(line) for line in SHIPPED.read_text(encoding="ascii").splitlines())
    assert set(first) == {"made_from", "lean"} and set(second) == {"data", "memo"}
    assert first["made_from"]["grammar"] == tables.grammar_text()


def test_the_lean_tables_of_another_grammar_are_not_used() -> None:
    """The lean loop's tables are read only when they were made from this grammar text (else Lark parses)."""
    assert tables.lean(tables.grammar_text()) is not None
    assert tables.lean(tables.grammar_text() + "\n// changed") is None


def test_a_good_text_never_imports_lark_and_a_bad_one_does() -> None:
    """Importing Lark costs more CPU than a short run (0.08 s): the lean loop parses good text without it;
    an error is Lark's to describe."""
    code = "import sys; from adcli.language import parser as p\ntry: p.parse({!r})\nexcept Exception as e: print(e)\n"
    code += "print('lark' in sys.modules)"
    for text, imported in (("a = sin(x)*y\na + 2x at x=1, y=2", "False"), ("x +", "True"), ("x $ y", "True")):
        done = subprocess.run([sys.executable, "-c", code.format(text)], capture_output=True, text=True, check=True)
        assert done.stdout.split()[-1] == imported


def test_tables_from_another_grammar_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stamp that does not match (another grammar text or Lark version): the parser is built instead."""
    built = []
    monkeypatch.setattr(tables, "_stamp", lambda grammar: {"lark": "0.0", "grammar": "other"})
    monkeypatch.setattr(tables, "build", lambda grammar, **kw: built.append(kw) or "built")
    assert tables.load(tables.grammar_text(), transformer=None) == "built" and built == [{"transformer": None}]


TEXTS = ["sin(x)*y + x^2/3", "2x y", "sin^2 x", "x at x=0:1:5", "a = x*y\na + 1", "√x + π"]
TEXTS += ["x +", "sin(x", "2 3", "f(x)", "x $ y", "sin = 2; sin"]  # errors: the same words and places


def _outcome(parser: object, text: str) -> str:
    """What parsing text gives with this Lark parser: the canonical text, or the error line."""
    saved = syntax._PARSER, dict(syntax._DRIVERS), dict(syntax._PARSED)
    syntax._PARSER, syntax._DRIVERS, syntax._PARSED = parser, {}, {}  # type: ignore[assignment]
    try:
        parsed = syntax.parse(text)
        return "; ".join(to_text(o) for o in parsed.outputs) + f" | {parsed.point}"
    except AdcliError as exc:
        return f"{exc.kind}: {exc.message} @ {exc.line}:{exc.column}"
    finally:
        syntax._PARSER, syntax._DRIVERS, syntax._PARSED = saved[0], saved[1], saved[2]


@pytest.fixture(scope="module")
def built() -> object:
    return tables.build(transformer=syntax._BUILDER, lexer_callbacks={"NAME": syntax._BUILDER.lex_name})


@pytest.mark.parametrize("text", TEXTS)
def test_loaded_and_built_parsers_agree(built: object, text: str) -> None:
    assert _outcome(syntax._parser(), text) == _outcome(built, text)


@settings(max_examples=60)
@given(expressions)
def test_loaded_and_built_parsers_agree_on_generated_expressions(built: object, node: object) -> None:
    text = to_text(node)  # type: ignore[arg-type]
    assert _outcome(syntax._parser(), text) == _outcome(built, text)


def _run(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(GRAD, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)


def test_a_planted_pickle_in_the_old_cache_is_never_read(tmp_path: Path) -> None:
    """The old cache file name holds a pickle that would create a file if unpickled; it must not run."""
    import pickle

    folder = tmp_path / "adcli"
    folder.mkdir()
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.system, (f"touch {marker}",))

    name = f"parser-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.pickle"  # the old name
    (folder / name).write_bytes(b"0" * 32 + b"\n" + pickle.dumps(Payload()))
    done = _run({"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


def test_a_fifo_at_the_old_cache_path_does_not_hang(tmp_path: Path) -> None:
    folder = tmp_path / "adcli"
    folder.mkdir()
    os.mkfifo(folder / f"parser-lark{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.pickle")
    done = _run({"XDG_CACHE_HOME": str(tmp_path)}, timeout=30)
    assert done.returncode == 0 and json.loads(done.stdout)["gradient"]


def test_a_home_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    home = tmp_path / "nonexistent" / "deep"
    env = {"HOME": str(home), "XDG_CACHE_HOME": ""}
    done = _run(env)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_nothing_is_written_under_the_cache_folder(tmp_path: Path) -> None:
    done = _run({"XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)})
    assert done.returncode == 0
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def lark_pattern() -> re.Pattern[str]:
    """Lark's own regular expression of the terminals, in Lark's order."""
    return re.compile(tables.build().parser.lexer.root_lexer.scanner._mres[0].pattern)


SCANNED = list("xy2.e()+-*/^,;=:[]{}#@' \t\n\r") + [
    "sin",
    "at",
    "**",
    "√",
    "∛",
    "²",
    "⁻¹",
    "π",
    "×",
    "−",
    "ᵀ",
    "θ",
    "1e-3",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(SCANNED), max_size=20).map("".join))
def test_the_lean_pattern_scans_as_lark_s(lark_pattern: re.Pattern[str], text: str) -> None:
    """The lean loop's regex has the common terminals first (tables.COMMON): each scan gives the same tokens."""
    lean = re.compile(tables.lean(tables.grammar_text())["pattern"])  # type: ignore[index]

    def scan(pattern: re.Pattern[str]) -> list[tuple[str | None, int, int]]:
        return [(m.lastgroup, m.start(), m.end()) for m in pattern.finditer(text)]

    assert scan(lean) == scan(lark_pattern)


@pytest.mark.parametrize(
    ("regex", "chars"),
    [
        (r"(?:\*\*|\^)", "*^"),
        (r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", ".0123456789"),
        (r"\r?\n|\r", "\n\r"),
        (r"[⁺⁻]?[²³]+", "⁺⁻²³"),
        (r"\w+", None),  # a category: not worked out
        (r"[^#]", None),
        (r"a?", None),  # can match nothing
        (r"(?i:a)", None),  # flags
    ],
)
def test_first_chars(regex: str, chars: str | None) -> None:
    assert tables.first_chars(regex) == (None if chars is None else frozenset(chars))
