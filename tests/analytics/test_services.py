"""The analytics writes (analytics/services.py) on a real database and a real Valkey: validation that stores
nothing, the event log, the worker woken with a sync, counts added to minute buckets, and the reset."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from analytics import services
from analytics.models import AnalyticsSettings, CountBucket, Line, Zone
from streams import control
from streams.models import StreamEvent

pytestmark = pytest.mark.django_db(transaction=True)

SQUARE = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]]
ACROSS = [[0.1, 0.5], [0.9, 0.5]]
MINUTE = int(datetime(2026, 5, 4, 10, 30, tzinfo=UTC).timestamp())


def _config_events(stream) -> list[tuple[str, str]]:
    return list(StreamEvent.objects.filter(stream=stream, kind="config").values_list("message", "actor"))


def test_a_zone_is_stored_logged_and_the_worker_is_woken(stream, catalog_classes):
    """GIVEN a stream WHEN an operator adds a zone for cars THEN it is stored with its points as floats, the
    event log says who added it, and the worker holding the stream gets a sync command."""
    zone = services.zone_create(stream=stream, name=" Lane 1 ", points=SQUARE, classes=["car"], actor="ann")
    zone.refresh_from_db()
    assert (zone.name, zone.points, zone.classes, zone.anchor) == ("Lane 1", SQUARE, ["car"], "BOTTOM_CENTER")
    assert _config_events(stream) == [("zone 'Lane 1' created", "ann")]
    assert control.take_commands(stream.pk) == ["sync"]


@pytest.mark.parametrize(
    ("kind", "fields", "field", "says"),
    [
        ("zone", {"points": [[0.1, 0.1], [0.2, 0.2]]}, "points", "at least 3 points"),
        ("zone", {"points": [[0.2, 0.2], [0.8, 0.8], [0.8, 0.2], [0.2, 0.8]]}, "points", "crosses itself"),
        ("zone", {"points": [[0.1, 0.1], [1.1, 0.1], [0.5, 0.5]]}, "points", "outside the frame"),
        ("zone", {"classes": ["car", "dragon"]}, "classes", "Unknown class(es) dragon"),
        ("zone", {"name": ""}, "name", "This field cannot be blank"),
        ("zone", {"anchor": "MIDDLE"}, "anchor", "not a valid choice"),
        ("zone", {"colour": "red"}, "colour", "cannot be set"),
        ("line", {"points": [[0.5, 0.5], [0.5, 0.5]]}, "points", "zero length"),
        ("line", {"in_side": "up"}, "in_side", "not a valid choice"),
    ],
)
def test_bad_shapes_are_refused_with_a_message_and_change_nothing(stream, catalog_classes, kind, fields, field, says):
    """GIVEN a stream WHEN a zone or line with a bad field is created THEN ValidationError names the field with
    a clear message, nothing is stored or logged, and the worker is not woken."""
    create = services.zone_create if kind == "zone" else services.line_create
    valid = {"name": "a", "points": SQUARE if kind == "zone" else ACROSS}
    with pytest.raises(ValidationError) as error:
        create(stream=stream, **{**valid, **fields})
    assert says in " ".join(error.value.message_dict[field])
    assert (Zone.objects.count(), Line.objects.count(), _config_events(stream)) == (0, 0, [])
    assert control.take_commands(stream.pk) == []


def test_names_are_unique_per_stream_and_classes_pass_while_the_catalog_cannot_judge(stream):
    """GIVEN a catalog that knows no class names (Triton never reached) WHEN a line counts 'dragon' THEN it is
    accepted; a second line of the same name on the stream is refused with a message about the name."""
    services.line_create(stream=stream, name="gate", points=ACROSS, classes=["dragon"])
    with pytest.raises(ValidationError) as error:
        services.line_create(stream=stream, name="gate", points=ACROSS)
    assert "already has a line named 'gate'" in error.value.message_dict["name"][0]


def test_an_edit_keeps_the_id_and_its_counts_and_a_non_change_is_silent(stream):
    """GIVEN a zone with counts WHEN its outline changes THEN it keeps its id and counts, the change is logged
    and the worker woken; WHEN the same outline is sent again THEN nothing is logged and nobody is woken."""
    zone = services.zone_create(stream=stream, name="yard", points=SQUARE)
    services.counts_record(stream_id=stream.pk, deltas={("zone", zone.pk, "car", "enter", MINUTE): 4},
                           collected_since=datetime.now(UTC))  # fmt: skip
    control.clear_commands(stream.pk)
    services.zone_update(zone=zone, points=[[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]], actor="bob")
    assert Zone.objects.get().pk == zone.pk and CountBucket.objects.get().count == 4
    assert _config_events(stream)[0] == ("zone 'yard' changed: points", "bob")
    assert control.take_commands(stream.pk) == ["sync"]
    services.zone_update(zone=zone, points=[[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]])
    assert len(_config_events(stream)) == 2 and control.take_commands(stream.pk) == []


def test_counts_add_up_in_their_minute_bucket_and_a_deleted_zone_takes_its_counts_along(stream):
    """GIVEN a line and a zone WHEN three flushes add counts THEN each (object, class, metric, minute) is one
    bucket holding the sum; WHEN the zone is deleted THEN its buckets go and the line's stay."""
    line = services.line_create(stream=stream, name="gate", points=ACROSS)
    zone = services.zone_create(stream=stream, name="yard", points=SQUARE)
    since = datetime.now(UTC)
    for _ in range(3):
        services.counts_record(stream_id=stream.pk, collected_since=since, deltas={
            ("line", line.pk, "car", "in", MINUTE): 2, ("line", line.pk, "car", "in", MINUTE + 60): 1,
            ("zone", zone.pk, "person", "enter", MINUTE): 1,
        })  # fmt: skip
    buckets = {(b.kind, b.metric, b.minute.minute): b.count for b in CountBucket.objects.all()}
    assert buckets == {("line", "in", 30): 6, ("line", "in", 31): 3, ("zone", "enter", 30): 3}
    services.zone_delete(zone=zone, actor="ann")
    assert set(CountBucket.objects.values_list("kind", flat=True)) == {"line"}
    assert ("zone 'yard' deleted", "ann") in _config_events(stream)


def test_a_reset_zeroes_the_counts_is_logged_with_who_and_drops_counts_collected_before_it(stream):
    """GIVEN counts of a line WHEN an operator resets them THEN the buckets are gone, the event log says who
    reset them, the worker is woken, and a flush of counts collected before the reset stores nothing, while one
    collected after it does."""
    line = services.line_create(stream=stream, name="gate", points=ACROSS)
    delta = {("line", line.pk, "car", "in", MINUTE): 5}
    before = datetime.now(UTC) - timedelta(seconds=1)
    services.counts_record(stream_id=stream.pk, deltas=delta, collected_since=before)
    control.clear_commands(stream.pk)
    services.counts_reset(stream=stream, actor="carol")
    assert CountBucket.objects.count() == 0 and AnalyticsSettings.objects.get().counts_reset_at is not None
    assert StreamEvent.objects.filter(kind="command", message="analytics counts reset", actor="carol").exists()
    assert control.take_commands(stream.pk) == ["sync"]
    assert services.counts_record(stream_id=stream.pk, deltas=delta, collected_since=before) == 0
    assert services.counts_record(stream_id=stream.pk, deltas=delta, collected_since=datetime.now(UTC)) == 1


def test_settings_switch_tracking_and_traces_and_say_so(stream):
    """GIVEN a stream with the default analytics settings WHEN traces are switched on THEN they are stored, the
    change is logged and the worker woken; an unknown setting is refused."""
    row = services.settings_update(stream=stream, traces=True, actor="dan")
    assert (row.tracking, row.traces) == (True, True)
    assert _config_events(stream) == [("analytics traces=True", "dan")]
    assert control.take_commands(stream.pk) == ["sync"]
    with pytest.raises(ValidationError):
        services.settings_update(stream=stream, speed=3)
