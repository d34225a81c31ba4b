"""A JSON route that reads a form refuses a form field it does not declare.

FastAPI drops an unknown form field without a word: an appeal sent with
``credit_id`` (the field is ``credit_record_id``) or ``evidence_note`` was taken as
if the field had not been there. Here each such field is a 422 ``extra_forbidden``
naming it, as an unknown field in a JSON body and an unknown query parameter
(``strict_query.py``) already are; ``http/errors.py`` gives the words, in the
request's language.

``http/strict_input.py`` asks this check for every route of the API; only a request
whose body is a form pays for the look, and FastAPI has parsed (and cached) that
form before the dependencies run, so it is not read twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from healthcode.http.strict_query import Declared, unknown

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def form_errors(request: Request, route_reads: Declared) -> list[dict[str, Any]]:
    """The form's fields the route does not declare, in the order given."""
    if not request.headers.get("content-type", "").startswith(FORMS):
        return []
    if not route_reads.form:
        return []  # a route that reads no form: its own body's checks answer
    form = await request.form()  # FastAPI's parse, cached on the request
    # a file's bytes or a resident's words are not echoed: no input
    names = dict.fromkeys(form.keys())
    return [unknown("body", n, None) for n in names if n not in route_reads.form]
