"""--format npz / --save FILE.npz (issue 15): named arrays that numpy (no pickles) and PyTorch load, the same
numbers as csv; binary refused on a terminal; a file that cannot be written is io_error and leaves nothing;
progress only on a terminal."""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys

import numpy as np
import pytest

from adcli.render import binary

TEXT = "log(x)*y + abs(x - 1)"
POINT = ["--at", "x=-1:2:7", "--at", "y={2, 3}"]


def adcli(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "adcli", *args], stdout=stdout, stderr=subprocess.PIPE, timeout=120)


def csv_numbers(text: str) -> dict[str, list[float]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return {
        k: [float(r[k]) if r[k] else np.nan for r in rows]
        for k in rows[0]
        if k not in ("file", "input", "warnings", "error")
    }


def test_npz_holds_csvs_numbers_and_loads_without_pickles() -> None:
    done = adcli("grad", TEXT, *POINT, "--format", "npz")
    assert done.returncode == 1  # log at x <= 0: those points failed, as in csv
    arrays = np.load(io.BytesIO(done.stdout), allow_pickle=False)
    expected = csv_numbers(adcli("grad", TEXT, *POINT, "--format", "csv").stdout.decode())
    assert arrays.files == list(expected)  # csv's number columns, in csv's order
    assert arrays["line"].dtype == np.int64 and arrays["point"].tolist() == list(range(1, 15))
    for name, values in expected.items():  # the same digits: csv's text is the arrays' repr
        np.testing.assert_array_equal(arrays[name], np.array(values))
    assert np.isnan(arrays["f1"][:6]).all() and not np.isnan(arrays["f1"][6:]).any()
    assert "error[domain_error]: point 1 of 14" in done.stderr.decode()


def test_npz_arrays_go_to_pytorch() -> None:
    torch = pytest.importorskip("torch")
    done = adcli("jac", "x*y, x + y", "--at", "x=0:1:5", "--at", "y=2", "--format", "npz")
    arrays = np.load(io.BytesIO(done.stdout), allow_pickle=False)
    tensor = torch.from_numpy(arrays["d(f1)/d(x)"])
    assert tensor.dtype == torch.float64 and tensor.tolist() == [2.0] * 5


def test_an_array_result_alone_writes_its_own_arrays() -> None:
    done = adcli("grad", "sum(x*x)", "--at", "x=[1, 2, 3]", "--format", "npz")
    arrays = np.load(io.BytesIO(done.stdout), allow_pickle=False)
    assert done.returncode == 0 and arrays.files == ["value", "x"]
    assert float(arrays["value"]) == 14.0 and arrays["x"].tolist() == [2.0, 4.0, 6.0]


def test_save_writes_the_file_beside_the_output(tmp_path: os.PathLike) -> None:
    path = os.path.join(tmp_path, "out.npz")
    done = adcli("grad", "x^2", "--at", "x={1, 2, 3}", "--save", path, "--format", "csv")
    assert done.returncode == 0 and done.stdout.decode().startswith("file,line,point")
    arrays = np.load(path, allow_pickle=False)
    assert arrays["d(f1)/d(x)"].tolist() == [2.0, 4.0, 6.0]
    assert os.listdir(tmp_path) == ["out.npz"]  # no temporary file left


@pytest.mark.parametrize("where", ["missing/out.npz", "file.txt/out.npz", "."])
def test_save_to_a_path_that_cannot_be_written_is_io_error(tmp_path: os.PathLike, where: str) -> None:
    (open(os.path.join(tmp_path, "file.txt"), "w")).close()
    done = subprocess.run(
        [sys.executable, "-m", "adcli", "grad", "x^2", "--at", "x={1, 2}", "--save", os.path.join(tmp_path, where)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (74, 2), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: os.PathLike, monkeypatch: pytest.MonkeyPatch) -> None:
    def half(f: object, **arrays: object) -> None:
        f.write(b"PK half an archive")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(binary.np, "savez", half)
    with pytest.raises(binary.AdcliError) as caught:
        binary.save({"x": np.zeros(3)}, os.path.join(tmp_path, "out.npz"))
    assert caught.value.kind == "io_error" and caught.value.exit_code == 74
    assert os.listdir(tmp_path) == []


def test_binary_to_a_terminal_is_refused() -> None:
    main, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "adcli", "grad", "x^2", "--at", "x={1, 2}", "--format", "npz"],
            stdout=secondary,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(secondary)
        os.close(main)
    assert done.returncode == 2 and "error[usage_error]: --format npz is binary" in done.stderr


def test_parquet_without_pyarrow_says_what_to_install() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        done = adcli("grad", "x^2", "--at", "x={1, 2}", "--format", "parquet")
        assert done.returncode == 2 and b"needs pyarrow" in done.stderr
    else:  # pragma: no cover - with pyarrow: the table holds csv's numbers
        import pyarrow.parquet as pq

        done = adcli("grad", "x^2", "--at", "x={1, 2}", "--format", "parquet")
        table = pq.read_table(io.BytesIO(done.stdout))
        assert table.column("d(f1)/d(x)").to_pylist() == [2.0, 4.0]


def test_no_progress_display_in_a_pipe() -> None:
    done = adcli("grad", "sin(x)", "--at", "x=0:1:300001", "--format", "csv", stdout=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stderr == b""
