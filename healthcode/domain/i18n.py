"""Message markers for the domain layer.

The domain speaks English message ids with ``{name}`` placeholders; the API and web
layers translate them into the request's language (zh-CN by default) through the
gettext catalogs under ``healthcode/locale``. ``N_`` only marks a string for
extraction, so the domain stays free of any translation machinery.
"""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    return message


class Words(str):
    """A message id given as a parameter of another message (a department's or a
    record kind's name): translated with it, never shown as its raw value."""

    __slots__ = ()
