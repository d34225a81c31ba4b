"""Rule conditions as JsonLogic data, evaluated safely.

Policy conditions are JsonLogic (https://jsonlogic.com), the same declarative form
the EU DCC's CertLogic business rules use, evaluated by ``panzi-json-logic``. Two
operations are ours, because JsonLogic's ``some``/``all`` lose the outer scope:

* ``{"param": "name"}`` – a policy parameter (thresholds, region lists, windows);
* ``{"region_in": [code, codes]}`` – true when a 6-digit region code lies inside any
  of the given province (2), prefecture (4) or county (6 digit) codes.

Only the operations in ``ALLOWED`` may appear, so a policy edited in the command
centre can never call anything else; ``check`` reports every problem by its path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from json_logic import jsonLogic
from json_logic.builtins import BUILTINS, to_bool

Operations = Mapping[str, Callable[..., Any]]

_CONTROL = frozenset({"if", "?:", "and", "or", "filter", "map", "all", "some", "none"})
_PURE_BUILTINS = frozenset(
    {
        "==",
        "!=",
        "===",
        "!==",
        "<",
        ">",
        "<=",
        ">=",
        "!",
        "!!",
        "+",
        "-",
        "*",
        "/",
        "%",
        "in",
        "min",
        "max",
        "cat",
        "var",
        "substr",
        "merge",
        "missing",
        "missing_some",
    }
)
ALLOWED = _CONTROL | _PURE_BUILTINS | {"param", "region_in"}


def region_in(code: object, codes: object) -> bool:
    if not isinstance(code, str) or not isinstance(codes, list):
        return False
    return any(isinstance(c, str) and c and code.startswith(c) for c in codes)


def operations(params: Mapping[str, Any]) -> Operations:
    """The operation table for one policy version, with its parameters bound."""
    ops: dict[str, Callable[..., Any]] = {k: v for k, v in BUILTINS.items() if k in ALLOWED}
    ops["param"] = lambda _data, name=None, *_: params.get(str(name))
    ops["region_in"] = lambda _data, code=None, codes=None, *_: region_in(code, codes)
    return ops


def holds(condition: Any, data: Mapping[str, Any], ops: Operations) -> bool:
    """Evaluate a condition with JsonLogic truthiness."""
    return bool(to_bool(jsonLogic(condition, dict(data), ops)))


def check(condition: Any, *, params: Mapping[str, Any], path: str) -> list[str]:
    """Every structural problem in a condition, each prefixed by where it is."""
    problems: list[str] = []
    _walk(condition, params, path, problems)
    return problems


def _walk(node: Any, params: Mapping[str, Any], path: str, problems: list[str]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, params, f"{path}[{i}]", problems)
        return
    if not isinstance(node, dict):
        if not (node is None or isinstance(node, str | int | float | bool)):
            problems.append(f"{path}: unsupported value {node!r}")
        return
    if len(node) != 1:
        problems.append(f"{path}: an operation must have exactly one key, got {sorted(node)}")
        return
    op, args = next(iter(node.items()))
    if op not in ALLOWED:
        problems.append(f"{path}: operation {op!r} is not allowed")
        return
    if op == "param" and not (isinstance(args, str) and args in params):
        problems.append(f"{path}: unknown parameter {args!r}")
        return
    _walk(args, params, f"{path}.{op}", problems)
