import pytest


@pytest.fixture(autouse=True)
def _events_media(events_media):  # noqa: ANN001, ANN202 - every events test writes snapshots to its own folder
    return events_media
