"""adcli.render.trace: the survey's Tables 2 and 3 as rendered text (golden), plain text and JSON."""

from __future__ import annotations

import io
import json
import re
import unicodedata

import pytest

from adcli import api
from adcli.commands.trace import Trace, compute
from adcli.render.trace import as_json, cost_lines, plain, table_text

#: Tables 2 and 3 of Baydin et al. (2018) as adcli draws them at width 120, 4 significant digits.
GOLDEN_UNICODE = """\
log(x1) + x1*x2 - sin(x2)  at x1 = 2, x2 = 5
                                   Forward mode
┌──────────────────────────────────────────┬──────────────────────────────────────┐
│ Forward primal trace                     │ Forward tangent trace, ẋ = (1, 0)    │
├──────────────────────────────────────────┼──────────────────────────────────────┤
│ v₋₁ = x1 = 2                             │ v̇₋₁ = ẋ1 = 1                         │
│ v₀ = x2 = 5                              │ v̇₀ = ẋ2 = 0                          │
├──────────────────────────────────────────┼──────────────────────────────────────┤
│ v₁ = log(v₋₁) = log(2) = 0.6931          │ v̇₁ = v̇₋₁/v₋₁ = 1/2 = 0.5             │
│ v₂ = v₋₁·v₀ = 2·5 = 10                   │ v̇₂ = v̇₋₁·v₀ + v̇₀·v₋₁ = 1·5 + 0·2 = 5 │
│ v₃ = sin(v₀) = sin(5) = -0.9589          │ v̇₃ = v̇₀·cos(v₀) = 0·cos(5) = 0       │
│ v₄ = v₁ + v₂ = 0.6931 + 10 = 10.69       │ v̇₄ = v̇₁ + v̇₂ = 0.5 + 5 = 5.5         │
│ v₅ = v₄ - v₃ = 10.69 - (-0.9589) = 11.65 │ v̇₅ = v̇₄ - v̇₃ = 5.5 - 0 = 5.5         │
├──────────────────────────────────────────┼──────────────────────────────────────┤
│ y = v₅ = 11.65                           │ ẏ = v̇₅ = 5.5                         │
└──────────────────────────────────────────┴──────────────────────────────────────┘
                                              Reverse mode
┌──────────────────────────────────────────┬────────────────────────────────────────────────────────────┐
│ Forward primal trace                     │ Reverse adjoint trace, ȳ = 1                               │
├──────────────────────────────────────────┼────────────────────────────────────────────────────────────┤
│ v₋₁ = x1 = 2                             │ v̄₅ = ȳ = 1                                                 │
│ v₀ = x2 = 5                              │ v̄₄ = v̄₅·∂v₅/∂v₄ = v̄₅·1 = 1·1 = 1                           │
│ v₁ = log(v₋₁) = log(2) = 0.6931          │ v̄₃ = v̄₅·∂v₅/∂v₃ = v̄₅·(-1) = 1·(-1) = -1                    │
│ v₂ = v₋₁·v₀ = 2·5 = 10                   │ v̄₁ = v̄₄·∂v₄/∂v₁ = v̄₄·1 = 1·1 = 1                           │
│ v₃ = sin(v₀) = sin(5) = -0.9589          │ v̄₂ = v̄₄·∂v₄/∂v₂ = v̄₄·1 = 1·1 = 1                           │
│ v₄ = v₁ + v₂ = 0.6931 + 10 = 10.69       │ v̄₀ = v̄₃·∂v₃/∂v₀ = v̄₃·cos(v₀) = -1·cos(5) = -0.2837         │
│ v₅ = v₄ - v₃ = 10.69 - (-0.9589) = 11.65 │ v̄₋₁ = v̄₂·∂v₂/∂v₋₁ = v̄₂·v₀ = 1·5 = 5                        │
│ y = v₅ = 11.65                           │ v̄₀ = v̄₀ + v̄₂·∂v₂/∂v₀ = v̄₀ + v̄₂·v₋₁ = -0.2837 + 1·2 = 1.716 │
│                                          │ v̄₋₁ = v̄₋₁ + v̄₁·∂v₁/∂v₋₁ = v̄₋₁ + v̄₁/v₋₁ = 5 + 1/2 = 5.5     │
│                                          │ x̄1 = v̄₋₁ = 5.5                                             │
│                                          │ x̄2 = v̄₀ = 1.716                                            │
└──────────────────────────────────────────┴────────────────────────────────────────────────────────────┘
primal sweep: 5 ops; partials: 8 local derivatives, 2 ops
tangent sweep: 11 ops + 2 for the partials = 13, 2.6× the primal
adjoint sweep: 10 ops + 2 for the partials = 12, 2.4× the primal
f: ℝ² → ℝ¹: the full Jacobian takes 2 tangent sweeps or 1 adjoint sweep
"""

GOLDEN_ASCII = """\
log(x1) + x1*x2 - sin(x2)  at x1 = 2, x2 = 5
                                                Forward mode
+----------------------------------------------------------------------------------------------------------+
| Forward primal trace                           | Forward tangent trace, xdot = (1, 0)                    |
|------------------------------------------------+---------------------------------------------------------|
| v[-1] = x1 = 2                                 | vdot[-1] = x1dot = 1                                    |
| v[0] = x2 = 5                                  | vdot[0] = x2dot = 0                                     |
|------------------------------------------------+---------------------------------------------------------|
| v[1] = log(v[-1]) = log(2) = 0.6931            | vdot[1] = vdot[-1]/v[-1] = 1/2 = 0.5                    |
| v[2] = v[-1]*v[0] = 2*5 = 10                   | vdot[2] = vdot[-1]*v[0] + vdot[0]*v[-1] = 1*5 + 0*2 = 5 |
| v[3] = sin(v[0]) = sin(5) = -0.9589            | vdot[3] = vdot[0]*cos(v[0]) = 0*cos(5) = 0              |
| v[4] = v[1] + v[2] = 0.6931 + 10 = 10.69       | vdot[4] = vdot[1] + vdot[2] = 0.5 + 5 = 5.5             |
| v[5] = v[4] - v[3] = 10.69 - (-0.9589) = 11.65 | vdot[5] = vdot[4] - vdot[3] = 5.5 - 0 = 5.5             |
|------------------------------------------------+---------------------------------------------------------|
| y = v[5] = 11.65                               | ydot = vdot[5] = 5.5                                    |
+----------------------------------------------------------------------------------------------------------+
                                                     Reverse mode
+--------------------------------------------------------------------------------------------------------------------+
| Forward primal trace                           | Reverse adjoint trace, ybar = 1                                   |
|------------------------------------------------+-------------------------------------------------------------------|
| v[-1] = x1 = 2                                 | vbar[5] = ybar = 1                                                |
| v[0] = x2 = 5                                  | vbar[4] = vbar[5]*dv[5]/dv[4] = vbar[5]*1 = 1*1 = 1               |
| v[1] = log(v[-1]) = log(2) = 0.6931            | vbar[3] = vbar[5]*dv[5]/dv[3] = vbar[5]*(-1) = 1*(-1) = -1        |
| v[2] = v[-1]*v[0] = 2*5 = 10                   | vbar[1] = vbar[4]*dv[4]/dv[1] = vbar[4]*1 = 1*1 = 1               |
| v[3] = sin(v[0]) = sin(5) = -0.9589            | vbar[2] = vbar[4]*dv[4]/dv[2] = vbar[4]*1 = 1*1 = 1               |
| v[4] = v[1] + v[2] = 0.6931 + 10 = 10.69       | vbar[0] = vbar[3]*dv[3]/dv[0] = vbar[3]*cos(v[0]) = -1*cos(5)     |
|                                                |   = -0.2837                                                       |
| v[5] = v[4] - v[3] = 10.69 - (-0.9589) = 11.65 | vbar[-1] = vbar[2]*dv[2]/dv[-1] = vbar[2]*v[0] = 1*5 = 5          |
| y = v[5] = 11.65                               | vbar[0] = vbar[0] + vbar[2]*dv[2]/dv[0] = vbar[0] + vbar[2]*v[-1] |
|                                                |   = -0.2837 + 1*2 = 1.716                                         |
|                                                | vbar[-1] = vbar[-1] + vbar[1]*dv[1]/dv[-1]                        |
|                                                |   = vbar[-1] + vbar[1]/v[-1] = 5 + 1/2 = 5.5                      |
|                                                | x1bar = vbar[-1] = 5.5                                            |
|                                                | x2bar = vbar[0] = 1.716                                           |
+--------------------------------------------------------------------------------------------------------------------+
primal sweep: 5 ops; partials: 8 local derivatives, 2 ops
tangent sweep: 11 ops + 2 for the partials = 13, 2.6x the primal
adjoint sweep: 10 ops + 2 for the partials = 12, 2.4x the primal
f: R^2 -> R^1: the full Jacobian takes 2 tangent sweeps or 1 adjoint sweep
"""


def cell_len(line: str) -> int:
    """Columns a line takes on a terminal: combining accents (v̇, x̄) take none."""
    return sum(1 for ch in line if not unicodedata.combining(ch))


def _survey(mode: str = "both") -> Trace:
    return compute(api.prepare("ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5"), mode)


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.mark.parametrize(("ascii", "golden"), [(False, GOLDEN_UNICODE), (True, GOLDEN_ASCII)])
def test_tables_2_and_3_rendered(ascii: bool, golden: str) -> None:
    assert _lines(table_text(_survey(), 4, ascii, width=120)) == golden


def test_forward_only_draws_one_table_and_no_adjoint_count() -> None:
    text = table_text(_survey("forward"), 4, True, width=120)
    assert "Forward mode" in text and "Reverse mode" not in text
    assert "adjoint sweep:" not in text and "tangent sweep: 11 ops" in text


def test_plain_text_lists_the_traces_in_order_and_messages_go_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    trace = compute(api.prepare("a = x*y; abs(a)", "x=0,y=2"), "reverse")
    plain(trace, 5, True, out, err)
    text = out.getvalue().splitlines()
    assert text[0] == "read as: a = x*y; abs(a)"
    assert "Forward primal trace" in text and "Reverse adjoint trace, fbar = 1" in text  # y is a variable here
    assert "  v[1] = v[-1]*v[0] = 0*2 = 0   (a)" in text
    assert "warning[nondifferentiable]" in err.getvalue()


def test_cost_lines_give_ratios_and_the_jacobian_shape() -> None:
    lines = cost_lines(_survey(), ascii=False)
    assert lines[0] == "primal sweep: 5 ops; partials: 8 local derivatives, 2 ops"
    assert lines[1] == "tangent sweep: 11 ops + 2 for the partials = 13, 2.6× the primal"
    assert lines[-1] == "f: ℝ² → ℝ¹: the full Jacobian takes 2 tangent sweeps or 1 adjoint sweep"
    assert (
        cost_lines(compute(api.prepare("x", "x=1")), ascii=True)[1] == "tangent sweep: 0 ops + 0 for the partials = 0"
    )


def test_json_carries_steps_rows_with_ascii_text_and_reads_back() -> None:
    data = json.loads(as_json(_survey()))
    assert [s["label"] for s in data["steps"]] == ["v_-1", "v_0", "v_1", "v_2", "v_3", "v_4", "v_5"]
    assert data["steps"][1]["adjoint"] == pytest.approx(1.7163378145367738, rel=1e-15)
    assert data["tangent"][3]["text"] == "vdot[2] = vdot[-1]*v[0] + vdot[0]*v[-1] = 1*5 + 0*2 = 5"
    assert (
        data["adjoint"][5]["text"]
        == "vbar[0] = vbar[3]*dv[3]/dv[0] = vbar[3]*cos(v[0]) = -1*cos(5) = -0.28366218546322625"
    )
    again = Trace.from_dict(data).to_dict()
    assert json.dumps(again["steps"]) == json.dumps(data["steps"])


def test_one_local_derivative_is_singular() -> None:
    lines = cost_lines(compute(api.prepare("sin(x)", "x=1"), "forward"), ascii=True)
    assert lines[0] == "primal sweep: 1 op; partials: 1 local derivative, 1 op"


def test_at_80_columns_rows_break_between_their_pieces_never_inside_a_number() -> None:
    text = table_text(_survey(), 5, False, width=80)
    assert "│ v₅ = v₄ - v₃ = 10.693 - (-0.95892)   │" in text and "│   = 11.652                           │" in text
    for line in text.splitlines():
        assert cell_len(line) <= 80
        for cell in line.split("│")[1:-1]:  # no cell line starts with a number cut off from its row
            assert not re.match(r"\s*-?\d", cell), line


def test_json_rows_speak_the_ascii_notation_not_adclis_internal_one() -> None:
    data = json.loads(as_json(compute(api.prepare("x*y, 3", "x=2,y=5"), "both")))
    rows = [r for section in ("primal", "tangent", "adjoint") for r in data[section]]
    assert data["primal"][0]["target"] == "v[-1]" and data["primal"][0]["forms"] == ["x"]
    assert data["tangent"][2]["numbers"] == {"vdot[-1]": 1.0, "v[0]": 5.0, "vdot[0]": 0.0, "v[-1]": 2.0}
    assert data["adjoint"][0]["forms"] == ["fbar[1]"]  # y is a variable here, so the outputs are f
    for row in rows:
        shown = json.dumps([row["target"], row["forms"], list(row["numbers"])])
        assert "{" not in shown and "v_m" not in shown and "vdot_" not in shown, shown
