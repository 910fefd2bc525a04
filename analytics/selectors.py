"""Reads: a stream's zones, lines and analytics settings, its count totals, and counts over time."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMinute

from analytics.models import AnalyticsSettings, CountBucket, Line, Zone

BUCKETS = {"minute": TruncMinute, "hour": TruncHour, "day": TruncDay}
TotalKey = tuple[str, int, str, str]  # (kind, object id, class name, metric)


@dataclass(frozen=True)
class CountRow:
    """One bucket of the series the API returns (and the CSV lists)."""

    start: datetime
    kind: str
    object_id: int
    name: str
    class_name: str
    metric: str
    count: int


def zones_of(*, stream_id: int) -> QuerySet[Zone]:
    return Zone.objects.filter(stream_id=stream_id).order_by("name")


def lines_of(*, stream_id: int) -> QuerySet[Line]:
    return Line.objects.filter(stream_id=stream_id).order_by("name")


def settings_of(*, stream_id: int) -> AnalyticsSettings:
    """The stream's analytics settings; the defaults (not stored) for a stream that never changed them."""
    found = AnalyticsSettings.objects.filter(stream_id=stream_id).first()
    return found if found is not None else AnalyticsSettings(stream_id=stream_id)


def count_totals(*, stream_id: int) -> dict[TotalKey, int]:
    """Every count since the last reset, summed over all minutes."""
    rows = (
        CountBucket.objects.filter(stream_id=stream_id)
        .values_list("kind", "object_id", "class_name", "metric")
        .annotate(total=Sum("count"))
    )
    return {(kind, object_id, name, metric): total for kind, object_id, name, metric, total in rows}


def count_series(*, stream_id: int, start: datetime, end: datetime, bucket: str) -> list[CountRow]:
    """Counts per `bucket` ("minute", "hour" or "day", UTC) in [start, end), oldest first."""
    trunc = BUCKETS[bucket]
    rows = (
        CountBucket.objects.filter(stream_id=stream_id, minute__gte=start, minute__lt=end)
        .annotate(start=trunc("minute"))
        .values_list("start", "kind", "object_id", "class_name", "metric")
        .annotate(total=Sum("count"))
        .order_by("start", "kind", "object_id", "class_name", "metric")
    )
    names = object_names(stream_id=stream_id)
    return [
        CountRow(start=at, kind=kind, object_id=oid, name=names.get((kind, oid), ""), class_name=name, metric=metric,
                 count=total)
        for at, kind, oid, name, metric, total in rows
    ]  # fmt: skip


def object_names(*, stream_id: int) -> dict[tuple[str, int], str]:
    names: dict[tuple[str, int], str] = {}
    for pk, name in Zone.objects.filter(stream_id=stream_id).values_list("pk", "name"):
        names[(CountBucket.Kind.ZONE, pk)] = name
    for pk, name in Line.objects.filter(stream_id=stream_id).values_list("pk", "name"):
        names[(CountBucket.Kind.LINE, pk)] = name
    return names


def totals_by_object(*, stream_id: int) -> dict[tuple[str, int], dict[str, dict[str, int]]]:
    """(kind, id) -> metric -> class name -> total: what a counters panel shows before live updates come."""
    found: dict[tuple[str, int], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for (kind, object_id, class_name, metric), total in count_totals(stream_id=stream_id).items():
        found[(kind, object_id)][metric][class_name] = total
    return found
