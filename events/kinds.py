"""The rule kinds, declared once: the database's choices (events.models.Rule.Kind), the forms, the API and the
rule engine on the frame path (events.runtime) all read them from here."""

from django.db.models import TextChoices


class RuleKind(TextChoices):
    OBJECT = "object", "Object appears"
    LINE_CROSSED = "line_crossed", "Line crossed"
    OVERCROWDED = "overcrowded", "Zone overcrowded"
    LOITERING = "loitering", "Loitering in a zone"
    STREAM_DOWN = "stream_down", "Stream goes down"
    STREAM_UP = "stream_up", "Stream comes back"


# The kinds the pipeline raises (the others follow the stream's observed status).
OBJECT_KINDS = frozenset({RuleKind.OBJECT, RuleKind.LINE_CROSSED, RuleKind.OVERCROWDED, RuleKind.LOITERING})
STREAM_KINDS = frozenset({RuleKind.STREAM_DOWN, RuleKind.STREAM_UP})
ZONE_KINDS = frozenset({RuleKind.OVERCROWDED, RuleKind.LOITERING})  # need a zone (an object rule may have one)
LINE_KINDS = frozenset({RuleKind.LINE_CROSSED})  # need a line
