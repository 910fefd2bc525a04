"""Reads of the model catalog. Safe to import from streams/ (this app imports nothing of the others)."""

from catalog.models import InferenceModel


def model_get(*, name: str) -> InferenceModel | None:
    return InferenceModel.objects.filter(name=name).first()


def model_choices() -> list[tuple[str, str]]:
    """(Triton model name, label) of the models a stream can pick now."""
    ready = InferenceModel.objects.filter(state=InferenceModel.State.READY).order_by("name")
    return [(m.name, f"{m.name} ({m.input_size}, {m.class_count} classes)") for m in ready]

