from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from streams.sources import classify_source, parse_source, redact_source


def validate_source(value: str) -> None:
    parse_source(value)


def validate_class_names(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise ValidationError("Enter a list of class names (e.g. [\"person\", \"car\"]), or nothing for all.")


queue_name_validator = RegexValidator(
    r"^[A-Za-z0-9_.:-]*$", "A queue name holds only letters, digits and _ . : - (empty: any worker)."
)


class Stream(models.Model):
    """A video source the operator wants analysed. Desired state is the operator's; status is the system's.

    The state machine (docs/lifecycle.md) is enforced by streams.status and streams.lifecycle.
    """

    class DesiredState(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"

    class Status(models.TextChoices):
        STARTING = "starting", "Starting"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        RECONNECTING = "reconnecting", "Reconnecting"
        FAILED = "failed", "Failed"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"

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
    classes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_class_names],
        help_text="Show only these classes (empty: all).",
    )
    model = models.CharField(
        max_length=100, blank=True, help_text="Triton model name (empty: the default model)."
    )
    queue = models.CharField(
        max_length=100,
        blank=True,
        validators=[queue_name_validator],
        help_text="Run only on workers consuming this queue, e.g. a GPU host (empty: any worker).",
    )
    demo = models.BooleanField(
        default=False,
        help_text="Made by the first `make run` to show the product on a sample clip; "
        "“Remove demo streams” on the wall deletes every such stream.",
    )
    desired_state = models.CharField(max_length=16, choices=DesiredState.choices, default=DesiredState.RUNNING)
    # Bumped by every command (compare-and-set): commands on a stream are totally ordered, the last one wins, and
    # a decision taken on an older version (a status write by the reconciler) is dropped.
    desired_version = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STOPPED)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Consecutive failures without a frame in between; drives the retry backoff.
    failure_count = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="The worker node running it now.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # The operator role's permission (accounts.roles gives every "operate_*" permission to operators).
        permissions = [("operate_stream", "Can start, stop, pause, resume, restart streams and tune live settings")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from catalog.selectors import model_choices

        if not self.model or self.model == settings.TRITON_MODEL_NAME:
            return
        known = [name for name, _ in model_choices()]
        # An empty catalog (Triton never reached) cannot judge a name, so it lets it through.
        if known and self.model not in known:
            raise ValidationError({"model": f"Triton serves no model {self.model!r}; ready: {', '.join(known)}."})

    @property
    def source_display(self) -> str:
        return redact_source(self.source)

    @property
    def source_kind(self) -> str:
        return classify_source(self.source)

    @property
    def retry_in_s(self) -> float | None:
        """Seconds until the reconciler retries a failed stream; None when no retry is pending."""
        if self.status != self.Status.FAILED or self.retry_at is None:
            return None
        return round(max((self.retry_at - timezone.now()).total_seconds(), 0.0), 1)


class StreamEvent(models.Model):
    """The stream's history: state changes, errors, and who did what."""

    class Kind(models.TextChoices):
        STATE = "state", "State"
        COMMAND = "command", "Command"
        ERROR = "error", "Error"
        CONFIG = "config", "Settings"
        SECURITY = "security", "Security"  # not about one stream: a login lockout, say

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="events", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=500)
    actor = models.CharField(max_length=200, blank=True, help_text="User name, or the worker that reported it.")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.stream_id} {self.kind}: {self.message}"


class WorkerNode(models.Model):
    """A Celery worker node that runs streams; it writes its heartbeat here every few seconds."""

    name = models.CharField(max_length=200, unique=True)  # Celery node name, e.g. celery@gpu-1
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    capacity = models.PositiveIntegerField(help_text="Streams it can run at once (pool concurrency).")
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    # Heartbeats come every WORKER_HEARTBEAT_S (5 s); three missed ones mean the node is gone.
    ALIVE_WINDOW = timedelta(seconds=15)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_alive(self) -> bool:
        return timezone.now() - self.heartbeat_at <= self.ALIVE_WINDOW
