"""Forms for streams, shared by the web UI (and usable as the admin's form)."""

from django import forms
from django.conf import settings

from streams.models import Stream
from streams.sources import redact_source


class StreamForm(forms.ModelForm):
    """Stream settings. The page never sees a stored password: editing shows the redacted source, and
    submitting that redacted value back means "keep the source as it is"."""

    class Meta:
        model = Stream
        fields = ("name", "source", "max_fps", "confidence")
        labels = {"max_fps": "Max FPS", "confidence": "Confidence threshold"}
        help_texts = {
            "source": "Absolute path of a video file in a media directory, an rtsp(s):// or http(s):// URL, "
            "or a webcam index such as 0.",
        }
        widgets = {
            "source": forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "rtsp://user:password@camera/live"}
            ),
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "max_fps": forms.NumberInput(
                attrs={"step": "any", "min": "0.1", "max": "240", "placeholder": "as fast as the source"}
            ),
            "confidence": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "max": "1"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Kept aside because model validation writes the cleaned values onto the instance.
        self._stored_source = self.instance.source if self.instance.pk else None
        if self._stored_source is not None:
            self.initial["source"] = redact_source(self._stored_source)
            if self._stored_source != self.initial["source"]:
                self.fields["source"].help_text = (
                    "The password is hidden. Leave this as shown to keep it; to change the URL, "
                    "type it in full, password included."
                )
        else:
            self.initial.setdefault("confidence", settings.DEFAULT_CONFIDENCE)

    def clean_source(self) -> str:
        source = self.cleaned_data["source"]
        if self._stored_source is not None and source == redact_source(self._stored_source):
            return self._stored_source
        return source


class StreamCreateForm(StreamForm):
    """A new stream, with the choice of starting it at once."""

    start = forms.BooleanField(required=False, initial=True, label="Start now")
