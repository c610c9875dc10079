"""A closed pipe (`| head -1`): every command stops quietly with 141, the status of a program stopped by
SIGPIPE, as grad does; in real processes, since a pipe is what is tested."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipes") / "lines.txt"
    path.write_text("".join(f"{k}*x\n" for k in range(1, 3001)), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "-f", "LINES", "--at", "x=1"],  # a Rich tree per line: Rich exits 1 on a closed pipe itself
        ["graph", "-f", "LINES", "--at", "x=1", "--dot"],
        ["diff", "x^2", "--at", "x=0:1:100000"],  # one write of 5 MB: CPython dropped its error
        ["trace", "-f", "LINES", "--at", "x=1"],
        ["compare", "-f", "LINES", "--at", "x=1", "--modes", "forward,reverse"],
        ["check", "-f", "LINES", "--of", "x^2"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_pipe_stops_every_command_quietly_with_141(lines: Path, args: list[str]) -> None:
    command = [sys.executable, "-m", "adcli", *(str(lines) if a == "LINES" else a for a in args)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.wait(timeout=60) == 141
    assert b"Traceback" not in err and b"Error" not in err and b"ok," not in err  # no summary either


# ---- Ctrl-C in a batch (issue 11: csv lost every row, json was left unterminated) ---------------------

WAIT = 5.0  # seconds for the process to start and answer the lines it was given (a slow shared machine)


def _interrupted(args: list[str]) -> tuple[int, str, str]:
    """Run a batch fed on stdin: ten problems, then Ctrl-C while it waits for more."""
    import signal
    import time

    command = [sys.executable, "-m", "adcli", *args]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdin is not None
    proc.stdin.write("".join(f"x^{k}\n" for k in range(1, 11)))
    proc.stdin.flush()
    time.sleep(WAIT)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_ctrl_c_writes_the_csv_rows_done_and_exits_130() -> None:
    import csv
    import io

    code, out, err = _interrupted(["grad", "--at", "x=1", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 130 and [r["input"] for r in rows] == [f"x^{k}" for k in range(1, 11)]
    assert "interrupted: 10 problems done" in err and "Traceback" not in err


def test_ctrl_c_in_a_long_point_set_leaves_whole_rows_and_exits_130(tmp_path: Path) -> None:
    """The point set is written a chunk at a time: Ctrl-C stops after the chunk being written (or, while
    computing, before any), the output is closed with whole rows, exit 130."""
    import signal
    import time

    out = tmp_path / "out.csv"
    command = [sys.executable, "-m", "adcli", "grad", "sin(x)", "--at", "x=0:1:3000001", "--format", "csv"]
    with out.open("w") as f:
        proc = subprocess.Popen(command, stdout=f, stderr=subprocess.PIPE, text=True)  # noqa: S603
        time.sleep(WAIT)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted:" in err and "Traceback" not in err
    with out.open() as f:
        assert next(f).startswith("file,line,point,")
        count = 0
        for count, row in enumerate(f, 1):  # every row whole: 9 cells, the points in order
            assert row.count(",") == 8 and row.endswith("\n") and row.split(",", 3)[2] == str(count)
    assert count < 3000001


@pytest.mark.parametrize("command", [["grad", "--at", "x=1"], ["diff"]], ids=["grad", "diff"])
def test_ctrl_c_closes_the_json_array(command: list[str]) -> None:
    import json

    code, out, err = _interrupted([*command, "--format", "json"])
    assert code == 130 and len(json.loads(out)) == 10
    assert "interrupted: 10 problems done" in err and "Traceback" not in err


# ---- a full disk, closed streams (issue 11: tracebacks) ------------------------------------------------


def _run(args: list[str], shell_redirect: str) -> subprocess.CompletedProcess[str]:
    """adcli with a shell redirection (`> /dev/full`, `>&-`, `<&-`) that Python cannot set up itself."""
    import shlex

    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "adcli", *args])
    return subprocess.run(["sh", "-c", f"{command} {shell_redirect}"], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [["grad", "x^2", "--at", "x=1", "--format", fmt] for fmt in ("table", "plain", "json", "jsonl", "csv")]
    + [["diff", "x^2"], ["trace", "x^2", "--at", "x=1"], ["graph", "x^2", "--at", "x=1"], ["functions"]]
    + [["check", "2*x", "--of", "x^2"], ["compare", "x^2", "--at", "x=1"]],
    ids=lambda a: " ".join(a[:1] + a[-1:]),
)
def test_a_full_disk_is_one_io_error_line(args: list[str]) -> None:
    done = _run(args, "> /dev/full")
    assert done.returncode == 74
    assert done.stderr == "error[io_error]: cannot write the output: No space left on device\n"


def test_a_closed_stdout_is_one_io_error_line() -> None:
    done = _run(["grad", "x^2", "--at", "x=1"], ">&-")
    assert (done.returncode, done.stderr) == (74, "error[io_error]: standard output is closed\n")


@pytest.mark.parametrize("args", [["grad", "--at", "x=1"], ["grad", "-", "--at", "x=1"], ["repl"]])
def test_a_closed_stdin_is_an_io_error_when_it_is_read(args: list[str]) -> None:
    done = _run(args, "<&-")
    assert (done.returncode, done.stderr) == (74, "error[io_error]: standard input is closed\n")
    done = _run(["grad", "x^2", "--at", "x=1", "--format", "json"], "<&-")  # not read: no error
    assert done.returncode == 0 and '"gradient": [2.0]' in done.stdout


def test_a_full_temporary_folder_is_one_io_error_line(adcli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """csv rows are spooled to a temporary file: a full TMPDIR is named as such, not a traceback."""
    import errno

    from adcli.render import batch as render_batch

    class Full:
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            pass

    monkeypatch.setattr(render_batch.tempfile, "TemporaryFile", lambda *a, **k: Full())
    code, out, err = adcli("grad", "-", "--at", "x=1", "--format", "csv", stdin="x^2\nx^3\n")  # type: ignore[operator]
    assert code == 74 and out == ""
    assert err.startswith("error[io_error]: cannot use the temporary file of the csv rows (")
    assert err.endswith("): No space left on device\n")
