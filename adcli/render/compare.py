"""`adcli compare` and `adcli check` to the screen: Rich tables, plain text, JSON."""

from __future__ import annotations

from typing import IO, Any

from adcli.commands.compare import Comparison, counts
from adcli.modes.numeric import onesided
from adcli.render.results import dumps, fold, number, table_width

SHOWN = 4  # entries through one kink spelled out in words


def _entry_rows(c: Comparison, digits: int) -> tuple[list[str], list[list[str]], list[str]]:
    """Header and one row per Jacobian entry: each mode's value, then each mode's deviation; each row's mark."""
    ran = [m for m, r in c.modes.items() if r.error is None]
    others = [m for m in ran if m != c.reference]
    header = ["entry", *ran, *(f"Δ {m}" for m in others)]
    if "numeric" in ran and c.modes["numeric"].error_estimate:
        header.append("± numeric")
    bad = {(d["output"], d["wrt"]) for d in c.disagreements if counts(d, c.strict_peers)}
    differs = {(d["output"], d["wrt"]) for d in c.disagreements if d.get("peer")}  # a peer's, not counted
    unsure = {(d["output"], d["wrt"]) for d in c.disagreements if d.get("inconclusive")}
    rows, flags = [], []
    ref = c.modes[c.reference].jacobian or []
    for i in range(len(ref)):
        for k, w in enumerate(c.wrt):
            row = [f"df{i + 1}/d{w}" if c.order == 1 else f"d2f/d{c.wrt[i]}d{w}"]
            row += [number(c.modes[m].jacobian[i][k], digits) for m in ran]  # type: ignore[index]
            row += [f"{c.deviation[m][i][k]:.1e}" for m in others]
            if "± numeric" in header:
                row.append(f"{c.modes['numeric'].error_estimate[i][k]:.1e}")  # type: ignore[index]
            rows.append(row)
            flags.append(_flag((i, w), bad, differs, unsure))
    return header, rows, flags


def _flag(entry: tuple[int, str], bad: set, differs: set, unsure: set) -> str:
    if entry in bad:
        return "disagrees"
    return "peer differs" if entry in differs else "numeric inconclusive" if entry in unsure else ""


def _cost_rows(c: Comparison) -> tuple[list[str], list[list[str]]]:
    header = ["mode", "sweeps / evaluations", "operations", "time"]
    rows = []
    for m, r in c.modes.items():
        if r.error is not None:
            rows.append([m, "failed", "", r.error["kind"]])
            continue
        work = f"{r.nfev} evaluations" if r.nfev else f"{r.sweeps} sweep{'s' if r.sweeps != 1 else ''}"
        name, operations, took = m, "—" if r.operations is None else str(r.operations), f"{r.seconds * 1e3:.3f} ms"
        if r.peer:  # a framework: its version, one VJP per output; its operation count is its own business
            name, work, operations = f"{m} {r.version}", f"{r.sweeps} VJP{'s' if r.sweeps != 1 else ''}", "—"
            took += f" (first call {r.cost.get('first_call_us', 0) / 1e3:.1f} ms)"
        rows.append([name, work, operations, took])
    return header, rows


def _entries_text(n: int) -> str:
    return f"{n} entr" + ("y" if n == 1 else "ies")


def _verdict(c: Comparison) -> str:
    if not getattr(c, "inconclusive", False):
        return _head(c)
    unsure = [d for d in c.disagreements if d.get("inconclusive")]
    spread = max(c.modes["numeric"].error_estimate[d["output"]][c.wrt.index(d["wrt"])] for d in unsure)  # type: ignore[index]
    return (
        f"INCONCLUSIVE: every exact mode is within rtol {c.rtol:g}, atol {c.atol:g} of {c.reference}, but numeric "
        f"is inconclusive at {_entries_text(len(unsure))}: its own error estimate (up to ±{spread:.2g}) is larger "
        "than the tolerance and covers the difference, so nothing independent confirms or contradicts those entries"
        " (where the program cancels digits, the exact modes can be the ones off)"
    )


def _head(c: Comparison) -> str:
    tol = f"rtol {c.rtol:g}, atol {c.atol:g}"
    by_peers = [d for d in c.disagreements if d.get("peer")]
    counted = [d for d in c.disagreements if counts(d, c.strict_peers)]
    if c.agree and by_peers:
        names = list(dict.fromkeys(d["mode"] for d in by_peers))
        differ = "differs" if len(names) == 1 else "differ"
        return (
            f"agree: every adcli mode is within {tol} of {c.reference}; {' and '.join(names)} {differ} at "
            f"{_entries_text(len({(d['output'], d['wrt']) for d in by_peers}))} "
            "(peers do not decide the exit code; --strict-peers makes them)"
        )
    missing = [m for m, r in c.modes.items() if not r.peer and r.error is not None]
    if not counted and missing:  # was "DISAGREE: 0 entries" when symbolic mode could not run on arrays
        head = "agree" if c.agree else "DISAGREE"
        ran = f"every mode that ran is within {tol} of {c.reference}"
        return f"{head}: {ran}; {' and '.join(missing)} did not run (see the notes)"
    if c.agree:
        ran = [m for m, r in c.modes.items() if r.peer and r.error is None]
        also = f", and so {'is' if len(ran) == 1 else 'are'} {' and '.join(ran)}" if c.peers_agree else ""
        return f"agree: every mode is within {tol} of {c.reference}{also}"
    if not counted and c.strict_peers and c.peers_agree is False:
        return "DISAGREE: a peer did not run, and --strict-peers counts the peers (see the notes)"
    return f"DISAGREE: {_entries_text(len(counted))} beyond {tol} of {c.reference}"


def _words(c: Comparison, digits: int) -> list[str]:
    lines = [c.shape]
    for k in c.kinks:
        lines.append(
            f"kink: {k['node']} at {k['at']} (the node's own derivative: left {k['left']}, right {k['right']}); "
            f"convention {k['convention']}"
        )
        entries, sides = k.get("entries") or [], k.get("one_sided") or []
        for (i, w), found in list(zip(entries, sides, strict=False))[:SHOWN]:
            given = ", ".join(
                f"{m} {number(r.jacobian[i][w], digits)}" for m, r in c.modes.items() if r.jacobian and r.error is None
            )
            measured = f"{onesided.describe(found)} (one-sided differences of f{i + 1} along {c.wrt[w]})"
            lines.append(f"  df{i + 1}/d{c.wrt[w]}: {measured if found else 'not measured'}; gave: {given}")
        if len(entries) > SHOWN:
            lines.append(f"  … and {len(entries) - SHOWN} more entries through this kink (--format json lists them)")
    for d in c.disagreements:
        lines.append(f"{d['mode']} df{d['output'] + 1}/d{d['wrt']}: {d['why']}")
    lines += [f"note: {n}" for n in c.notes]
    lines.append(_verdict(c))
    return lines


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]


def plain(c: Comparison, digits: int, out: IO[str]) -> None:
    at = ", ".join(f"{k} = {number(v, digits)}" for k, v in c.at.items())
    text = [
        f"read as: {c.read_as}",
        f"at:      {at}",
        f"{'value:  ' if c.order == 1 else 'gradient:'} {number(c.value, digits)}",
        "",
    ]
    header, rows, flags = _entry_rows(c, digits)
    text += [
        line + (f"   <- {flag}" if flag else "")
        for line, flag in zip(_aligned(header, rows), ["", *flags], strict=True)
    ]
    text += ["", *_aligned(*_cost_rows(c)), "", *_words(c, digits)]
    out.write("\n".join(text) + "\n")


def _long(c: Comparison, header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]], list[str]]:
    """The entries with one row per entry and mode (value, Δ from the reference, ±): narrow enough for 80 columns."""
    ran = [m for m, r in c.modes.items() if r.error is None]
    flagged = {(d["mode"], d["output"], d["wrt"]): d for d in c.disagreements}
    entries = [(i, w) for i in range(len(c.modes[c.reference].jacobian or [])) for w in c.wrt]
    out, marks = [], []
    for row, (i, w) in zip(rows, entries, strict=True):
        for k, m in enumerate(ran):
            d = flagged.get((m, i, w))
            mark = "" if d is None else "peer differs" if d.get("peer") and not c.strict_peers else "disagrees"
            mark = "numeric inconclusive" if d is not None and d.get("inconclusive") else mark
            delta = row[header.index(f"Δ {m}")] if f"Δ {m}" in header else "ref"
            spread = [row[header.index("± numeric")] if m == "numeric" else ""] if "± numeric" in header else []
            out.append([row[0] if k == 0 else "", m, row[1 + k], delta, *spread])
            marks.append(mark)
    wide = ["entry", "mode", "value", "Δ"] + (["± numeric"] if "± numeric" in header else [])  # Δ from `ref`
    if any(marks):
        wide, out = [*wide, ""], [[*row, mark] for row, mark in zip(out, marks, strict=True)]
    return wide, out, marks


def _entry_blocks(c: Comparison, header: list[str], rows: list[list[str]], flags: list[str], width: int) -> list:
    """The entries for a terminal too narrow even for one row per entry and mode: each entry's name, then a
    line per mode (value, Δ from the reference, ±), folded between numbers: (text, style) pairs."""
    long, cells, marks = _long(c, header, rows)
    wide = {k: max(len(r[k]) for r in cells) for k in (1, 2)}
    out: list[tuple[str, str | None]] = []
    for row, mark in zip(cells, marks, strict=True):
        if row[0]:
            out.append((row[0], "bold"))
        spread = row[4] if "± numeric" in long and row[4] else ""
        pieces = [row[1].ljust(wide[1]), row[2].rjust(wide[2]), "ref" if row[3] == "ref" else f"Δ {row[3]}"]
        pieces += [f"± {spread}" if spread else "", mark]
        style = {"disagrees": "bold red", "peer differs": "yellow", "numeric inconclusive": "yellow"}.get(mark)
        out += [(line, style) for line in fold(pieces, width)]
    return out


def table(c: Comparison, digits: int, console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    def line(text: str, style: str | None = None) -> None:  # whole, never cut or wrapped by Rich
        console.print(Text(text, style=style), no_wrap=True, overflow="ignore", crop=False)

    from adcli.render.layout import caption_lines

    at = ", ".join(f"{k} = {number(v, digits)}" for k, v in c.at.items())
    value = f"{'value' if c.order == 1 else 'gradient'} {number(c.value, digits)}"
    console.print(Text(c.read_as, style="bold", overflow="fold"))
    for text in caption_lines([f"at {at}", value], console.width):  # the point and value, as plain says them
        line(text)
    header, rows, flags = _entry_rows(c, digits)
    marked = [*header, ""], [[*row, flag] for row, flag in zip(rows, flags, strict=True)]
    if table_width(*marked) > console.width and table_width(*_long(c, header, rows)[:2]) > console.width:
        # too narrow for any table: a block per entry, its numbers whole
        for text, style in _entry_blocks(c, header, rows, flags, console.width):
            line(text, style)
        line(f"reference: {c.reference}")
    else:
        if table_width(*marked) > console.width:  # too wide for the terminal: one row per entry and mode
            header, rows, flags = _long(c, header, rows)
        elif any(flags):  # a word, not only a colour: NO_COLOR and pipes see it too
            header, rows = marked
        console.print(_entries_table(c, header, rows, flags))
    cost_header, cost = _cost_rows(c)
    if table_width(cost_header, cost) > console.width:  # a line per mode, folded between its cells
        line("cost", "bold")
        for name, work, operations, took in cost:
            done = f"{operations} operations" if operations not in ("", "—") else ""
            for text in fold([name, work, done, took], console.width):
                line(text)
    else:
        costs = Table(*cost_header, title="cost")
        for row in cost:
            costs.add_row(*(Text(cell) for cell in row))
        console.print(costs)
    for words in _words(c, digits):
        style = "green" if words.startswith("agree") else "bold red" if words.startswith("DISAGREE") else None
        console.print(Text(words, style=style))


def _entries_table(c: Comparison, header: list[str], rows: list[list[str]], flags: list[str]) -> Any:
    from rich.table import Table
    from rich.text import Text

    grid = Table(caption=Text(f"reference: {c.reference}"))  # the text as read is said above it
    for k, name in enumerate(header):
        numbers = name not in ("entry", "mode", "")
        widest = max(len(name), *(len(row[k]) for row in rows)) if rows else len(name)
        grid.add_column(  # numbers, modes and marks are never cut or wrapped: the entry names wrap instead
            Text(name),
            justify="right" if numbers else "left",
            no_wrap=name != "entry",
            min_width=widest if name != "entry" else None,
        )
    for row, flag in zip(rows, flags, strict=True):
        style = {"disagrees": "bold red", "peer differs": "yellow", "numeric inconclusive": "yellow"}.get(flag)
        grid.add_row(*(Text(cell) for cell in row), style=style)
    return grid


def as_json(c: Comparison) -> str:
    return dumps(c.to_dict())


def check_text(verdict: Any, digits: int) -> str:
    """The verdict of `adcli check` in words, with the counterexample when there is one."""
    lines = [f"{verdict.verdict}: {verdict.reason}"]
    if verdict.counterexample:
        ce = verdict.counterexample
        at = ", ".join(f"{k} = {number(v, digits)}" for k, v in ce["at"].items())
        if "answer" in ce:  # a counterexample of shape (an answer of another shape) has the point only
            gives, is_ = number(ce["answer"], digits), number(ce["derivative"], digits)
            lines.append(f"at {at}: the answer gives {gives}, the derivative is {is_}")
        else:
            lines.append(f"at {at}")
    if verdict.derivative:
        lines.append(f"the derivative: {verdict.derivative}")
    lines += [f"note: {note}" for note in verdict.notes]
    return "\n".join(lines)
