"""Forms for streams, shared by the web UI (and usable as the admin's form)."""

from django import forms
from django.conf import settings

from catalog.selectors import model_choices
from streams.models import Stream
from streams.sources import redact_source, source_unless_redacted


class ClassNamesField(forms.CharField):
    """Class names as the operator types them ("car, truck"), stored as a list; empty means every class."""

    def to_python(self, value: object) -> list[str]:
        if isinstance(value, list):
            return [str(name).strip() for name in value if str(name).strip()]
        text = super().to_python(value)
        names = [name.strip() for name in text.replace("\n", ",").split(",")]
        return list(dict.fromkeys(name for name in names if name))  # drop blanks and repeats, keep order

    def prepare_value(self, value: object) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(str(name) for name in value)
        return "" if value is None else str(value)

    def has_changed(self, initial: object, data: object) -> bool:
        return self.to_python(initial or []) != self.to_python(data or "")


def _classes_field() -> ClassNamesField:
    return ClassNamesField(
        required=False,
        label="Classes to show",
        help_text="Comma-separated class names, e.g. car, truck, person. Empty: every class.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "every class"}),
    )


class StreamForm(forms.ModelForm):
    """Stream settings. The page never sees a stored password: editing shows the redacted source, and
    submitting that redacted value back means "keep the source as it is"."""

    class Meta:
        model = Stream
        fields = ("name", "source", "max_fps", "confidence", "classes", "model", "queue")
        labels = {"max_fps": "Max FPS", "confidence": "Confidence threshold", "model": "Model", "queue": "Worker queue"}
        help_texts = {
            "source": "Absolute path of a video file in a media directory, an rtsp(s):// or http(s):// URL, "
            "or a webcam index such as 0.",
        }
        widgets = {
            "source": forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "rtsp://user:password@camera/live"}
            ),
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "model": forms.Select(),
            "queue": forms.TextInput(attrs={"autocomplete": "off", "placeholder": "any worker"}),
            "max_fps": forms.NumberInput(
                attrs={"step": "any", "min": "0.1", "max": "240", "placeholder": "as fast as the source"}
            ),
            "confidence": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "1"}),
        }

    classes = _classes_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Kept aside because model validation writes the cleaned values onto the instance.
        self._stored_source = self.instance.source if self.instance.pk else None
        if self._stored_source is not None:
            self.initial["source"] = redact_source(self._stored_source)
            if self._stored_source != self.initial["source"] and "source" in self.fields:  # not read-only
                self.fields["source"].help_text = (
                    "The password is hidden. Leave this as shown to keep it; to change the URL, "
                    "type it in full, password included."
                )
        else:
            self.initial.setdefault("confidence", settings.DEFAULT_CONFIDENCE)
        if "model" in self.fields:  # the admin leaves it out for an operator, who may not change it
            self.fields["model"].widget.choices = _model_choices(self.instance.model)

    def clean_source(self) -> str:
        return source_unless_redacted(self.cleaned_data["source"], self._stored_source)


def _model_choices(current: str) -> list[tuple[str, str]]:
    """The models Triton serves now (from the catalog), plus the stream's own if it is gone meanwhile."""
    choices = [("", f"Default ({settings.TRITON_MODEL_NAME})"), *model_choices()]
    if current and current not in {name for name, _ in choices}:
        choices.append((current, f"{current} (not available)"))
    return choices


class StreamCreateForm(StreamForm):
    """A new stream, with the choice of starting it at once."""

    start = forms.BooleanField(required=False, initial=True, label="Start now")


class StreamSettingsForm(forms.ModelForm):
    """The settings a running stream applies live, without a restart (the stream page's settings panel)."""

    classes = _classes_field()

    class Meta:
        model = Stream
        fields = ("confidence", "classes", "max_fps")
        labels = StreamForm.Meta.labels
        widgets = {name: StreamForm.Meta.widgets[name] for name in ("confidence", "max_fps")}
