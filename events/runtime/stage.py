"""The rules stage of the frame path (after publish): each frame's objects through the stream's object rules
(events.runtime.engine); what starts, improves or ends goes to the process's event writer (events.runtime.writer).

Per frame it costs a dictionary walk; the annotated frame is drawn only for a start or a better snapshot (at
most once a second per event), and the JPEG and the database write happen on the writer's thread. Rules are
re-read every EVENTS_RULES_REFRESH_S, so edits apply without a restart.
"""

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

from django import db
from django.conf import settings

from core.frames import FrameContext
from events import selectors
from events.models import Rule
from events.occurrences import Seen
from events.runtime.engine import EventChange, ObjectRule, ObjectRuleEngine, sightings_of
from events.runtime.writer import EventOp, SubmitsEventOps, process_event_writer

logger = logging.getLogger(__name__)


def object_rule(rule: Rule) -> ObjectRule:
    return ObjectRule(
        id=rule.pk, name=rule.name, classes=frozenset(rule.classes or ()), min_score=rule.min_score,
        min_duration_s=rule.min_duration_s, cooldown_s=rule.cooldown_s, kind=rule.kind, zone_id=rule.zone_id,
        line_id=rule.line_id, direction=rule.direction, max_occupancy=rule.max_occupancy, dwell_s=rule.dwell_s,
    )


def load_object_rules(stream_id: int) -> list[ObjectRule]:
    db.close_old_connections()  # the sink's thread lives for days: drop a connection the database closed
    return [object_rule(rule) for rule in selectors.rules_for_pipeline(stream_id=stream_id)]


@dataclass
class RulesStage:
    stream_id: int
    origin: str  # the lease holder: events it raises are ended by the system if it dies
    engine: ObjectRuleEngine
    writer: SubmitsEventOps
    load_rules: Callable[[], list[ObjectRule]]
    refresh_s: float
    clock: Callable[[], float] = time.monotonic
    name: str = "rules"
    _refresh_due: float = field(default=float("-inf"), init=False)

    @classmethod
    def init(cls, *, stream_id: int, origin: str, writer: SubmitsEventOps | None = None) -> Self:
        writer = writer or process_event_writer()
        # A pipeline built again (restart, new settings) starts with no objects in view: end what the last one left.
        writer.submit(EventOp("end_open", stream_id, reason="its pipeline restarted"))
        engine = ObjectRuleEngine(
            lost_after_s=settings.EVENTS_OBJECT_LOST_S, update_interval_s=settings.EVENTS_UPDATE_INTERVAL_S
        )
        return cls(
            stream_id=stream_id, origin=origin, engine=engine, writer=writer,
            load_rules=functools.partial(load_object_rules, stream_id), refresh_s=settings.EVENTS_RULES_REFRESH_S,
        )

    def __call__(self, ctx: FrameContext) -> None:
        self._refresh_rules()
        if not self.engine.rules:
            return
        for change in self.engine.step(sightings_of(ctx.detections), at=ctx.at, frame=ctx, facts=ctx.facts):
            self.writer.submit(self._op(change))

    def _refresh_rules(self) -> None:
        now = self.clock()
        if now < self._refresh_due:
            return
        self._refresh_due = now + self.refresh_s
        try:
            rules = self.load_rules()
        except Exception as error:  # noqa: BLE001 - keep the rules we have; try again at the next refresh
            logger.warning("Stream %s: could not read its rules: %s", self.stream_id, error)
            return
        for change in self.engine.set_rules(rules):
            self.writer.submit(self._op(change))

    def _op(self, change: EventChange) -> EventOp:
        if change.kind == "end":
            return EventOp("end", self.stream_id, event_id=change.event_id, at=change.at, reason=change.reason)
        sighting = change.sighting
        seen = Seen(class_name=sighting.class_name, tracker_id=sighting.tracker_id, score=round(sighting.score, 4),
                    box=[round(v, 1) for v in sighting.box], zones=list(sighting.zones),
                    zone_ids=list(sighting.zone_ids), detail=sighting.detail)  # fmt: skip
        image = change.frame.annotated() if isinstance(change.frame, FrameContext) else None
        return EventOp(change.kind, self.stream_id, event_id=change.event_id, rule_id=change.rule.id,
                       origin=self.origin, seen=seen, image=image, at=change.at)  # fmt: skip
