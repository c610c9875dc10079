"""The records of batch output: one JSON object per problem and point, and its csv cells.

The record schemas (README, "Batch output") are built here and nowhere else:

- json/jsonl: the single-problem object (`Result.to_dict`) plus `file`, `line` (1-based, in its
  file) and `point` (1-based, within the problem's point set), with `at`, `value`, `jacobian`,
  `gradient`, `jvp`, `vjp` for that point; a point set's first result has the problem's own fields
  (PROBLEM_KEYS), the others only what varies per point; a failed problem gives
  `{file, line, input, error, warnings}`.
- csv: `file,line,point,input`, one column per variable, `f1…fm` (values), `d(fi)/d(x)` (Jacobian
  entries, row-major), `jvp(fi)`, `vjp(x)`, `warnings`, `error`.

`records` and `csv_row` make them one point at a time (the row writer, and the points that are not
like the others: failed, at a kink, the first); `point_lines` and `csv_chunk` make a chunk of a point
set's a column at a time (adcli.render.columns), byte for byte the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from adcli.batch.points import CHUNK, MANY, is_many, size, warning_at
from adcli.batch.points import column as values_of
from adcli.batch.run import Outcome
from adcli.core.errors import AdcliError
from adcli.render import columns
from adcli.render import results as render

LEAD = ("file", "line", "point", "input")
TAIL = ("warnings", "error")


# ---- records ------------------------------------------------------------------------------------


INPUT_SHOWN = 1000  # characters of a failed problem's text echoed in its record


def _shown_input(text: str | None) -> str | None:
    if text is None or len(text) <= INPUT_SHOWN:
        return text
    return f"{text[:INPUT_SHOWN]}… ({len(text):,} characters)"


def error_record(outcome: Outcome) -> dict[str, Any]:
    exc = outcome.error
    assert exc is not None
    file, line, column = outcome.place  # the error's own line; the record's `line` is the problem's first
    error = {"kind": exc.kind, "message": exc.message, "line": line, "column": column}
    warnings = [w.to_dict() for w in exc.warnings]
    first = outcome.item.line or None
    return {"file": file, "line": first, "input": _shown_input(outcome.item.text), "error": error, "warnings": warnings}


def point_error_record(outcome: Outcome, i: int, exc: AdcliError, at: dict[str, float]) -> dict[str, Any]:
    """A point of a set where the computation failed: the error record with `point` and `at`."""
    record = error_record(Outcome(outcome.item, error=exc))
    lead = {"file": record["file"], "line": record["line"], "point": i + 1, "input": record["input"], "at": at}
    return {**lead, "error": record["error"], "warnings": record["warnings"]}


def chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(start + CHUNK, n)


#: a point set's fields that are the same at every point: in its first result record only (README, jsonl)
PROBLEM_KEYS = ("input", "read_as", "outputs", "mode", "sweeps", "direction", "cotangent", "notes", "cost")


def records(outcome: Outcome, command: str, only: Iterable[int] | None = None) -> Iterator[dict[str, Any]]:
    """The JSON objects of one outcome: one per point (`only`: those points), or its error object.

    A point set's first result record is the whole single-problem object; the others are lean (what
    varies per point, with file, line, point and wrt to read them by: PROBLEM_KEYS moved to the first).
    This is the row writer: JsonlSink writes the same bytes a column at a time (point_lines)."""
    if outcome.error is not None:
        yield error_record(outcome)
        return
    result, item = outcome.result, outcome.item
    body = result.to_dict(command)
    if result.shapes is not None or not is_many(
        result.at
    ):  # one point (a point set of one point has arrays of one: below)
        yield {"file": item.file, "line": item.line, "point": 1, **body}
        return
    always = [w.to_dict() for w in result.warnings if w.where is None]
    marked = [w for w in result.warnings if w.where is not None]  # kinks: their points, each with its own values
    failed = result.failures.mask if result.failures is not None else None
    first = first_result(result)
    keys = [key for key in ("value", "jvp", "vjp") if body.get(key) is not None]
    lean = {k: v for k, v in body.items() if k not in PROBLEM_KEYS}
    wanted = None if only is None else sorted(set(only))
    for start, stop in chunks(size(result.at)):
        index = range(start, stop) if wanted is None else [i for i in wanted if start <= i < stop]
        if not index:
            continue
        at = {k: values_of(v, start, stop).tolist() for k, v in result.at.items()}
        lists = {key: [values_of(v, start, stop).tolist() for v in body[key]] for key in keys}
        jacobian = [[values_of(e, start, stop).tolist() for e in row] for row in body.get("jacobian") or []]
        for i in index:
            j = i - start
            point = {k: v[j] for k, v in at.items()}
            if failed is not None and failed[i]:
                yield point_error_record(outcome, i, result.failures.error(i), point)
                continue
            record = {"file": item.file, "line": item.line, "point": i + 1, **(body if i == first else lean)}
            record["at"] = point
            record.update((key, [v[j] for v in entries]) for key, entries in lists.items())
            if body.get("jacobian") is not None:
                record["jacobian"] = [[e[j] for e in row] for row in jacobian]
                if "gradient" in body:
                    record["gradient"] = record["jacobian"][0] if len(jacobian) == 1 else None
            record["warnings"] = always + [warning_at(w, i) for w in marked if w.where[i]]
            yield record


def first_result(result: Any) -> int:
    """The first point of a set that did not fail: its record carries the problem's own fields."""
    failures = result.failures
    if failures is None or not len(failures):
        return 0
    return int(np.argmin(failures.mask)) if not failures.mask.all() else -1


def special_points(result: Any, start: int, stop: int, first: bool = True) -> list[int]:
    """The points of [start, stop) whose records are not like the others: failed, at a kink, or (first) the
    first result, which carries the problem's own fields."""
    found = [i for i in [first_result(result)] if first and start <= i < stop]
    if result.failures is not None and len(result.failures):
        index = result.failures.index
        found += index[(index >= start) & (index < stop)].tolist()
    for w in result.warnings:
        if w.where is not None:
            found += (np.flatnonzero(w.where[start:stop]) + start).tolist()
    return sorted(set(found))


ARRAYS_IN_CSV = "csv holds numbers; for arrays use --format json or jsonl, or --save FILE.npz"


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON record as CSV cells (see the module docstring for the columns)."""
    row = {key: record.get(key) for key in LEAD}
    if "shapes" in record:  # an array result has no flat row: said in its error cell
        row["error"] = f"usage_error: {ARRAYS_IN_CSV}"
        return row
    fixed = set(LEAD) | set(TAIL)
    for name, v in (record.get("at") or {}).items():
        clash = name in fixed or (name[:1] == "f" and name[1:].isdigit())
        row[f"at({name})" if clash else name] = v
    for i, v in enumerate(record.get("value") or [], 1):
        row[f"f{i}"] = v
    wrt = record.get("wrt") or []
    for i, entries in enumerate(record.get("jacobian") or [], 1):
        row.update((f"d(f{i})/d({w})", e) for w, e in zip(wrt, entries, strict=True))
    for i, v in enumerate(record.get("jvp") or [], 1):
        row[f"jvp(f{i})"] = v
    row.update((f"vjp({w})", v) for w, v in zip(wrt, record.get("vjp") or [], strict=False))
    row["warnings"] = "; ".join(w["message"] for w in record.get("warnings") or [])
    error = record.get("error")
    if error:
        where = f" (column {error['column']})" if error.get("column") else ""
        if error.get("column") and error.get("line") != record.get("line"):  # a program of several lines
            where = f" (line {error['line']}, column {error['column']})"
        row["error"] = f"{error['kind']}: {error['message']}{where}"
    return row


def group(column: str) -> int:
    if column in LEAD:
        return 0
    if column in TAIL:
        return 6
    if column.startswith("d("):
        return 3
    if column.startswith("jvp("):
        return 4
    if column.startswith("vjp("):
        return 5
    return 2 if column[:1] == "f" and column[1:].isdigit() else 1


# ---- a chunk of a point set, a column at a time ---------------------------------------------------------


def point_lines(outcome: Outcome, command: str, start: int, stop: int) -> list[str]:
    """The JSON texts of points [start, stop) of a point set: records()'s bytes, made a column at a time.

    One lean record is written with a placeholder for each number that varies per point, and the
    placeholders are filled from the columns' cells; the special points are records()'s own."""
    result, item = outcome.result, outcome.item
    body = result.to_dict(command)
    cells: list[list[str]] = [list(map(str, range(start + 1, stop + 1)))]

    def slot(values: Any) -> str:
        cells.append(columns.json_floats(values_of(values, start, stop)))
        return columns.slot(len(cells) - 1)

    placed = 0  # placeholders in the record: one a column, and the gradient repeats the Jacobian's row

    record = {"file": item.file, "line": item.line, "point": columns.slot(0)}
    record.update((k, v) for k, v in body.items() if k not in PROBLEM_KEYS)
    record["at"] = {k: slot(v) if isinstance(v, MANY) else float(v) for k, v in result.at.items()}
    record.update((key, [slot(v) for v in body[key]]) for key in ("value", "jvp", "vjp") if body.get(key) is not None)
    if body.get("jacobian") is not None:
        record["jacobian"] = [[slot(e) for e in row] for row in body["jacobian"]]
        if "gradient" in body:
            record["gradient"] = record["jacobian"][0] if len(record["jacobian"]) == 1 else None
            placed += len(record["jacobian"][0]) if len(record["jacobian"]) == 1 else 0
    record["warnings"] = [w.to_dict() for w in result.warnings if w.where is None]
    found = columns.template_rows(render.dumps(record), cells, stop - start, placed + len(cells))
    special = special_points(result, start, stop) if found is not None else range(start, stop)
    lines = found or [""] * (stop - start)
    for i, one in zip(special, records(outcome, command, special), strict=True):
        lines[i - start] = render.dumps(one)
    return lines


def csv_chunk(outcome: Outcome, command: str, start: int, stop: int) -> dict[str, columns.Cells]:
    """The csv cells of points [start, stop) of a point set, by column (csv_row's columns, in its order):
    one text where every row has the same, else one per row."""
    result, item = outcome.result, outcome.item
    body = result.to_dict(command)

    def cells(v: Any) -> Any:
        return values_of(v, start, stop).tolist() if isinstance(v, MANY) or np.ndim(v) else float(v)

    record = {"file": item.file, "line": item.line, "point": range(start + 1, stop + 1), "input": body["input"]}
    record.update(at={k: cells(v) for k, v in result.at.items()}, wrt=body["wrt"])
    record.update((key, [cells(v) for v in body[key]]) for key in ("value", "jvp", "vjp") if body.get(key))
    if body.get("jacobian") is not None:
        record["jacobian"] = [[cells(e) for e in row] for row in body["jacobian"]]
    row: dict[str, Any] = {name: columns.csv_cells(v) for name, v in csv_row(record).items()}
    always = [w.message for w in result.warnings if w.where is None]
    row["warnings"], row["error"] = columns.csv_cell("; ".join(always)), ""
    special = special_points(result, start, stop, first=False)
    if special:
        _special_cells(result, row, start, stop, special, always)
    return row


def _special_cells(result: Any, row: dict[str, Any], start: int, stop: int, special: list[int], always: list) -> None:
    """The failed points' and kinks' rows of a chunk: the error and warnings cells, answers left empty."""
    m, marked, failures = stop - start, [w for w in result.warnings if w.where is not None], result.failures
    row["warnings"], row["error"] = [row["warnings"]] * m, [""] * m
    answers = [row[name] for name in row if 2 <= group(name) <= 5]
    for i in special:
        j = i - start
        if failures is not None and failures.mask[i]:
            exc = failures.error(i)
            where = f" (column {exc.column})" if exc.column else ""
            row["error"][j], row["warnings"][j] = columns.csv_cell(f"{exc.kind}: {exc.message}{where}"), ""
            for column in answers:
                column[j] = ""
        else:
            said = always + [warning_at(w, i)["message"] for w in marked if w.where[i]]
            row["warnings"][j] = columns.csv_cell("; ".join(said))
