"""Every message a user can see exists in Chinese, with the same placeholders."""

from __future__ import annotations

import string

from healthcode import i18n
from healthcode.messages import extracted


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_id_has_a_chinese_translation() -> None:
    missing = sorted(set(extracted()) - set(i18n.catalog("zh")))
    assert not missing, f"run `make messages` and translate: {missing}"


def test_translations_keep_the_placeholders() -> None:
    wrong = {
        message: translation
        for message, translation in i18n.catalog("zh").items()
        if placeholders(message) != placeholders(translation)
    }
    assert not wrong
