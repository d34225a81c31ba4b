"""A server process starting makes every cached colour old: it may replace a process
killed between a commit and its cache forget (services/codes/colour_cache.py)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from healthcode.domain.colour import Colour
from healthcode.domain.state import State
from healthcode.services.codes import colour_cache
from healthcode.services.codes.colour_cache import CachedColour
from healthcode.services.shared.versioned_cache import Ticket


def test_a_starting_server_serves_no_colour_cached_before_it(app: FastAPI) -> None:
    env, resident = app.state.env, uuid.uuid4()
    ticket = colour_cache.get(env, resident, "binzhou-code")
    assert isinstance(ticket, Ticket)
    green = State(policy="binzhou-code", colour=Colour.GREEN, evaluated_at=env.clock.now())
    colour_cache.put(env, resident, "binzhou-code", colour_cache.entry(green, "1"), ticket)
    assert isinstance(colour_cache.get(env, resident, "binzhou-code"), CachedColour)

    with TestClient(app):  # the lifespan: what a (re)started worker runs first
        assert isinstance(colour_cache.get(env, resident, "binzhou-code"), Ticket)
