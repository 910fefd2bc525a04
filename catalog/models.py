"""One record per model Triton serves (or served): what a stream needs to know to pick and use it."""

from django.db import models


class InferenceModel(models.Model):
    class Layout(models.TextChoices):
        YOLOV8 = "yolov8", "YOLOv8/11 [4+C, A]"
        YOLOV5 = "yolov5", "YOLOv5/YOLOX [A, 5+C]"
        NMS = "nms", "NMS-exported / server-side [K, 6]"

    class State(models.TextChoices):
        READY = "ready", "Ready"
        UNAVAILABLE = "unavailable", "Unavailable"
        MISSING = "missing", "Not in the repository"

    name = models.CharField(max_length=128, unique=True, help_text="Triton model name, as streams refer to it")
    version = models.CharField(max_length=32, blank=True, help_text="Served version; blank: Triton's latest")
    input_height = models.PositiveIntegerField(default=0)
    input_width = models.PositiveIntegerField(default=0)
    class_names = models.JSONField(default=list, blank=True)
    layout = models.CharField(max_length=16, choices=Layout.choices, default=Layout.NMS,
                              help_text="What the served model returns")  # fmt: skip
    server_side_nms = models.BooleanField(default=True, help_text="Boxes are decoded and suppressed by Triton")
    max_batch_size = models.PositiveIntegerField(default=0)
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
        return f"{self.input_width}×{self.input_height}" if self.input_height else "?"

    @property
    def class_count(self) -> int:
        return len(self.class_names)
