"""Domain errors: expected business outcomes with a stable machine code.

Each error has an HTTP status the API maps it to, a stable ``code`` clients can
switch on, and English message ids that the edge translates. Subclasses live beside
the module that raises them; only the shared shapes are here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from healthcode.domain.i18n import N_

_T = TypeVar("_T")


@dataclass(frozen=True)
class FieldError:
    """One rejected input: which field, a stable reason code, and why in words."""

    field: str
    code: str
    message: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def render(self) -> str:
        return self.message.format(**self.params)


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"
    retry_after: int | None = None  # seconds until a retry may succeed, if known
    # A refusal whose bookkeeping (a counted wrong attempt) must outlive the failed
    # request: the unit of work commits before passing such an error on.
    keeps_changes: ClassVar[bool] = False

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers the edge adds (Retry-After; subclasses add WWW-Authenticate)."""
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(self.retry_after)}


class InvalidInput(DomainError):
    """One or more fields were rejected; every rejection names its field and reason."""

    status = 422
    code = "invalid_input"

    def __init__(self, *errors: FieldError) -> None:
        if not errors:
            raise ValueError("InvalidInput needs at least one FieldError")
        self.errors: tuple[FieldError, ...] = errors
        super().__init__(N_("Fields to correct: {count}"), count=len(errors))
        self.args = ("; ".join(f"{e.field}: {e.render()}" for e in errors),)

    @classmethod
    def single(cls, field: str, code: str, message: str, **params: object) -> InvalidInput:
        return cls(FieldError(field, code, message, params))


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


def collect(errors: list[FieldError], parse: Callable[[], _T]) -> _T | None:
    """Run a parser, keeping its field errors so every problem is reported at once."""
    try:
        return parse()
    except InvalidInput as error:
        errors.extend(error.errors)
        return None
