"""One error shape for every refusal, in the request's language.

    {"error": {"code": "invalid_input", "message": "...",
               "fields": [{"field": "id_number", "code": "check_char", "message": "...",
                           "params": {"expected": "X", "actual": "1"}}]}}

Domain errors carry their status and stable code; malformed payloads (pydantic)
are mapped to the same field-by-field shape with messages a resident understands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthcode.domain.errors import DomainError, FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.i18n import translate
from healthcode.store.outage import DATABASE_ERRORS, outage_reason

log = structlog.get_logger()

# Renders a refusal as a page for a browser outside /api:
# (request, status, error code, message in the request's language, headers) -> response.
PageRenderer = Callable[[Request, int, str, str, Mapping[str, str]], Response]

_NOT_A_TIME = N_("Not a valid time; write it as 2020-02-23T18:00:00+08:00")
_PYDANTIC: Mapping[str, str] = {
    "missing": N_("This field is required"),
    "extra_forbidden": N_("Unknown field"),
    "query_repeated": N_("Given more than once: give it once"),
    "name_empty": N_("A parameter's name is empty: remove the parameter or write its name"),
    "json_invalid": N_("The request body is not valid JSON"),
    "date_from_datetime_parsing": N_("Not a valid date; use YYYY-MM-DD"),
    "date_from_datetime_inexact": N_("Not a valid date; use YYYY-MM-DD"),
    "date_parsing": N_("Not a valid date; use YYYY-MM-DD"),
    "date_type": N_("Not a valid date; use YYYY-MM-DD"),
    "float_parsing": N_("Not a number"),
    "float_type": N_("Not a number"),
    "finite_number": N_("Not a number"),
    "int_parsing": N_("Not a whole number"),
    "int_type": N_("Not a whole number"),
    "bool_parsing": N_("Answer yes or no"),
    "bool_type": N_("Answer yes or no"),
    "string_type": N_("Not text"),
    "string_too_long": N_("At most {max_length} characters"),
    "string_too_short": N_("At least {min_length} characters"),
    "too_long": N_("At most {max_length} items"),
    "list_type": N_("Not a list"),
    "dict_type": N_("Not an object"),
    "model_attributes_type": N_("Not an object"),
    # the values allowed stay in the error's params for an API client; a person reads
    # words, not a list of codes joined by an English "or"
    "enum": N_("Choose one of the options offered"),
    "literal_error": N_("Choose one of the options offered"),
    "uuid_parsing": N_("Not a valid identifier"),
    "greater_than_equal": N_("Must be at least {ge}"),
    "less_than_equal": N_("Must be at most {le}"),
    "control_character": N_(
        "Remove the invisible control character (U+{codepoint}) at position {position}"
    ),
    "date_out_of_range": N_("Enter a date between {earliest} and {latest}"),
    # times are instants with their offset (``Moment``): one without it, or unreadable
    "timezone_aware": N_("Give the time with its time zone, e.g. 2020-02-23T18:00:00+08:00"),
    "datetime_parsing": _NOT_A_TIME,
    "datetime_from_date_parsing": _NOT_A_TIME,
    "datetime_type": _NOT_A_TIME,
}
_FALLBACK = N_("Not a valid value")
UNAVAILABLE = N_("The service is briefly unavailable. Please try again in a moment")
CRASHED = N_("Something went wrong on our side; nothing was saved. Please try again")
RETRY_AFTER_SECONDS = 5
_HTTP: Mapping[int, tuple[str, str]] = {
    400: ("bad_request", N_("The request could not be understood")),
    401: ("not_authenticated", N_("Please sign in")),
    403: ("forbidden", N_("You do not have permission to do this")),
    404: ("not_found", N_("Not found")),
    405: ("method_not_allowed", N_("Method not allowed")),
    406: ("not_acceptable", N_("This answer is not available in the format asked for")),
    413: ("body_too_large", N_("The request is too large")),
    415: ("unsupported_media_type", N_("This kind of content is not accepted here")),
}


def generic_message(status: int) -> str | None:
    """The words an HTTP refusal of this status carries when nothing more is known
    ("Not found"): a page puts plainer ones in their place."""
    found = _HTTP.get(status)
    return found[1] if found else None


def error_body(code: str, message: str, fields: Sequence[FieldError] = ()) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": [
                {
                    "field": f.field,
                    "code": f.code,
                    "message": translate(f.message, f.params),
                    "params": _plain(f.params),
                }
                for f in fields
            ],
        }
    }


def _plain(params: Mapping[str, object]) -> dict[str, object]:
    """A field's parameters for a program: what the message was filled with (the
    values allowed, a length's limit), as JSON."""
    return {k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            for k, v in params.items()}  # fmt: skip


def domain_error_response(error: DomainError) -> JSONResponse:
    fields = error.errors if isinstance(error, InvalidInput) else ()
    message = translate(error.message, error.params)
    return JSONResponse(
        error_body(error.code, message, fields), status_code=error.status, headers=error.headers
    )


def field_path(loc: Sequence[int | str]) -> str:
    """``trips[0].end``; an error located at no field names its place (``query``)."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or (str(loc[0]) if loc else "body")


def validation_fields(errors: Sequence[Any]) -> list[FieldError]:
    fields = []
    for e in errors:
        ctx = {k: v for k, v in (e.get("ctx") or {}).items() if isinstance(v, str | int | float)}
        message = _PYDANTIC.get(e["type"], _FALLBACK)
        try:
            message.format(**ctx)
        except (KeyError, IndexError):
            message, ctx = _FALLBACK, {}
        # invalid JSON is located at a character offset, not at a field ("[1]")
        where = "body" if e["type"] == "json_invalid" else field_path(e["loc"])
        fields.append(FieldError(where, e["type"], message, ctx))
    return fields


def _not_utf8(error: UnicodeDecodeError) -> RequestValidationError:
    """A JSON body that is not UTF-8 (only JSON is decoded strictly: forms fall back
    to Latin-1), refused as malformed JSON is: ``json_invalid`` on ``body``."""
    reason = f"Not UTF-8 at byte {error.start}: {error.reason}"
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", error.start), "ctx": {"error": reason}}]
    )


def wants_page(request: Request) -> bool:
    """A browser asking for a page, not a client of the JSON API."""
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith("/api/") and "text/html" in accept


def in_words(error: DomainError) -> str:
    """The refusal as one sentence: the fields' reasons if it names fields."""
    if isinstance(error, InvalidInput):
        return "; ".join(translate(f.message, f.params) for f in error.errors)
    return translate(error.message, error.params)


def page_or_json(
    request: Request, page: PageRenderer | None, json: JSONResponse, code: str, message: str
) -> Response:
    """``json`` for the API and its clients; with ``page``, a page for a browser."""
    if page is None or not wants_page(request):
        return json
    kept = {"retry-after", "www-authenticate"}
    headers = {k: v for k, v in json.headers.items() if k.lower() in kept}
    return page(request, json.status_code, code, message, headers)


def database_failure(request: Request, error: Exception, page: PageRenderer | None) -> Response:
    """An outage is a 503 answered here, not a crash: the connection stays usable
    (a crash re-raised to the server makes it drop the connection)."""
    reason = outage_reason(error)
    if reason is None:
        log.error("request.crashed", path=request.url.path, exc_info=error)
        return page_or_json(request, page, *_crash_json())
    log.warning("database.unavailable", reason=reason, path=request.url.path)
    message = translate(UNAVAILABLE)
    json = JSONResponse(
        error_body("service_unavailable", message),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return page_or_json(request, page, json, "service_unavailable", message)


def install(app: FastAPI, *, page: PageRenderer | None = None) -> None:
    """JSON for /api and API clients; with ``page``, a page for a browser elsewhere."""

    def answer(request: Request, json: JSONResponse, code: str, message: str) -> Response:
        return page_or_json(request, page, json, code, message)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> Response:
        log.info("request.refused", code=error.code, path=request.url.path, status=error.status)
        return answer(request, domain_error_response(error), error.code, in_words(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        invalid = InvalidInput(*validation_fields(error.errors()))
        log.info("request.refused", code="invalid_input", path=request.url.path)
        return answer(request, domain_error_response(invalid), invalid.code, in_words(invalid))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        # FastAPI's body parsing turns any error but a JSONDecodeError into a 400
        # "bad_request": the edge's refusal of a chunked body past the limit (413) was
        # one, and so was a JSON body that is not UTF-8
        if isinstance(error.__cause__, DomainError):
            return await _domain(request, error.__cause__)
        if isinstance(error.__cause__, UnicodeDecodeError):
            return await _invalid(request, _not_utf8(error.__cause__))
        code, message = _HTTP.get(error.status_code, ("http_error", N_("The request failed")))
        json = JSONResponse(
            error_body(code, translate(message)),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )
        return answer(request, json, code, translate(message))

    async def _database(request: Request, error: Exception) -> Response:
        return database_failure(request, error, page)

    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database)

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> Response:
        log.exception("request.crashed", path=request.url.path)
        return answer(request, *_crash_json())


def _crash_json() -> tuple[JSONResponse, str, str]:
    message = translate(CRASHED)
    return (
        JSONResponse(error_body("internal_error", message), status_code=500),
        "internal_error",
        message,
    )
