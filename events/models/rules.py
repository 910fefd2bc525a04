"""Rules (what to watch for, per stream), the events they raise, and the outages stream rules follow."""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from events import kinds
from streams.models import Stream


def validate_class_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise ValidationError('Enter a list of class names (e.g. ["person", "car"]), or nothing for every class.')


class Rule(models.Model):
    """What one stream should raise events for.

    Object rules work on tracked objects: one object (one tracker id) in view is one event, however many frames
    show it; with a zone, only while the object is inside it. Analytics rules work on the facts of the stream's
    zones and lines (analytics.runtime.facts): a line crossed (per direction), a zone's occupancy above N
    (overcrowding), an object staying in a zone longer than T seconds (loitering). Stream rules follow the
    stream's observed status. A rule's zone or line belongs to its stream; deleting it deletes the rule.
    """

    Kind = kinds.RuleKind

    class Direction(models.TextChoices):
        EITHER = "either", "Either way"
        IN = "in", "In (towards the line's in side)"
        OUT = "out", "Out"

    OBJECT_KINDS, STREAM_KINDS, ZONE_KINDS, LINE_KINDS = (
        kinds.OBJECT_KINDS, kinds.STREAM_KINDS, kinds.ZONE_KINDS, kinds.LINE_KINDS
    )

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="event_rules")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.OBJECT)
    classes = models.JSONField(
        default=list, blank=True, validators=[validate_class_list],
        help_text="Object rules: these classes only (empty: every class the model knows).",
    )
    min_score = models.FloatField(
        default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Object rules: an object counts only in frames where its confidence is at least this.",
    )
    min_duration_s = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0)],
        help_text="Object rules: the object must stay this many seconds before the event starts.",
    )
    cooldown_s = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0)],
        help_text="After an event of this rule ends, the same object (or, for stream rules, the stream) raises "
        "no new one for this many seconds.",
    )
    zone = models.ForeignKey(
        "analytics.Zone", on_delete=models.CASCADE, null=True, blank=True, related_name="event_rules",
        help_text="Object rules: only inside this zone (optional). Overcrowding and loitering: the zone watched.",
    )
    line = models.ForeignKey(
        "analytics.Line", on_delete=models.CASCADE, null=True, blank=True, related_name="event_rules",
        help_text="Line crossed: the line watched.",
    )
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.EITHER,
        help_text="Line crossed: which way counts.",
    )
    max_occupancy = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="Overcrowding: an event while more than this many objects (of the rule's classes) are inside.",
    )
    dwell_s = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0)],
        help_text="Loitering: an event once an object has been inside the zone longer than this many seconds.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stream__name", "name"]
        constraints = [models.UniqueConstraint(fields=["stream", "name"], name="events_rule_unique_name")]

    def __str__(self) -> str:
        return f"{self.stream.name}: {self.name}"

    def clean(self) -> None:
        """What a rule's kind needs: its zone or line, of the rule's own stream, and its threshold."""
        errors = rule_shape_errors(self)
        if errors:
            raise ValidationError(errors)


def rule_shape_errors(rule: Rule) -> dict[str, str]:
    errors = {}
    may_have = {"zone": Rule.ZONE_KINDS | {Rule.Kind.OBJECT}, "line": Rule.LINE_KINDS}
    for field, needed_by in (("zone", Rule.ZONE_KINDS), ("line", Rule.LINE_KINDS)):
        shape = getattr(rule, field)
        if shape is not None and rule.stream_id is not None and shape.stream_id != rule.stream_id:
            errors[field] = f"The {field} “{shape.name}” belongs to another stream; choose one of this rule's stream."
        elif shape is None and rule.kind in needed_by:
            errors[field] = f"A “{rule.get_kind_display()}” rule needs a {field} of its stream."
        elif shape is not None and rule.kind not in may_have[field]:
            errors[field] = f"A “{rule.get_kind_display()}” rule has no {field}: leave it empty."
    if rule.kind == Rule.Kind.OVERCROWDED and rule.max_occupancy is None:
        errors["max_occupancy"] = "Overcrowding needs the number of objects (0 or more) above which it starts."
    if rule.kind == Rule.Kind.LOITERING and rule.dwell_s is None:
        errors["dwell_s"] = "Loitering needs the time (seconds, 0 or more) an object may stay in the zone."
    return errors


class Event(models.Model):
    """Something a rule saw: started, updated (best score, current zones), ended. Its id never changes."""

    Kind = Rule.Kind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="rule_events")
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    rule_name = models.CharField(max_length=100, help_text="The rule's name when the event started.")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    class_name = models.CharField(max_length=100, blank=True)
    tracker_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(db_index=True, help_text="When the object was first seen (capture time).")
    updated_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    end_reason = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="Stream rules: the stream's status reason.")
    best_score = models.FloatField(null=True, blank=True)
    box = models.JSONField(null=True, blank=True, help_text="[x1, y1, x2, y2] of the object in the snapshot.")
    zones = models.JSONField(default=list, blank=True, help_text="Names of the zones the object is in now.")
    in_zones = models.ManyToManyField(
        "analytics.Zone", blank=True, related_name="events", help_text="Every zone the event was in (the filter)."
    )
    origin = models.CharField(max_length=200, blank=True, help_text="The lease holder whose pipeline raised it.")
    snapshot = models.CharField(max_length=300, blank=True, help_text="Under EVENTS_MEDIA_DIR.")
    thumbnail = models.CharField(max_length=300, blank=True)
    snapshot_bytes = models.PositiveBigIntegerField(default=0)
    snapshot_pruned_at = models.DateTimeField(null=True, blank=True)
    snapshot_pruned_reason = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["stream", "-started_at"], name="events_event_stream_started")]

    def __str__(self) -> str:
        return f"{self.rule_name} {self.class_name} @ {self.started_at:%Y-%m-%d %H:%M:%S}".strip()

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def has_snapshot(self) -> bool:
        return bool(self.snapshot) and self.snapshot_pruned_at is None


class StreamOutage(models.Model):
    """A stretch of time a stream was down (reconnecting or failed): what stream rules start and end on."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="outages")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.stream_id} down since {self.started_at:%Y-%m-%d %H:%M:%S}"
