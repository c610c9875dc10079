"""Tab completion for `adcli repl`: `:` commands and their choices, function names, the session's variables
and names, with the standard library's readline.

What a word may complete to is decided from the line so far (`candidates`, plain data, tested without a
terminal); `attach` hands readline a completer that asks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: characters that end a word being completed: operators and brackets, not `:` (a command) nor `$`
DELIMITERS = " \t\n()+-*/^,;=[]{}@'<>|&!~\"#"


def candidates(
    buffer: str, text: str, commands: Iterable[str], choices: dict[str, Iterable[str]], words: Iterable[str]
) -> list[str]:
    """The completions of `text`, the word under the cursor, given the line `buffer` up to it.

    A line that starts with `:` completes its first word to a command (`:mo` -> `:mode`) and its second to
    that command's choices (`:format j` -> `json`); any other word completes to `words` (functions, the
    session's variables and names)."""
    head = buffer.lstrip()
    if head.startswith(":"):
        before = head[: len(head) - len(text)] if text else head
        if not before.strip(": "):  # the command word itself
            return sorted(f":{c}" for c in commands if f":{c}".startswith(text if text.startswith(":") else ":" + text))
        command = before[1:].split()[0] if before[1:].split() else ""
        return sorted(c for c in choices.get(command, ()) if c.startswith(text))
    return sorted({w for w in words if w.startswith(text)})


def attach(readline: Any, complete: Callable[[str, str], list[str]]) -> None:
    """Tab completes with `complete(buffer, text)`; a list of matches shows on a second Tab (GNU readline and
    libedit alike)."""

    def completer(text: str, state: int) -> str | None:
        try:
            found = complete(readline.get_line_buffer()[: readline.get_endidx()], text)
        except Exception:  # noqa: BLE001 - a completer that raises is silently dropped by readline anyway
            return None
        return found[state] if state < len(found) else None

    readline.set_completer_delims(DELIMITERS)
    readline.set_completer(completer)
    if "libedit" in (getattr(readline, "__doc__", "") or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
