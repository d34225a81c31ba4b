"""A started server's heap is out of the collector's way (healthcode/heap.py): a full
collection walked ~280,000 start-up objects, 100–225 ms for whatever waits on it."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_a_started_server_pauses_no_request_to_walk_its_startup_heap(app: FastAPI) -> None:
    before = gc.get_freeze_count()
    with TestClient(app):  # the lifespan: what a (re)started worker runs first
        frozen = gc.get_freeze_count() - before
    assert frozen > 100_000  # the modules, the app, its engine: never walked again
    assert gc.get_freeze_count() == 0  # stopped: its objects can be collected again
