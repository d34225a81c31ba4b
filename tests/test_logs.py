"""No log line carries a whole ID number or mobile number, however it is written;
no database error carries a resident's data."""

from __future__ import annotations

import pytest
import structlog
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from healthcode.logs import configure_logging, mask_text

# (as written in a log line, as it must come out)
SHAPES = [
    ("id 370102199003071234 ok", "id 3701**********1234 ok"),
    ("id=37010219900307123X", "id=3701**********123X"),
    ("id 37010219900307123x.", "id 3701**********123x."),
    ("id 370102 19900307 1234", "id 3701** ******** 1234"),
    ("id 370102-19900307-123X", "id 3701**-********-123X"),
    ("id 3701 0219 9003 0712 34", "id 3701 **** **** **12 34"),
    ("call 13812341234 now", "call 138****1234 now"),
    ("call 138 1234 1234", "call 138 **** 1234"),
    ("call 138-1234-1234", "call 138-****-1234"),
    ("call +8613812341234", "call +86138****1234"),
    ("call +86 138 1234 1234", "call +86 138 **** 1234"),
    ("call +86-138-1234-1234", "call +86-138-****-1234"),
    ("call 0086 13812341234", "call 0086 138****1234"),
    ("call 8613812341234", "call 86138****1234"),
    ("tel:(+86)13812341234", "tel:(+86)138****1234"),
    ('{"phone": "+8613812341234"}', '{"phone": "+86138****1234"}'),
    ("13812341234,13912341234", "138****1234,139****1234"),
    ("13812341234 13912341234", "138****1234 139****1234"),
    # not personal numbers: left alone
    ("order 2020022309000000123456789", "order 2020022309000000123456789"),
    ("otp 123456", "otp 123456"),
    ("at 2020-02-23 09:00:00+08:00", "at 2020-02-23 09:00:00+08:00"),
    ("hotline 12345", "hotline 12345"),
    ("landline 0543-3255490", "landline 0543-3255490"),
    ("12812341234 is not a mobile", "12812341234 is not a mobile"),
]


@pytest.mark.parametrize(("text", "masked"), SHAPES)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_every_log_line_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    structlog.get_logger().info(
        "declaration.saved",
        payload={"id_number": "370102 19900307 1234"},
        phone="+86 138 1234 1234",
    )
    err = capsys.readouterr().err
    assert "19900307" not in err
    assert "3701** ******** 1234" in err
    assert "+86 138 **** 1234" in err


def test_database_errors_do_not_log_their_parameters(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed statement's parameters (a temperature, symptoms, an address) stay out
    of the exception and so out of the traceback a crash handler logs."""
    configure_logging()
    secret = {"t": "38.65-celsius", "s": "dry-cough-and-fatigue", "a": "No. 7 Huanghe Road"}
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE a = :t AND b = :s AND c = :a"), secret)
    try:
        raise caught.value
    except DBAPIError:
        structlog.get_logger().exception("request.crashed", path="/api/v1/reports")
    err = capsys.readouterr().err
    assert "request.crashed" in err
    assert "no_such_table" in err
    for value in secret.values():
        assert value not in str(caught.value)
        assert value not in err
