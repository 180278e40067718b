"""Fixtures for venue tests: fake venue servers that are stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.unit.venues.fakevenue import FakeVenue, Reply

VenueScript = Callable[[int, str, dict[str, str]], Reply | None]


@pytest.fixture
def venue_factory() -> Iterator[Callable[[VenueScript], FakeVenue]]:
    """Start fake venues; all are stopped after the test."""
    venues: list[FakeVenue] = []

    def make(script: VenueScript) -> FakeVenue:
        venues.append(FakeVenue(script))
        return venues[-1]

    yield make
    for venue in venues:
        venue.close()
