"""The parser's LALR tables as JSON shipped in the package, so that start-up never builds or unpickles them.

Building the LALR parser from grammars/adcli.lark takes 0.1-0.3 s, more than the rest of a run. Lark's
own cache saves that, but its cache file is a pickle read from ~/.cache before anything is checked: a
file planted there ran code at the next call (issue 11). JSON holds only numbers, strings, lists and
objects; Lark's deserializer turns it back into its own table objects, creating only the classes it is
given by name. So the tables are written once, into the package, by the build step

    python -m adcli.language.tables   # rewrites grammars/adcli.lalr.json from grammars/adcli.lark

and tests/language/test_tables.py checks that the shipped file equals a fresh one. It is two lines, each
one JSON object: first the lean loop's tables (adcli/language/lalr.py) with what they were made from,
then Lark's serialized parser, which only an error needs. At start-up the file is used
only if it was written from this grammar text by this Lark version; otherwise the parser is built
from the grammar (slower, same parser). Nothing is written at run time, and nothing is read from the
user's folders.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lark import Lark

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


def _read(name: str) -> str:
    with open(os.path.join(FOLDER, name), encoding="utf-8") as f:
        return f.read()


def grammar_text() -> str:
    return _read(GRAMMAR)


def _stamp(grammar: str) -> dict[str, str]:
    """What the tables were made from: the grammar's text itself (4 KB: comparing it costs less than
    importing hashlib) and the Lark version (its serialized format may change)."""
    import lark

    return {"lark": lark.__version__, "grammar": grammar}


def build(grammar: str | None = None, **callbacks: Any) -> Lark:
    """The parser built from the grammar (what the tables hold), with the caller's transformer and lexer callbacks."""
    from lark import Lark

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


def _rule_shape(rule: dict[str, Any], keep_all: bool) -> list:
    """[origin, size, callback name, expand1, include] of one serialized rule: how Lark's tree builder shapes
    its children (lark/parse_tree_builder.py: maybe_create_child_filter, ExpandSingleChild). include is
    [[i, inline], …] of the children kept (None: all, none inlined)."""
    options, expansion = rule["options"], rule["expansion"]
    if options["empty_indices"]:
        raise TypeError("[optional] placeholders are not in the lean tables")
    keep_all = keep_all or options["keep_all_tokens"]
    include = [
        [i, sym["__type__"] == "NonTerminal" and sym["name"].startswith("_")]
        for i, sym in enumerate(expansion)
        if keep_all or not (sym["__type__"] == "Terminal" and sym["filter_out"])
    ]
    whole = len(include) == len(expansion) and not any(inline for _, inline in include)
    name = rule["alias"] or options["template_source"] or rule["origin"]["name"]
    expand1 = bool(options["expand1"] and not rule["alias"])
    return [rule["origin"]["name"], len(expansion), name, expand1, None if whole else include]


def _silent(rules: list[dict[str, Any]], keep_all: bool) -> list[str]:
    """Terminals every rule drops (`(`, `,`): the lean loop makes no token for them."""
    kept, dropped = set(), set()
    for rule in rules:
        for sym in rule["expansion"]:
            if sym["__type__"] == "Terminal":
                drop = sym["filter_out"] and not (keep_all or rule["options"]["keep_all_tokens"])
                (dropped if drop else kept).add(sym["name"])
    return sorted(dropped - kept)


#: terminals an expression is mostly made of, first in the lean loop's regular expression (the engine tries
#: its alternatives in order: `)` was tried after 22 others, and the scan was half the lexing)
COMMON = ("__IGNORE_0", "NAME", "NUMBER", "LPAR", "RPAR", "PLUS", "MINUS", "TIMES", "POW", "COMMA", "DIV")


def _pattern(terminals: list[Any], lark_pattern: str) -> str:
    """Lark's one regular expression of the terminals, with the COMMON ones moved first where that cannot
    change a match: Python's alternation takes the first alternative that matches, so two terminals keep
    their order unless no character can start both (first_chars; unknown counts as every character)."""

    def group(t: Any) -> str:
        return f"(?P<{t.name}>{t.pattern.to_regexp()})"

    if "|".join(map(group, terminals)) != lark_pattern:  # Lark builds it as this (lark/lexer.py: Scanner)
        raise TypeError("Lark's scanner pattern is not its terminals joined")
    starts = [first_chars(t.pattern.to_regexp()) for t in terminals]

    def overlap(i: int, j: int) -> bool:
        return starts[i] is None or starts[j] is None or bool(starts[i] & starts[j])

    rank = {name: k for k, name in enumerate(COMMON)}
    placed: list[int] = []
    left = list(range(len(terminals)))
    while left:  # a stable topological order: each terminal after the earlier ones it overlaps
        ready = [j for j in left if not any(i < j and overlap(i, j) for i in left)]
        pick = min(ready, key=lambda j: (rank.get(terminals[j].name, len(rank)), j))
        placed.append(pick)
        left.remove(pick)
    return "|".join(group(terminals[j]) for j in placed)


def first_chars(regex: str) -> frozenset[str] | None:
    """The characters a match of regex can start with, or None when that is not worked out here (a
    negated set, a category such as \\w, flags, or a regex that can match nothing)."""
    from re import _parser

    first, empty = _first_of_sequence(_parser.parse(regex))
    return None if first is None or empty else frozenset(first)


def _first_of_sequence(items: Any) -> tuple[set[str] | None, bool]:
    """(the first characters of a parsed regex's items in sequence, whether they can match nothing)."""
    chars: set[str] = set()
    for op, av in items:
        first, empty = _first_of_item(op, av)
        if first is None:
            return None, False
        chars |= first
        if not empty:
            return chars, False
    return chars, True


def _first_of_item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    from re import _constants as c

    if op is c.LITERAL:
        return {chr(av)}, False
    if op is c.IN and all(o in (c.LITERAL, c.RANGE) for o, _ in av):
        spans = [(a, a) if o is c.LITERAL else a for o, a in av]
        if sum(b - a for a, b in spans) > 10_000:
            return None, False
        return {chr(k) for a, b in spans for k in range(a, b + 1)}, False
    if op is c.SUBPATTERN and not av[1] and not av[2]:  # a group without flags
        return _first_of_sequence(av[3])
    if op is c.BRANCH:
        found = [_first_of_sequence(branch) for branch in av[1]]
        if any(first is None for first, _ in found):
            return None, False
        return set().union(*(first for first, _ in found)), any(empty for _, empty in found)  # type: ignore[misc]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _, sub = av
        first, empty = _first_of_sequence(sub)
        return first, empty or low == 0
    return None, False


def fold_units(states: list[dict[str, Any]], shapes: list[list], ends: set[int]) -> None:
    """Fold unit reductions (`?product: unary`, which only change the state) into the gotos, in place.

    After a reduction to A in state p, the loop goes to t = goto(p, A); if t's action on the lookahead X is
    a unit rule B -> A, it goes on to goto(p, B), and so on: where it stops depends on p, A and X only.
    So a goto whose state reduces a unit rule on some lookahead becomes {X: the state where the chain
    stops} for every terminal X of t's row (t itself where X starts no chain), and the loop takes it
    by the lookahead it holds. A fifth of the loop's steps were such reductions. The rows themselves
    keep every action Lark built (a unit reduction entered by a shift still runs), and no chain goes
    past an end state (the loop stops there)."""
    from adcli.language.lalr import is_unit

    unit = [is_unit(shape) for shape in shapes]
    nonterminals = {shape[0] for shape in shapes}
    gotos = [dict(row) for row in states]  # Lark's gotos, read while the rows are rewritten

    def stop(p: int, t: int, terminal: str) -> int:
        state = t
        while state not in ends:
            action = states[state].get(terminal)
            if action is None or action >= 0 or not unit[~action]:
                break
            state = gotos[p][shapes[~action][0]]
        return state

    for p, row in enumerate(gotos):
        for symbol, t in row.items():
            if symbol not in nonterminals or t in ends:  # a shift, not a goto
                continue
            if not any(action < 0 and unit[~action] for action in states[t].values()):
                continue
            terminals = [x for x in states[t] if x not in nonterminals]
            states[p][symbol] = {x: stop(p, t, x) for x in terminals}


def _lean_tables(parser: Lark, data: dict[str, Any], memo: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What adcli/language/lalr.py's loop reads (no Lark at run time), or None where Lark does more than it
    follows (several terminal regexes, keywords with flags, placeholders)."""
    from lark.lexer import UnlessCallback

    lexer = parser.parser.lexer.root_lexer
    scanner, keep_all = lexer.scanner, bool(data["options"]["keep_all_tokens"])
    if len(scanner._mres) != 1 or lexer.g_regex_flags or lexer.user_callbacks:
        return None
    keywords = {}
    for name, callback in sorted(lexer.callback.items()):
        words = callback.scanner.terminals if isinstance(callback, UnlessCallback) else None
        if not words or any(t.pattern.flags or t.pattern.type != "str" for t in words):
            return None
        keywords[name] = {t.pattern.value: t.name for t in sorted(words, key=lambda t: t.name)}
    table = data["parser"]["parser"]
    numbers: dict[int, int] = {}  # a rule's memo number -> its place in the lean list
    for row in table["states"]:
        for action, arg in row.values():
            if action == 1:
                numbers.setdefault(arg["@"], len(numbers))
    rules = [memo[k] for k in sorted(numbers, key=numbers.__getitem__)]
    try:
        shapes = [_rule_shape(rule, keep_all) for rule in rules]
    except TypeError:
        return None
    states = [{t: arg if a == 0 else ~numbers[arg["@"]] for t, (a, arg) in row.items()} for row in table["states"]]
    fold_units(states, shapes, set(table["end_states"].values()))
    silent = [t for t in _silent(rules, keep_all) if t not in keywords]
    return {
        "pattern": _pattern(scanner.terminals, scanner._mres[0].pattern),
        "ignore": sorted(lexer.ignore_types),
        "newlines": sorted(lexer.newline_types),
        "keywords": keywords,
        "silent": silent,
        "states": states,
        "rules": shapes,
        "start_states": table["start_states"],
        "end_states": table["end_states"],
    }


def lean(grammar: str) -> dict[str, Any] | None:
    """The lean loop's tables (json and re only: no Lark), or None when the shipped file is missing or was
    made from another grammar text (then Lark parses everything). Only the file's first line is read: the
    rest is Lark's (a run that parses without an error never needs it, and decoding it cost ~1.5 ms)."""
    try:
        with open(os.path.join(FOLDER, TABLES), encoding="utf-8") as f:
            document = json.loads(f.readline())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("made_from", {}).get("grammar") != grammar:
        return None
    return document.get("lean")


def tables_json() -> str:
    """The tables of the grammar as JSON text (what the build step writes: the same text every time)."""
    import lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    grammar = grammar_text()
    parser = build()
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    not_saved = lark.lark._LOAD_ALLOWED_OPTIONS | {"import_paths", "source_path"}  # the caller's, or where from
    data["options"] = {k: v for k, v in data["options"].items() if k not in not_saved}
    data["parser"]["parser"] = _canonical(data["parser"]["parser"])
    if list(memo) != list(range(len(memo))):
        raise TypeError("Lark's memo is not numbered 0, 1, 2, …")
    data, memo = _plain(data), _plain(list(memo.values()))
    first = {"made_from": _stamp(grammar), "lean": _lean_tables(parser, data, memo)}  # what a good text needs
    second = {"data": data, "memo": memo}  # Lark's parser, for errors
    return "".join(json.dumps(part, ensure_ascii=True, separators=(",", ":")) + "\n" for part in (first, second))


def _document(text: str, grammar: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The tables' JSON text back as Lark's serialized (data, memo); ValueError if made from something else."""
    first, _, second = text.partition("\n")
    document = {**json.loads(first), **json.loads(second)}
    if document.get("made_from") != _stamp(grammar):
        raise ValueError("the tables were made from another grammar text or Lark version")
    data = document["data"]
    data["parser"]["parser"] = _table(data["parser"]["parser"])
    return data, _memo(document["memo"])


def load(grammar: str, **callbacks: Any) -> Lark:
    """The parser from the shipped tables, or built from `grammar` when they are missing or were made
    from another grammar text or Lark version."""
    from lark import Lark

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
