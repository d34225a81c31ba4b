"""No log line carries a whole ID number or mobile number."""

from __future__ import annotations

import pytest
import structlog

from healthcode.logs import configure_logging, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("id 370102199003071234 ok", "id 3701**********1234 ok"),
        ("id=37010219900307123X", "id=3701**********123X"),
        ("call 13812341234 now", "call 138****1234 now"),
        ("order 2020022309000000123456789", "order 2020022309000000123456789"),
        ("otp 123456", "otp 123456"),
    ],
)
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_every_log_line_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    structlog.get_logger().info(
        "declaration.saved", payload={"id_number": "370102199003071234"}, phone="13812341234"
    )
    err = capsys.readouterr().err
    assert "370102199003071234" not in err
    assert "3701**********1234" in err
    assert "138****1234" in err
