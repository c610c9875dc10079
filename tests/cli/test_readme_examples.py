"""Every adcli example in README.md runs as printed: no traceback, no internal error, and where the
README shows the output (`$ adcli …` blocks), the lines it shows are the lines adcli prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT
from readme_examples import examples, run, workdir

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shown() -> list[tuple[str, list[str]]]:
    """(command, the lines the README shows under it) for each `$ adcli` block."""
    found = []
    for block in re.findall(r"```\w*\n(\$ adcli.*?)\n```", README, re.DOTALL):
        command, *lines = block.splitlines()
        found.append((command[2:], lines))
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workdir(tmp_path_factory.mktemp("readme"))


def test_the_readme_has_examples() -> None:
    assert len(examples(README)) >= 40
    assert len(shown()) >= 5


@pytest.mark.parametrize("command", examples(README))
def test_example_runs(command: str, folder: Path) -> None:
    done = run(command, folder)
    assert "Traceback" not in done["stderr"], done["stderr"]
    assert "internal_error" not in done["stderr"], done["stderr"]
    assert done["exit"] in (0, 1, 2, 4), done  # 2 only for the examples of errors, checked below; 4: check agrees
    if done["exit"] == 4 and command.startswith("adcli compare"):  # numeric inconclusive
        assert str(done["stdout"]).rstrip().splitlines()[-1].startswith("INCONCLUSIVE: ")
    elif done["exit"] == 4:
        assert command.startswith("adcli check") and str(done["stdout"]).startswith("agrees: ")
    if done["exit"] == 2:
        assert "error[" in done["stderr"]


@pytest.mark.parametrize(("command", "lines"), shown(), ids=[c for c, _ in shown()])
def test_shown_output_is_what_adcli_prints(command: str, lines: list[str], folder: Path) -> None:
    done = run(command, folder)
    printed = str(done["stdout"]) + str(done["stderr"])
    if lines[0].startswith("{"):  # JSON, wrapped in the README for reading: the same fields and values
        want, got = json.loads(" ".join(lines)), json.loads(str(done["stdout"]))
        assert {k: got[k] for k in want} == want
        return
    printed_lines = [line.rstrip() for line in printed.splitlines()]
    for line in lines:
        if line.strip() and line.strip() != "...":
            assert line.rstrip() in printed_lines, f"README shows {line!r}; adcli printed:\n{printed}"
