"""The parser's LALR tables as JSON shipped in the package, so that start-up never builds or unpickles them.

Building the LALR parser from grammars/adcli.lark takes 0.1-0.3 s, more than the rest of a run. Lark's
own cache saves that, but its cache file is a pickle read from ~/.cache before anything is checked: a
file planted there ran code at the next call (issue 11). JSON holds only numbers, strings, lists and
objects; Lark's deserializer turns it back into its own table objects, creating only the classes it is
given by name. So the tables are written once, into the package, by the build step

    python -m adcli.language.tables   # rewrites grammars/adcli.lalr.json from grammars/adcli.lark

and tests/language/test_tables.py checks that the shipped file equals a fresh one. At start-up the file is used
only if it was written from this grammar text by this Lark version; otherwise the parser is built
from the grammar (slower, same parser). Nothing is written at run time, and nothing is read from the
user's folders.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import lark
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

PACKAGE, GRAMMAR, TABLES = "adcli.grammars", "adcli.lark", "adcli.lalr.json"


def _folder() -> str:
    """Where the grammar package is (importlib.resources would add 6 ms to every start-up); in a checkout
    run as `python -m adcli` from its root, which has no adcli.grammars package, the grammars/ folder beside
    adcli/ (where the tables are too)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.origin is not None:
        return os.path.dirname(spec.origin)
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "grammars")


FOLDER = _folder()
START = ["program", "point"]
#: options that are not part of the tables: the caller's (transformer, callbacks) or where the grammar came from
_NOT_SAVED = lark.lark._LOAD_ALLOWED_OPTIONS | {"import_paths", "source_path"}


def _read(name: str) -> str:
    with open(os.path.join(FOLDER, name), encoding="utf-8") as f:
        return f.read()


def grammar_text() -> str:
    return _read(GRAMMAR)


def _stamp(grammar: str) -> dict[str, str]:
    """What the tables were made from: the grammar's text itself (4 KB: comparing it costs less than
    importing hashlib) and the Lark version (its serialized format may change)."""
    return {"lark": lark.__version__, "grammar": grammar}


def build(grammar: str | None = None, **callbacks: Any) -> Lark:
    """The parser built from the grammar (what the tables hold), with the caller's transformer and lexer callbacks."""
    return Lark(grammar_text() if grammar is None else grammar, parser="lalr", start=START, **callbacks)


def _plain(value: Any) -> Any:
    """Lark's serialized data as JSON values; the only tuples in it (a rule's empty_indices) become lists."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a dict with non-string keys outside the parse table")
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"cannot write {type(value).__name__} into the parser tables")


def _memo(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Lark's memo (terminals and rules by number) from its JSON list, rules' empty_indices as tuples again."""
    for entry in entries:
        if entry.get("__type__") == "Rule":
            entry["options"]["empty_indices"] = tuple(entry["options"]["empty_indices"])
    return dict(enumerate(entries))


def _canonical(table: dict[str, Any]) -> dict[str, Any]:
    """Lark's serialized parse table with states and tokens numbered in one fixed order.

    Lark numbers LALR states in the iteration order of sets of strings, which changes from one process
    to the next (hash randomisation): the same grammar gives differently numbered, equal tables. Here
    tokens are numbered by name, and states breadth-first from the start states (by name), each state's
    shifts in token-name order, so the build step writes the same file every time.
    """
    names = table["tokens"]
    states = table["states"]
    order: dict[int, int] = {}
    queue = [table["start_states"][start] for start in sorted(table["start_states"])]
    while queue:
        state = queue.pop(0)
        if state in order:
            continue
        order[state] = len(order)
        row = sorted(states[state].items(), key=lambda item: names[item[0]])
        queue += [arg for _, (action, arg) in row if action == 0 and arg not in order]
    order.update((s, len(order) + i) for i, s in enumerate(s for s in states if s not in order))  # unreachable
    rows = []  # state by state, each {token name: [0, next state] or [1, {"@": rule's memo number}]}
    for state in sorted(states, key=order.__getitem__):
        row = {names[t]: [a, order[arg] if a == 0 else arg] for t, (a, arg) in states[state].items()}
        rows.append(dict(sorted(row.items())))
    return {
        "tokens": sorted(names.values()),
        "states": rows,
        "start_states": {k: order[v] for k, v in sorted(table["start_states"].items())},
        "end_states": {k: order[v] for k, v in sorted(table["end_states"].items())},
    }


def _table(compact: dict[str, Any]) -> dict[str, Any]:
    """The table as Lark's deserializer takes it. Its rows are keyed by token number, looked up in
    "tokens": keyed by name, with "tokens" mapping each name to itself, the JSON rows go in as they are
    (a Python loop converting 3,000 actions cost more than the whole pickle)."""
    return {
        "tokens": {name: name for name in compact["tokens"]},
        "states": dict(enumerate(compact["states"])),
        "start_states": compact["start_states"],
        "end_states": compact["end_states"],
    }


def tables_json() -> str:
    """The tables of the grammar as JSON text (what the build step writes: the same text every time)."""
    grammar = grammar_text()
    data, memo = build().memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _NOT_SAVED}
    data["parser"]["parser"] = _canonical(data["parser"]["parser"])
    if list(memo) != list(range(len(memo))):
        raise TypeError("Lark's memo is not numbered 0, 1, 2, …")
    document = {"made_from": _stamp(grammar), "data": _plain(data), "memo": _plain(list(memo.values()))}
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n"


def _document(text: str, grammar: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The tables' JSON text back as Lark's serialized (data, memo); ValueError if made from something else."""
    document = json.loads(text)
    if document.get("made_from") != _stamp(grammar):
        raise ValueError("the tables were made from another grammar text or Lark version")
    data = document["data"]
    data["parser"]["parser"] = _table(data["parser"]["parser"])
    return data, _memo(document["memo"])


def load(grammar: str, **callbacks: Any) -> Lark:
    """The parser from the shipped tables, or built from `grammar` when they are missing or were made
    from another grammar text or Lark version."""
    try:
        data, memo = _document(_read(TABLES), grammar)
        return Lark._load_from_dict(data, memo, **callbacks)
    except (OSError, ValueError, KeyError, TypeError):  # stale tables or a broken install: the grammar still works
        return build(grammar, **callbacks)


def main() -> None:
    """The build step: write the tables next to the grammar."""
    with open(os.path.join(FOLDER, TABLES), "w", encoding="ascii") as f:
        f.write(tables_json())


if __name__ == "__main__":
    main()
