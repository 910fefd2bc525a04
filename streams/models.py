from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from streams.sources import classify_source, parse_source, redact_source


def validate_source(value: str) -> None:
    parse_source(value)


class Stream(models.Model):
    """A video source the operator wants analysed. Desired state is the operator's; status is the system's."""

    class DesiredState(models.TextChoices):
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    class Status(models.TextChoices):
        STARTING = "starting", "Starting"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100, unique=True)
    source = models.CharField(
        max_length=2000,
        validators=[validate_source],
        help_text="Absolute file path under a media directory, rtsp(s)://, http(s):// URL, or webcam index.",
    )
    max_fps = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(240)],
        help_text="Process at most this many frames per second (empty: as fast as the source).",
    )
    confidence = models.FloatField(
        default=0.25,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="Minimum detection confidence.",
    )
    desired_state = models.CharField(max_length=16, choices=DesiredState.choices, default=DesiredState.RUNNING)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STOPPED)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_display(self) -> str:
        return redact_source(self.source)

    @property
    def source_kind(self) -> str:
        return classify_source(self.source)
