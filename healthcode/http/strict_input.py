"""Every route of the API refuses the inputs it does not declare, in one answer with
the request's other errors.

FastAPI drops a query parameter or a form field a route does not declare; the checks
in ``strict_query.py`` and ``strict_form.py`` name them. They used to answer alone:
a client that also sent a bad value learnt of it only on its next try. Here, when
there are any, the route's own checks are asked too, and one 422 carries them all,
in this order (stable; the API's clients and the tests rely on it):

1. the query parameters the route does not declare, in the order given (one with
   an empty name is located at ``query``), then those given more than once;
2. the form fields it does not declare, in the order given;
3. the route's own checks, in FastAPI's order: each dependency's (depth first),
   then the route's path, query, headers, cookies and body.

A dependency runs before the route's checks, and one that raises ends the request:
so the route's checks are made here with FastAPI's own functions, on the body
FastAPI has already read (cached on the request), and only on the way to a refusal.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined

from healthcode.http.strict_form import FORMS, form_errors
from healthcode.http.strict_query import declared, query_errors


async def refuse_unknown_input(request: Request) -> None:
    """``async``: no hop to the thread pool for a check of a few names."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    if not request.query_params and not request.headers.get("content-type", "").startswith(FORMS):
        return  # nothing a route could fail to declare: the common case pays nothing
    route_reads = declared(route)
    errors = query_errors(request, route_reads) + await form_errors(request, route_reads)
    if errors:
        body = await _body_as_read(request, route)
        raise RequestValidationError(errors + await _route_checks(request, route, body))


async def _route_checks(request: Request, route: APIRoute, body: Any) -> list[Any]:
    """The errors FastAPI's checks of the route's inputs give, in its order."""
    embed = route._embed_body_fields  # how FastAPI reads the body for this route

    async def walk(dependant: Dependant) -> list[Any]:
        errors: list[Any] = []
        for sub in dependant.dependencies:
            errors += await walk(sub)
        for fields, given in (
            (dependant.path_params, request.path_params),
            (dependant.query_params, request.query_params),
            (dependant.header_params, request.headers),
            (dependant.cookie_params, request.cookies),
        ):
            errors += request_params_to_args(fields, given)[1]
        if dependant.body_params:
            errors += (await request_body_to_args(dependant.body_params, body, embed))[1]
        return errors

    return await walk(route.dependant)


async def _body_as_read(request: Request, route: APIRoute) -> Any:
    """The body as FastAPI handed it to its checks: the form, the JSON of a JSON
    body, else the bytes; each read before the dependencies ran and cached."""
    if route.body_field is None:
        return PydanticUndefined
    if isinstance(route.body_field.field_info, Form):
        return await request.form()
    raw = await request.body()
    if not raw:
        return PydanticUndefined
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = kind == "application/json" or kind.endswith("+json")
    return await request.json() if is_json else raw
