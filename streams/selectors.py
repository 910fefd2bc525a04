"""Reads of streams."""

from django.db.models import QuerySet

from streams import control
from streams.models import Stream


def stream_list() -> QuerySet[Stream]:
    return Stream.objects.order_by("name")


def stream_get(*, stream_id: int) -> Stream | None:
    return Stream.objects.filter(pk=stream_id).first()


def stream_is_held(*, stream_id: int) -> bool:
    """True while a worker holds the stream's lease (its pipeline is, or is about to be, running)."""
    return control.lease_holder(stream_id) is not None
