"""A JSON route refuses a query parameter it does not declare.

FastAPI drops an unknown parameter without a word: ``?window_minutes=120`` on the
trace (whose name is ``window``) traced over the default 30 minutes, and a filter
the employers' board does not have (``?status=``) showed the whole board. Here
each such parameter is a 422 ``extra_forbidden`` naming it, as an unknown field in
a body already is (``http/errors.py`` gives the words); so is a parameter that takes
one value given twice (``query_repeated``: ``?format=jwks&format=signed`` answered
the last without a word).

One router-level dependency does it for every route of the API: it compares the
request's parameters with those the matched route declares (its own and its
dependencies'); only a request with a query string pays for the look (a few
microseconds). ``lang`` is everyone's: the edge reads it
for the language of the answer (``http/middleware.request_language``).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

EVERY_ROUTE = frozenset({"lang"})


def declared_query(dependant: Dependant) -> frozenset[str]:
    """The names of the query parameters a route (with its dependencies) reads."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= declared_query(sub)
    return frozenset(names)


def repeatable_query(dependant: Dependant) -> frozenset[str]:
    """The query parameters that take a list (``?status=a&status=b``); any other one
    given twice keeps only its last value in FastAPI, without a word."""
    names = {f.alias for f in dependant.query_params if _is_list(f.field_info.annotation)}
    for sub in dependant.dependencies:
        names |= repeatable_query(sub)
    return frozenset(names)


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return origin in (list, set, frozenset, tuple)


async def refuse_unknown_query(request: Request) -> None:
    """``async``: no hop to the thread pool for a check of a few names."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = declared_query(route.dependant) | EVERY_ROUTE
    given = request.query_params.multi_items()
    names = list(dict.fromkeys(name for name, _ in given))
    unknown = [name for name in names if name not in allowed]
    lists = repeatable_query(route.dependant)
    twice = [
        name
        for name in names
        if name in allowed and name not in lists and len(request.query_params.getlist(name)) > 1
    ]
    if unknown or twice:
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "Extra inputs are not permitted",
                    "input": request.query_params.get(name),
                }
                for name in unknown
            ]
            + [
                {
                    "type": "query_repeated",
                    "loc": ("query", name),
                    "msg": "Given more than once",
                    "input": request.query_params.getlist(name),
                }
                for name in twice
            ]
        )
