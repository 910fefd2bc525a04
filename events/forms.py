"""Forms of the events pages (and usable by the admin): rules and webhook endpoints. They only shape input; the
services (events.services, events.endpoints) validate it fully and store it."""

from django import forms

from analytics.models import Line, Zone
from events.models import OutboxMessage, Rule, WebhookEndpoint
from streams.forms import ClassNamesField
from streams.models import Stream

LOCAL_TIME = {"type": "datetime-local"}
CLASS_INPUT = {"placeholder": "any class", "list": "class-names"}  # the page's datalist: classes seen so far


class RuleForm(forms.ModelForm):
    classes = ClassNamesField(
        required=False, label="Classes",
        help_text="Object rules: comma-separated class names, e.g. person, car. Empty: every class.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "every class"}),
    )

    class Meta:
        model = Rule
        fields = ("stream", "name", "kind", "classes", "zone", "line", "direction", "max_occupancy", "dwell_s",
                  "min_score", "min_duration_s", "cooldown_s", "enabled")  # fmt: skip
        labels = {"min_score": "Minimum score", "min_duration_s": "Minimum duration (s)", "cooldown_s": "Cooldown (s)",
                  "max_occupancy": "Overcrowded above (objects)", "dwell_s": "Loitering after (s)"}  # fmt: skip
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "min_score": forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1"}),
            "min_duration_s": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "cooldown_s": forms.NumberInput(attrs={"step": "any", "min": "0"}),
            "max_occupancy": forms.NumberInput(attrs={"step": "1", "min": "0"}),
            "dwell_s": forms.NumberInput(attrs={"step": "any", "min": "0"}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Zones and lines of every stream, named with their stream: Rule.clean refuses one of another stream.
        for name, shapes in (("zone", Zone.objects), ("line", Line.objects)):
            field = self.fields[name]
            field.queryset = shapes.select_related("stream").order_by("stream__name", "name")
            field.label_from_instance = lambda shape: f"{shape.stream.name}: {shape.name}"
            field.empty_label = "none"
        self.fields["direction"].required = False  # only line rules use it: empty means either way

    def clean_direction(self) -> str:
        return self.cleaned_data.get("direction") or Rule.Direction.EITHER


class EndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        required=False, choices=[(name, name) for name in OutboxMessage.SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple, help_text="Empty: event.new, event.update and event.end.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "stream", "event_types", "enabled", "allow_private")
        labels = {"url": "URL", "allow_private": "Allow a private address (admins only)"}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "url": forms.URLInput(attrs={"autocomplete": "off", "placeholder": "https://receiver.example/hooks"}),
        }

    def __init__(self, *args: object, is_admin: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stream"].queryset = Stream.objects.order_by("name")
        self.fields["stream"].empty_label = "every stream"
        if not is_admin:
            self.fields.pop("allow_private")


class EventFilterForm(forms.Form):
    """The events page's filters (GET)."""

    stream = forms.ModelChoiceField(Stream.objects.order_by("name"), required=False, empty_label="all streams")
    rule = forms.ModelChoiceField(Rule.objects.select_related("stream"), required=False, empty_label="all rules")
    label = forms.CharField(required=False, label="Class", widget=forms.TextInput(attrs=CLASS_INPUT))
    zone = forms.ModelChoiceField(Zone.objects.select_related("stream").order_by("stream__name", "name"),
                                  required=False, empty_label="all zones")  # fmt: skip
    since = forms.DateTimeField(required=False, label="From", widget=forms.DateTimeInput(attrs=LOCAL_TIME))
    until = forms.DateTimeField(required=False, label="To", widget=forms.DateTimeInput(attrs=LOCAL_TIME))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].label_from_instance = lambda zone: f"{zone.stream.name}: {zone.name}"
