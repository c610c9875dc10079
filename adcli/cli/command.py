"""The Click command every adcli command runs as: an argument that starts with `-` and is no option of the
command is the expression, and an unknown option gets a hint in words.

`adcli eval "-x^2" --at x=3` is what a student types; Click read `-x^2` as the option `-x`. Options are
known per command (Click's own parameter list), so the decision is exact: `-x`, `-1 + x` and `-sin(x)` are
expressions wherever the command has no such option, an option's value (`--dir -1,0`) stays its value,
and everything after `--` is left to Click.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand

#: (command, option) -> what to use instead; shown in place of Click's "Possible options" guess.
HINTS: dict[tuple[str, str], str] = {
    ("grad", "--order"): "grad gives first derivatives; for second ones use adcli hess (the Hessian), "
    "adcli taylor --order N (one variable) or adcli diff --order 2 (symbolic)",
    ("jac", "--order"): "jac gives first derivatives; for second ones use adcli hess, adcli taylor --order N "
    "or adcli diff --order 2",
    ("eval", "--order"): "eval gives values; for derivatives of order N use adcli taylor --order N "
    "or adcli diff --order N",
    ("eval", "--wrt"): "eval gives values; for derivatives use adcli grad or adcli jac",
    ("eval", "--mode"): "eval gives values; for derivatives use adcli grad --mode or adcli jac --mode",
}


def _shield(arg: str) -> str:
    """A leading space makes Click take the text as an argument; the expression language ignores it."""
    return " " + arg


class ExpressionCommand(TyperCommand):
    """A command whose argument (the expression) may start with `-`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        shielded = self.expressions(ctx, args)
        changed = set(shielded) - set(args)  # before Click's parser, which empties the list it is given
        rest = super().parse_args(ctx, shielded)
        for key, value in ctx.params.items():  # the expression as typed: a caret under it counts from its start
            if isinstance(value, str) and value in changed:
                ctx.params[key] = value[1:]
        return rest

    def expressions(self, ctx: Any, args: list[str]) -> list[str]:
        """`args` with each text that starts with `-` and is no option of this command shielded."""
        names: set[str] = set(ctx.help_option_names)
        valued: set[str] = set()
        for param in self.params:
            opts = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
            if param.param_type_name != "option":
                continue
            names.update(opts)
            if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
                valued.update(getattr(param, "opts", []))
        out: list[str] = []
        rest = iter(args)
        for arg in rest:
            out.append(arg)
            if arg == "--":
                out.extend(rest)
                break
            if arg in valued:  # its value follows, whatever it looks like
                following = next(rest, None)
                if following is not None:
                    out.append(following)
                continue
            if not arg.startswith("-") or arg == "-" or arg.split("=", 1)[0] in names:
                continue
            if not arg.startswith("--") and arg[:2] in valued:  # `-fproblems.txt`: a short option and its value
                continue
            if _looks_like_option(arg):  # `--ordr 2`: Click says it is no option (with our hint)
                continue
            out[-1] = _shield(arg)
        return out


def _looks_like_option(arg: str) -> bool:
    """`--name` or `--name=value`: meant as an option (a typo), not an expression (which never starts `--x`)."""
    import re

    return bool(re.fullmatch(r"--[A-Za-z][\w-]*(=.*)?", arg, re.S))


def hint(command: str, option: str) -> str | None:
    """A pointer to the command that does what an unknown option asked for, or None."""
    return HINTS.get((command, option))
