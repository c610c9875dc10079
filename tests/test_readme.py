"""README.md stays true: its two opening commands, CI's copy of the test command, the JSON fields.

CI (.ci/run) runs the README's test command in a fresh venv; these tests make sure the two say the
same thing, so a missing install step in the README fails CI instead of a new user.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import adcli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = ROOT / ".ci" / "run"


def opening_commands() -> list[str]:
    """The lines of the first code block, which must come before any prose."""
    match = re.search(r"\A# [^\n]+\n+```(?:sh|bash|console)?\n(.*?)\n```", README, re.DOTALL)
    assert match, "README.md must open with its title and then a code block of commands"
    return match.group(1).splitlines()


def ci_test_command() -> str:
    """`$VENV && $INSTALL && $TEST` as .ci/run defines them (evaluated by bash, as CI does)."""
    lines = [line for line in CI.read_text(encoding="utf-8").splitlines() if re.match(r"(VENV|INSTALL|TEST)=", line)]
    assert len(lines) == 3, lines
    script = "\n".join([*lines, 'printf "%s && %s && %s" "$VENV" "$INSTALL" "$TEST"'])
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return done.stdout


def test_readme_opens_with_two_one_line_commands() -> None:
    run, test = opening_commands()
    assert run.endswith('adcli grad "sin(x)*y" --at x=1,y=2')
    assert "pip install ." in run
    assert "pip install" in test and "[test]" in test and "pytest" in test
    for line in (run, test):
        assert line.startswith("python3 -m venv .venv && . .venv/bin/activate && "), line


def test_ci_runs_the_readmes_test_command() -> None:
    assert opening_commands()[1] == ci_test_command()


def test_ci_script_is_strict_and_executable() -> None:
    text = CI.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert CI.stat().st_mode & 0o111, ".ci/run must be executable"
    assert "-eq 5 ]" in text, "pytest's exit 5 (no tests collected) must be a failure"
    for step in (
        "ruff check",
        "ruff format --check",
        "lint-imports",
        'install --quiet "$REPO"',
        "python -m adcli --version",
    ):
        assert step in text, step


def test_test_extra_brings_what_ci_needs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extra = re.search(r"^test = (\[.*\])$", pyproject, re.MULTILINE)
    assert extra
    for tool in ("pytest", "hypothesis", "ruff"):
        assert f'"{tool}' in extra.group(1), tool


@pytest.mark.parametrize("command", ["grad", "jac", "eval"])
def test_readme_json_table_names_every_field(command: str) -> None:
    """Every key of Result.to_dict is in the README's JSON table (so the schema cannot drift)."""
    section = README[README.index("## JSON output") :]
    section = section[: section.index("\n## ", 1)]
    result = adcli.jacobian("x*y, x+y", x=1, y=2) if command == "jac" else adcli.gradient("x*y", x=1, y=2)
    for key in result.to_dict(command):
        assert f"`{key}`" in section, key


def test_readme_error_table_lists_every_kind() -> None:
    from adcli.core.errors import EXIT_CODES

    for kind, code in EXIT_CODES.items():
        assert re.search(rf"^\| `{kind}` \|.*\| {code} \|$", README, re.MULTILINE), kind


def _section_examples(title: str) -> list[str]:
    """The adcli command lines of the sh blocks in one `### adcli NAME` section."""
    start = README.index(f"### {title}\n")
    section = README[start : README.index("\n### ", start + 1)]
    lines = []
    for block in re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL):
        lines += [re.sub(r"\s{2,}#.*$", "", line).strip() for line in block.splitlines() if line.startswith("adcli ")]
    return lines


@pytest.mark.parametrize(
    "command", [c for title in ("adcli hess", "adcli taylor") for c in _section_examples(title)], ids=lambda c: c[:60]
)
def test_the_hess_and_taylor_examples_run(command: str) -> None:
    """Each example of the hess and taylor sections runs and exits 0 (a real process, as a reader pastes it)."""
    import shlex
    import sys

    args = shlex.split(command)[1:]
    done = subprocess.run(
        [sys.executable, "-m", "adcli", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (command, done.stderr)
    assert done.stdout.strip()
