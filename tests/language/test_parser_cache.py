"""The parser cache (adcli/language/parser.py): in the user's own cache folder, never a shared /tmp name.

Lark unpickles its cache, so a file another user could plant must never be read; the cached parser
must parse like a freshly built one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from adcli.language import parser as syntax


def test_cache_lives_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    found = syntax._cache_file()
    assert isinstance(found, str)
    assert Path(found).parent == tmp_path / "adcli"
    assert not found.startswith(tempfile.gettempdir() + "/.lark")
    assert (tmp_path / "adcli").stat().st_mode & 0o077 == 0  # only its owner may write (or read) it


def test_no_writable_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert syntax._cache_file() is False


def test_a_fresh_process_writes_then_reads_the_cache(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    argv = [sys.executable, "-m", "adcli", "grad", "sin(x)*y", "--at", "x=1,y=2", "--format", "json"]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    files = list((tmp_path / "adcli").iterdir())
    assert len(files) == 1 and files[0].stat().st_size > 0
    built = files[0].stat().st_mtime_ns
    second = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    assert files[0].stat().st_mtime_ns == built  # read, not rewritten
    assert first.stdout == second.stdout
