"""One record per model Triton serves (or served): what a stream needs to know to pick and use it."""

from django.db import models

from yolo_triton import contract

UNKNOWN = "unknown"  # how pages show a fact Triton has not told yet


class InferenceModel(models.Model):
    class Layout(models.TextChoices):
        YOLOV8 = contract.YOLOV8, "YOLOv8/11 [4+C, A]"
        YOLOV5 = contract.YOLOV5, "YOLOv5/YOLOX [A, 5+C]"
        NMS = contract.NMS, "NMS-exported / server-side [K, 6]"

    class State(models.TextChoices):
        READY = "ready", "Ready"
        UNAVAILABLE = "unavailable", "Unavailable"
        MISSING = "missing", "Not in the repository"

    name = models.CharField(max_length=128, unique=True, help_text="Triton model name, as streams refer to it")
    version = models.CharField(max_length=32, blank=True, help_text="Served version; blank: Triton's latest")
    input_height = models.PositiveIntegerField(default=0)
    input_width = models.PositiveIntegerField(default=0)
    class_names = models.JSONField(default=list, blank=True)
    # Layout, server-side NMS and batch size are what Triton serves: unknown (null) until it has loaded the model.
    layout = models.CharField(max_length=16, choices=Layout.choices, null=True, blank=True, default=None,
                              help_text="What the served model returns; empty: unknown (never loaded)")  # fmt: skip
    server_side_nms = models.BooleanField(null=True, blank=True, default=None,
                                          help_text="Boxes are decoded and suppressed by Triton")  # fmt: skip
    max_batch_size = models.PositiveIntegerField(null=True, blank=True, default=None,
                                                 help_text="0: no batching; empty: unknown (never loaded)")  # fmt: skip
    state = models.CharField(max_length=16, choices=State.choices, default=State.UNAVAILABLE)
    reason = models.TextField(blank=True, help_text="Why the model is not ready, as Triton says")
    source_file = models.CharField(max_length=255, blank=True, help_text="The ONNX file it was imported from")
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def input_size(self) -> str:
        return f"{self.input_width}×{self.input_height}" if self.input_height else UNKNOWN

    @property
    def class_count(self) -> int:
        return len(self.class_names)
