"""Online verification (``/verify``, ``healthcode verify`` with the database) holds a
code against the colour its code has now, as a gate's scan does."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import Refusal
from healthcode.domain.tokens.attestation import compressed_point, present
from healthcode.services.codes.device_codes import attest
from healthcode.services.codes.health_codes import verify_code
from healthcode.services.codes.online import verify_online
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.scanning import display_token
from tests.services.conftest import report


def presented(uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account) -> str:
    """A phone's attestation made now, presented a minute later."""
    device = ec.generate_private_key(ec.SECP256R1())
    made = attest(
        uow, env, resident_id=account.resident_id, policy_id="binzhou-code",
        device_key=compressed_point(device.public_key()),
    )  # fmt: skip
    clock.advance(timedelta(minutes=1))
    return present(made.attestation, int(clock.now().timestamp()), device)


def test_a_green_code_made_before_a_fever_report_may_not_pass(
    uow: UnitOfWork, env: Env, clock: FixedClock, green: t.Account
) -> None:
    """Stop 44, an outside probe: an hour-old green attestation of a person whose code
    had turned yellow since verified "may pass"; a display token for its minute too."""
    token = display_token(uow, env, green.resident_id)
    device = presented(uow, env, clock, green)
    assert verify_online(uow, env, text=device).may_pass
    assert report(uow, env, green, temperature=38.6).colour is Colour.YELLOW
    uow.commit()  # the colour cache forgets the resident's colour after the commit
    for text in (token, device):
        refused = verify_online(uow, env, text=text)
        assert (refused.ok, refused.may_pass, refused.reason) == (
            False,
            False,
            Refusal.COLOUR_CHANGED,
        )
        assert "refresh" in refused.message
        assert verify_code(uow, env, text=text).may_pass  # offline, the code as shown


def test_a_code_as_strict_as_the_colour_now_is_left_as_it_reads(
    uow: UnitOfWork, env: Env, green: t.Account
) -> None:
    assert report(uow, env, green, temperature=38.6).colour is Colour.YELLOW
    uow.commit()
    yellow = verify_online(uow, env, text=display_token(uow, env, green.resident_id))
    assert (yellow.ok, yellow.may_pass, yellow.reason) == (True, False, None)
