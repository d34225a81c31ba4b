"""A colour written by another process reaches a server's cache within a second.

The server's cache (without Redis) is in its memory; the command line's forget after
an import never reached it, and a green entry has no recheck to end it: a resident
listed as a close contact by ``healthcode data import`` was shown green by the
running server for as long as it ran (found by probing a ``make run`` server). The
command line now moves a generation in the database on, and the server follows it."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.codes import colour_cache
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.shared.env import Env
from healthcode.services.shared.versioned_cache import LocalCache, Ticket
from healthcode.store.uow import UnitOfWorkFactory

POLICY = "binzhou-code"


@pytest.fixture
def units(sessions: sessionmaker[Session]) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(sessions)


def cached_green(env: Env, resident: uuid.UUID) -> None:
    ticket = colour_cache.get(env, resident, POLICY)
    assert isinstance(ticket, Ticket)
    green = State(policy=POLICY, colour=Colour.GREEN, evaluated_at=env.clock.now())
    colour_cache.put(env, resident, POLICY, colour_cache.entry(green, "1"), ticket)


def test_a_command_line_write_makes_the_servers_copy_old(
    units: UnitOfWorkFactory, env: Env
) -> None:
    server, resident = replace(env, cache=LocalCache()), uuid.uuid4()
    command_line = replace(env, cache=LocalCache(), announce=colour_cache.tell_servers(units))
    seen = colour_cache.follow(units, server, None)
    cached_green(server, resident)

    assert colour_cache.follow(units, server, seen) == seen  # nothing written elsewhere
    assert isinstance(colour_cache.get(server, resident, POLICY), CachedColour)

    colour_cache.forget(command_line, [uuid.uuid4()])  # what an import's recolouring does
    moved = colour_cache.follow(units, server, seen)
    assert moved == seen + 1
    assert isinstance(colour_cache.get(server, resident, POLICY), Ticket)  # read afresh

    colour_cache.forget_all(server)  # a server's own forget moves nothing on
    assert colour_cache.follow(units, server, moved) == moved
