"""The README's adcli examples, as commands to run: used by tests/cli/test_readme_examples.py and,
as a script, to snapshot their output before and after a refactor (byte-identical check).

    python tests/readme_examples.py > before.json   # on the old tree
    python tests/readme_examples.py > after.json    # on the new tree
    cmp before.json after.json
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# the files the README's examples name, with small contents of the kind they describe
FILES = {
    "homework.txt": "x^2*y\nsin(x)*y\n",
    "losses.txt": "(w*2 + b - 1)^2\nlog(1 + exp(-w))\n",
    "pts.csv": "x,y\n1,2\n3,4\n",
}
SKIP = ("python", "ruff", "bash", "dot ", "pip ")  # install, CI and tool lines: not adcli examples


def examples(text: str | None = None) -> list[str]:
    """Every adcli command line in the README's sh blocks and after `$ ` in its output blocks."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found: list[str] = []
    for lang, block in re.findall(r"```(\w*)\n(.*?)\n```", text, re.DOTALL):
        for line in block.splitlines():
            line = line.strip()
            if lang != "sh":
                line = line[2:] if line.startswith("$ adcli") else ""
            if not line or line.startswith(("#", *SKIP)) or "adcli" not in line:
                continue
            command = re.sub(r"\s{2,}#.*$", "", line)  # a trailing comment
            if command not in found:
                found.append(command)
    return found


def run(command: str, cwd: Path, timeout: float = 120) -> dict[str, object]:
    """One example through bash, as a reader would paste it (a pipe, fixed width, no colour)."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    out, err = masked(done.stdout), masked(done.stderr)
    return {"command": command, "exit": done.returncode, "stdout": out, "stderr": err}


TIMINGS = (
    (re.compile(r"\b\d+(\.\d+)? (ms|µs|s)\b"), "<time>"),
    (re.compile(r'"seconds": [0-9.e-]+'), '"seconds": "<time>"'),
)


def masked(text: str) -> str:
    """The text with its timings replaced: they differ between any two runs."""
    for pattern, mask in TIMINGS:
        text = pattern.sub(mask, text)
    return text


def workdir(path: Path) -> Path:
    """A folder with the files the examples read."""
    for name, content in FILES.items():
        (path / name).write_text(content, encoding="utf-8")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = workdir(Path(tmp))
        records = [run(command, where) for command in examples()]
    json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
