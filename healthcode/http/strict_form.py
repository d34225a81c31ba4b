"""A JSON route that reads a form refuses a form field it does not declare.

FastAPI drops an unknown form field without a word: an appeal sent with
``credit_id`` (the field is ``credit_record_id``) or ``evidence_note`` was taken as
if the field had not been there. Here each such field is a 422 ``extra_forbidden``
naming it, as an unknown field in a JSON body and an unknown query parameter
(``strict_query.py``) already are; ``http/errors.py`` gives the words, in the
request's language.

One router-level dependency does it for every route of the API; only a request
whose body is a form pays for the look, and FastAPI has parsed (and cached) that
form before the dependencies run, so it is not read twice.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from healthcode.http.strict_query import declared, unknown

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def refuse_unknown_form(request: Request) -> None:
    """``async``: no hop to the thread pool for a check of a few names."""
    if not request.headers.get("content-type", "").startswith(FORMS):
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = declared(route).form
    if not allowed:
        return  # a route that reads no form: its own body's checks answer
    form = await request.form()  # FastAPI's parse, cached on the request
    # a file's bytes or a resident's words are not echoed: no input
    errors = [unknown("body", n, None) for n in dict.fromkeys(form.keys()) if n not in allowed]
    if errors:
        raise RequestValidationError(errors)
