"""A JSON route refuses a query parameter it does not declare.

FastAPI drops an unknown parameter without a word: ``?window_minutes=120`` on the
trace (whose name is ``window``) traced over the default 30 minutes, and a filter
the employers' board does not have (``?status=``) showed the whole board. Here
each such parameter is a 422 ``extra_forbidden`` naming it, as an unknown field in
a body already is (``http/errors.py`` gives the words); so is a parameter that takes
one value given twice (``query_repeated``: ``?format=jwks&format=signed`` answered
the last without a word), and one with no name at all (``name_empty``, located at
``query``: ``?=x`` had been an unknown field named "body").

``http/strict_input.py`` asks these checks and the form's (``strict_form.py``) for
every route of the API, and answers them with the route's own in one 422; only a
request with a query string pays for the look (a few microseconds). ``lang`` is
everyone's: the edge reads it for the language of the answer
(``http/middleware.request_language``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.params import Form
from fastapi.routing import APIRoute

EVERY_ROUTE = frozenset({"lang"})


@dataclass(frozen=True)
class Declared:
    """What a route (with its dependencies) reads from the query and from a form."""

    query: frozenset[str]
    lists: frozenset[str]  # query parameters that take a list (``?status=a&status=b``)
    form: frozenset[str]  # form fields, files included


def declared(route: APIRoute) -> Declared:
    """One walk of the route's dependencies for both checks (a few microseconds, and
    only for a request with a query string or a form)."""
    query = list(_params(route.dependant, "query_params"))
    form = [f for f in _params(route.dependant, "body_params") if isinstance(f.field_info, Form)]
    return Declared(
        query=frozenset(f.alias for f in query),
        lists=frozenset(f.alias for f in query if _is_list(f.field_info.annotation)),
        form=frozenset(f.alias for f in form),
    )


def _params(dependant: Dependant, kind: str) -> Iterator[Any]:
    """The route's own parameters of a kind, and its dependencies', depth first."""
    yield from getattr(dependant, kind)
    for sub in dependant.dependencies:
        yield from _params(sub, kind)


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return origin in (list, set, frozenset, tuple)


def unknown(where: str, name: str, given: Any) -> dict[str, Any]:
    """An input the route does not declare (``http/errors.py``: "Unknown field"); one
    without a name is located at its place (``query``), not at a field."""
    if not name:
        return {
            "type": "name_empty",
            "loc": (where,),
            "msg": "The parameter name is empty",
            "input": given,
        }
    return {
        "type": "extra_forbidden",
        "loc": (where, name),
        "msg": "Extra inputs are not permitted",
        "input": given,
    }


def query_errors(request: Request, route_reads: Declared) -> list[dict[str, Any]]:
    """The parameters the route does not declare, in the order given, then those
    given more than once."""
    if not request.query_params:
        return []
    allowed = route_reads.query | EVERY_ROUTE
    params = request.query_params
    names = list(dict.fromkeys(name for name, _ in params.multi_items()))
    errors = [unknown("query", name, params.get(name)) for name in names if name not in allowed]
    errors += [
        {
            "type": "query_repeated",
            "loc": ("query", name),
            "msg": "Given more than once",
            "input": params.getlist(name),
        }
        for name in names
        if name in allowed and name not in route_reads.lists and len(params.getlist(name)) > 1
    ]
    return errors
