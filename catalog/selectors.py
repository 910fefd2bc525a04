"""Reads of the model catalog. Safe to import from streams/ (this app imports nothing of the others)."""

from django.db.models import QuerySet

from catalog.models import InferenceModel


def model_list() -> QuerySet[InferenceModel]:
    return InferenceModel.objects.order_by("name")


def model_get(*, name: str) -> InferenceModel | None:
    return InferenceModel.objects.filter(name=name).first()


def model_choices() -> list[tuple[str, str]]:
    """(Triton model name, label) of the models a stream can pick now."""
    ready = InferenceModel.objects.filter(state=InferenceModel.State.READY).order_by("name")
    return [(m.name, f"{m.name} ({m.input_size}, {m.class_count} classes)") for m in ready]


def model_class_names(*, name: str) -> list[str]:
    """The class names of a model, for a stream's class filter; empty when the model is unknown."""
    found = InferenceModel.objects.filter(name=name).values_list("class_names", flat=True).first()
    return list(found or [])
