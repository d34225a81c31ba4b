"""Temperatures are taken as the thermometer shows them (issue 7 §4): one decimal,
compared exactly as entered, never rounded, and never a boolean."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from healthcode.domain.checkins import check_temperature as gate_reading
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.http.scan_views import Temperature
from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput
from healthcode.services.residents.validation import check_temperature
from healthcode.services.shared.bounds import Celsius
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration_data
from tests.services.conftest import declare, report

# (case, temperature, the binzhou colour it gives) — 37.3 ℃ and above is a fever
ACCEPTED = [
    ("normal", 36.5, Colour.GREEN),
    ("just below the threshold", 37.2, Colour.GREEN),
    ("at the threshold", 37.3, Colour.YELLOW),
    ("whole degrees", 37, Colour.GREEN),
    ("a trailing zero", "37.20", Colour.GREEN),
]
REFUSED = [37.26, 37.25, 36.55, 37.29999]


class TestDeclaration:
    @pytest.mark.parametrize(
        ("value", "colour"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
    )
    def test_the_value_is_compared_as_entered(
        self, uow: UnitOfWork, env: Env, account: t.Account, value: Any, colour: Colour
    ) -> None:
        assert declare(uow, env, account, temperature=value).colour is colour
        [row] = uow.session.scalars(select(t.Declaration)).all()
        assert row.temperature == float(value)

    @pytest.mark.parametrize("value", REFUSED)
    def test_more_than_one_decimal_is_refused_not_rounded(
        self, uow: UnitOfWork, env: Env, account: t.Account, value: float
    ) -> None:
        with pytest.raises(InvalidInput) as refused:
            declare(uow, env, account, temperature=value)
        [error] = refused.value.errors
        assert (error.field, error.code) == ("temperature", "decimals")
        assert uow.session.scalars(select(t.Declaration)).first() is None


class TestDailyReport:
    def test_37_26_is_refused_and_37_2_stays_green(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        with pytest.raises(InvalidInput) as refused:
            report(uow, env, account, temperature=37.26)
        assert refused.value.errors[0].code == "decimals"
        assert report(uow, env, account, temperature=37.2).colour is Colour.GREEN
        [row] = uow.session.scalars(select(t.DailyReport)).all()
        assert row.temperature == 37.2


@pytest.mark.parametrize("model", [DeclarationInput, DailyReportInput])
@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_a_temperature(model: type[Any], value: bool) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"temperature": value})
    found = {(e["loc"], e["type"]) for e in refused.value.errors()}
    assert (("temperature",), "float_type") in found


@pytest.mark.parametrize(("value", "taken"), [(42.8, True), (43.0, True), (43.1, False)])
def test_a_report_and_a_gate_take_the_same_temperatures(value: float, taken: bool) -> None:
    """A daily report refused 42.8 ℃ that a gate took (34.0–42.5 against 34.0–43.0)."""
    answers = []
    for check in (check_temperature, gate_reading):
        try:
            check(value)
        except InvalidInput:
            answers.append(False)
        else:
            answers.append(True)
    assert answers == [taken, taken]


# What a phone keyboard types, read as the number it means (stop 43, an outside probe:
# the form took "３６．５" and "36,5", the API answered 422 float_parsing).
TYPED = [
    ("full-width", "３６．５", 36.5),
    ("full-width digits, a plain point", "３６.５", 36.5),
    ("a decimal comma", "36,5", 36.5),
    ("a full-width comma", "36，5", 36.5),
    ("spaces around it", " 37.3 ", 37.3),
    ("plain text", "36.5", 36.5),
]


@pytest.mark.parametrize(("text", "value"), [c[1:] for c in TYPED], ids=[c[0] for c in TYPED])
def test_typed_text_is_read_as_the_form_reads_it(text: str, value: float) -> None:
    for model, data in (
        (DailyReportInput, {"temperature": text}),
        (DeclarationInput, declaration_data(temperature=text)),
    ):
        assert model.model_validate(data).temperature == value


@pytest.mark.parametrize(("text", "value"), [c[1:] for c in TYPED], ids=[c[0] for c in TYPED])
def test_a_check_in_and_a_gate_read_typed_text_as_a_report_does(text: str, value: float) -> None:
    """Stop 45: the employer check-in and the gate's reading still answered 422 to
    "36,5", the text their own pages took."""
    for reading in (TypeAdapter(Celsius), TypeAdapter(Temperature)):
        assert reading.validate_python(text) == value


@pytest.mark.parametrize("text", ["36.5℃", "hot", "36..5", "3 6.5"])
def test_other_text_is_still_not_a_number(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        DailyReportInput.model_validate({"temperature": text})
    assert {e["type"] for e in refused.value.errors()} == {"float_parsing"}
