"""Issue 16's REPL manners: `help`, `quit` and `exit` as words, Tab completion, the XDG history file, and
Ctrl-C that cancels a line, not the session."""

from __future__ import annotations

import io
import os
import stat

import pytest

from adcli.cli.repl import loop
from adcli.cli.repl.complete import candidates
from adcli.cli.repl.loop import Session


def _run(script: str, session: Session | None = None) -> tuple[str, str, list]:
    out, err, shown = io.StringIO(), io.StringIO(), []
    session = session or Session(at=["x=2"], format="plain")
    loop.run(session, io.StringIO(script), out, err, lambda *a: shown.append(a), False)
    return out.getvalue(), err.getvalue(), shown


@pytest.mark.parametrize("word", ["quit", "exit"])
def test_quit_and_exit_typed_as_words_leave(word: str) -> None:
    _, err, shown = _run(f"x^2\n{word}\nx^3\n")
    assert err == "" and len(shown) == 1  # the line after it is never run


def test_help_typed_as_a_word_shows_the_help() -> None:
    out, err, shown = _run("help\n")
    assert err == "" and shown == [] and ":command grad|jac|eval" in out and "Tab completes" in out


def test_a_word_the_session_gave_a_value_stays_an_expression() -> None:
    out, err, shown = _run(":at quit=3\nquit\nhelp = x + 1\nhelp\nexit\n")
    values = [result.value for result, *_ in shown]
    assert err == "" and values == [[3.0], [3.0], [3.0]]  # quit = 3; help = x + 1 at x = 2, twice


def test_tab_completes_commands_their_choices_functions_and_names() -> None:
    session = Session(at=["x=2", "theta=1"])
    session.names["area"] = "x^2"
    assert session.completions(":mo", ":mo") == [":mode"]
    assert {":at", ":command", ":def", ":functions", ":quit"} <= set(session.completions(":", ":"))
    assert session.completions(":format j", "j") == ["json"]
    assert session.completions(":mode ", "") == ["auto", "forward", "reverse"]
    assert session.completions(":unname a", "a") == ["area"]
    assert session.completions("2*si", "si") == ["sigmoid", "sign", "sin", "sinh"]
    assert session.completions("x + th", "th") == ["theta"]
    assert session.completions("ar", "ar") == ["area"]


def test_tab_offers_the_variables_of_earlier_lines() -> None:
    session = Session(at=["velocity=2"], format="plain")
    _run("velocity*time_step\n", session)
    assert session.completions("ti", "ti") == ["time_step"]
    assert candidates("1 + ", "", [], {}, ["b", "a"]) == ["a", "b"]


def test_the_history_lives_in_the_xdg_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert loop._history_path() == str(tmp_path / "adcli" / "history")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # the specification: a relative path is ignored
    assert loop._history_path() == os.path.join(loop.HOME, ".local", "share", "adcli", "history")


def test_the_history_folder_is_made_private_and_the_file_written_by_rename(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,  # noqa: ANN001
) -> None:
    history = tmp_path / "adcli" / "history"
    monkeypatch.setattr(loop, "HISTORY", str(history))

    class Recorder:
        def write_history_file(self, path: str) -> None:
            with open(path, "w", encoding="utf-8") as f:
                f.write("sin(x)\n")

    loop._write_history(Recorder())
    assert history.read_text(encoding="utf-8") == "sin(x)\n"
    assert stat.S_IMODE(history.parent.stat().st_mode) == 0o700
    assert [p.name for p in history.parent.iterdir()] == ["history"]  # no temporary file left


def test_ctrl_c_while_typing_gives_a_fresh_prompt(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    typed = iter([KeyboardInterrupt(), "x^2", ":quit"])

    def fake_input(prompt: str) -> str:
        item = next(typed)
        if isinstance(item, BaseException):
            raise item
        return item

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr(loop, "HISTORY", str(tmp_path / "history"))
    shown: list = []
    code = loop.run(Session(at=["x=3"]), io.StringIO(), io.StringIO(), io.StringIO(), lambda *a: shown.append(a), True)
    assert code == 0 and shown[0][0].value == [9.0]


def test_ctrl_c_during_a_line_cancels_it_and_the_session_goes_on(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,  # noqa: ANN001
) -> None:
    typed = iter(["slow(x)", "x^2", ":quit"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(typed))
    monkeypatch.setattr(loop, "HISTORY", str(tmp_path / "history"))
    session = Session(at=["x=3"])
    solve = session.solve

    def interrupted(line: str):  # noqa: ANN202
        if line == "slow(x)":
            raise KeyboardInterrupt
        return solve(line)

    monkeypatch.setattr(session, "solve", interrupted)
    err, shown = io.StringIO(), []
    code = loop.run(session, io.StringIO(), io.StringIO(), err, lambda *a: shown.append(a), True)
    assert code == 0 and "cancelled (Ctrl-C)" in err.getvalue() and shown[0][0].value == [9.0]
