"""What okrbot serve (and socket, run-job) does to Python's cycle collector at start."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from okrbot import cli


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector")
def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    _, older, oldest = gc.get_threshold()
    kept = [[n] for n in range(100)]
    cli.tune_collector()
    # What existed at start is out of the collector's sight from then on.
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (cli.YOUNG_COLLECTION_THRESHOLD, older, oldest)
