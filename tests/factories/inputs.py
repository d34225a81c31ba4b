"""Valid resident input, overridable field by field."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput
from tests.factories.identity import make_id_number

_seq = itertools.count(1)


def id_number(birth: date = date(1990, 3, 7)) -> str:
    return make_id_number(birth=birth, region="371602", seq=next(_seq) % 999 + 1)


def declaration_data(policy: str = "binzhou-code", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "policy": policy,
        "name": "张三",
        "id_number": id_number(),
        "region": "371602",
        "address": "黄河五路 1 号",
        "temperature": 36.5,
        "pledge": True,
    }
    if policy == "shandong-pass":
        data |= {
            "residence_since": "2019-12-01",
            "destination": "370102",
            "destination_detail": "济南市历下区某公司",
            "purpose": "work",
        }
    return data | overrides


def declaration(policy: str = "binzhou-code", **overrides: Any) -> DeclarationInput:
    return DeclarationInput.model_validate(declaration_data(policy, **overrides))


def daily_report(**overrides: Any) -> DailyReportInput:
    return DailyReportInput.model_validate({"temperature": 36.4} | overrides)
