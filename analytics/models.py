"""Zones and lines drawn on a stream, its analytics settings, and the counts they produce.

Shapes are stored relative to the frame (0..1), so they survive a change of resolution. Counts live in
per-minute buckets keyed by the zone's or line's id (never its geometry: editing a zone keeps its totals);
hours and days are sums of minutes.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from analytics.geometry import validate_line_points, validate_zone_points
from streams.models import Stream, validate_class_names


class Anchor(models.TextChoices):
    """The point of a box that must be inside a zone or cross a line (supervision's Position names)."""

    BOTTOM_CENTER = "BOTTOM_CENTER", "Bottom centre"
    CENTER = "CENTER", "Centre"
    TOP_CENTER = "TOP_CENTER", "Top centre"
    BOTTOM_LEFT = "BOTTOM_LEFT", "Bottom left"
    BOTTOM_RIGHT = "BOTTOM_RIGHT", "Bottom right"
    CENTER_LEFT = "CENTER_LEFT", "Centre left"
    CENTER_RIGHT = "CENTER_RIGHT", "Centre right"
    TOP_LEFT = "TOP_LEFT", "Top left"
    TOP_RIGHT = "TOP_RIGHT", "Top right"


class Shape(models.Model):
    """What zones and lines share: a name unique per stream, the classes that count, the triggering point."""

    name = models.CharField(max_length=100)
    classes = models.JSONField(
        default=list, blank=True, validators=[validate_class_names], help_text="Count only these classes (empty: all)."
    )
    anchor = models.CharField(
        max_length=16, choices=Anchor.choices, default=Anchor.BOTTOM_CENTER,
        help_text="The point of each box that must be inside the zone or cross the line.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.stream_id is None:
            return
        unknown, known = unknown_classes(stream=self.stream, classes=self.classes or [])
        if unknown:
            shown = ", ".join(known[:20]) + (", …" if len(known) > 20 else "")
            raise ValidationError({"classes": f"Unknown class(es) {', '.join(unknown)}; the model knows: {shown}."})


class Zone(Shape):
    """A polygon: occupancy per class, entries, exits and dwell of tracked objects."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="zones")
    points = models.JSONField(validators=[validate_zone_points], help_text="[[x, y], …] relative to the frame, 0..1.")

    class Meta(Shape.Meta):
        constraints = [models.UniqueConstraint(fields=["stream", "name"], name="zone_name_unique_per_stream")]


class Line(Shape):
    """A segment: tracked objects crossing it, in and out, per class."""

    class Side(models.TextChoices):
        # Walking from the first point to the second, in the picture (y grows downwards).
        LEFT = "left", "Left of first → second point"
        RIGHT = "right", "Right of first → second point"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="lines")
    points = models.JSONField(validators=[validate_line_points], help_text="[[x1, y1], [x2, y2]] relative, 0..1.")
    in_side = models.CharField(
        max_length=8, choices=Side.choices, default=Side.RIGHT,
        help_text="Crossing towards this side counts as 'in', away from it as 'out'.",
    )  # fmt: skip

    class Meta(Shape.Meta):
        constraints = [models.UniqueConstraint(fields=["stream", "name"], name="line_name_unique_per_stream")]


class AnalyticsSettings(models.Model):
    """Per stream; a stream without a row has the defaults (tracking on, traces off)."""

    stream = models.OneToOneField(Stream, on_delete=models.CASCADE, related_name="analytics_settings")
    tracking = models.BooleanField(default=True, help_text="Track objects (ids on the boxes; needed to count).")
    traces = models.BooleanField(default=False, help_text="Draw a short trace behind each tracked object.")
    counts_reset_at = models.DateTimeField(null=True, blank=True, help_text="When the counts were last reset.")

    class Meta:
        verbose_name_plural = "analytics settings"

    def __str__(self) -> str:
        return f"analytics of {self.stream}"


class CountBucket(models.Model):
    """One minute of one metric of one class at one zone or line; flushes add to it."""

    class Kind(models.TextChoices):
        ZONE = "zone", "Zone"
        LINE = "line", "Line"

    class Metric(models.TextChoices):
        IN = "in", "In (line)"
        OUT = "out", "Out (line)"
        ENTER = "enter", "Entries (zone)"
        EXIT = "exit", "Exits (zone)"
        DWELL_S = "dwell_s", "Seconds spent inside by those who left (zone)"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="count_buckets")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(help_text="The zone's or line's id.")
    class_name = models.CharField(max_length=100)
    metric = models.CharField(max_length=8, choices=Metric.choices)
    minute = models.DateTimeField(help_text="Start of the minute (UTC).")
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["minute", "kind", "object_id", "class_name", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "class_name", "metric", "minute"], name="count_bucket_key"
            )
        ]
        indexes = [models.Index(fields=["stream", "minute"], name="count_bucket_stream_minute")]

    def __str__(self) -> str:
        at = f"{self.minute:%Y-%m-%d %H:%M}"
        return f"{self.kind} {self.object_id} {self.class_name} {self.metric} @ {at}: {self.count}"


def unknown_classes(*, stream: Stream, classes: list[str]) -> tuple[list[str], list[str]]:
    """(names the stream's model does not know, the names it knows). Like a stream's model name: a catalog
    that has no class list for the model (Triton never reached) cannot judge, so nothing is unknown then."""
    from catalog.selectors import model_get

    model = model_get(name=stream.model or settings.TRITON_MODEL_NAME)
    known = list(model.class_names) if model is not None else []
    if not known:
        return [], []
    return [name for name in classes if name not in known], known
