"""Keep the Chinese catalog in step with the code: `python -m healthcode.messages`.

Extracts every English message id (``N_()`` in Python, ``{% trans %}``/``_()`` in
templates), adds the new ones to healthcode/locale/zh/LC_MESSAGES/messages.po with an
empty translation, and marks ids no longer used as obsolete. The test suite fails
while any id lacks a translation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).parent
PO = ROOT / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
KEYWORDS = {"N_": None, "_": None, "gettext": None}
STABLE = datetime(2020, 2, 23, tzinfo=UTC)  # fixed, so the file changes only with its messages
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted() -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        ROOT, method_map=METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        if isinstance(message, str) and message:
            found.setdefault(message, []).append((filename, line))
    return found


def update() -> tuple[int, int]:
    with PO.open("rb") as handle:
        old = read_po(handle, locale="zh_Hans_CN")
    new = Catalog(
        locale="zh_Hans_CN",
        project="healthcode",
        version="1",
        charset="utf-8",
        fuzzy=False,
        creation_date=STABLE,
        revision_date=STABLE,
        last_translator="healthcode team",
        language_team="zh",
        copyright_holder="healthcode",
        msgid_bugs_address="",
    )
    added = 0
    for message, locations in sorted(extracted().items()):
        previous = old.get(message)
        string = previous.string if previous is not None else ""
        added += previous is None
        new.add(message, string, locations=locations)
    with PO.open("wb") as handle:
        write_po(handle, new, width=100, sort_output=True, include_lineno=False)
    return added, len(new)


if __name__ == "__main__":
    added, total = update()
    print(f"{PO}: {total} messages, {added} new")
