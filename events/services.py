"""Writes of rules and acknowledgements. Views, the API and the admin call these; bad input raises
ValidationError and stores nothing. Running pipelines pick rule changes up within EVENTS_RULES_REFRESH_S."""

import logging
from typing import TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.models import Line, Zone
from catalog.selectors import model_get
from events import notify
from events.models import Event, Rule
from streams.models import Stream

logger = logging.getLogger(__name__)


class RuleFields(TypedDict, total=False):
    name: str
    kind: str
    classes: list[str]
    min_score: float
    min_duration_s: float
    cooldown_s: float
    enabled: bool
    zone: Zone | None
    line: Line | None
    direction: str
    max_occupancy: int | None
    dwell_s: float | None


def known_classes(stream: Stream) -> frozenset[str]:
    """Class names of the stream's model, as the catalog has them (empty when the catalog has not seen it)."""
    model = model_get(name=stream.model or settings.TRITON_MODEL_NAME)
    return frozenset(model.class_names) if model is not None else frozenset()


def rule_create(*, stream: Stream, actor: str = "", **fields: Unpack[RuleFields]) -> Rule:
    rule = Rule(stream=stream, **fields)
    _validate(rule)
    rule.save()
    logger.info("Rule %s (%s) on stream %s created by %s", rule.pk, rule.name, stream.pk, actor or "system")
    return rule


def rule_update(*, rule: Rule, actor: str = "", **changes: Unpack[RuleFields]) -> Rule:
    for field, value in changes.items():
        setattr(rule, field, value)
    _validate(rule)
    rule.save()
    logger.info("Rule %s changed (%s) by %s", rule.pk, ", ".join(sorted(changes)), actor or "system")
    return rule


def rule_delete(*, rule: Rule, actor: str = "") -> None:
    logger.info("Rule %s (%s) deleted by %s", rule.pk, rule.name, actor or "system")
    rule.delete()


def _validate(rule: Rule) -> None:
    """Every check, before anything is stored: the fields, the kind's zone or line (of the rule's stream) and
    threshold (Rule.clean), and classes the stream's model knows."""
    rule.classes = list(dict.fromkeys(str(name).strip() for name in (rule.classes or []) if str(name).strip()))
    rule.full_clean()
    if rule.kind in Rule.STREAM_KINDS:
        if rule.classes:
            raise ValidationError({"classes": "Stream rules watch the stream itself: leave the classes empty."})
        return
    known = known_classes(rule.stream)
    unknown = [name for name in rule.classes if known and name not in known]
    if unknown:
        sample = ", ".join(sorted(known)[:12])
        raise ValidationError(
            {"classes": f"Unknown class(es) for this stream's model: {', '.join(unknown)}. Known, e.g.: {sample}…"}
        )


def event_acknowledge(*, event: Event, actor: str) -> Event:
    """Someone has seen it: the wall's badge counts it no more. Acknowledging twice keeps the first."""
    with transaction.atomic():
        updated = Event.objects.filter(pk=event.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=actor[:150]
        )
        event.refresh_from_db()
        if updated:
            notify.event_changed(event, "ack")
    return event
