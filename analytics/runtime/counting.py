"""The zone and line counters as analysers of the frame path: each frame, every counter is fed the tracked
detections; the facts go to ctx.facts[LINES] / ctx.facts[ZONES], the counts to the stream's ledger, and the
shapes are drawn on the annotated frame when someone watches.

The runner replaces these analysers when an operator edits a zone or a line (StreamAnalytics.sync): the new
ones reuse the counters of the zones and lines that still exist, so no count and no member is lost.
"""

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from analytics.runtime import overlay
from analytics.runtime.facts import LINES, ZONES, LineFacts, ZoneFacts
from analytics.runtime.ledger import CountLedger
from analytics.runtime.lines import LineCounter
from analytics.runtime.shapes import Observations
from analytics.runtime.zones import ZoneCounter
from core.frames import FrameContext

LINE, ZONE = "line", "zone"


class CountersAnalyser:
    """Feeds every counter the frame (sharing one set of observations), records what it counted, and keeps the
    frame's facts under its name (and as `latest`, which the runner reads for the live counters)."""

    name: str

    def __init__(self, counters: Mapping[int, LineCounter | ZoneCounter], ledger: CountLedger) -> None:
        self.counters = dict(counters)
        self._ledger = ledger
        self.latest: Mapping[int, LineFacts | ZoneFacts] = MappingProxyType({})

    def analyse(self, ctx: FrameContext) -> None:
        found = {}
        seen = Observations(ctx.detections)
        for object_id, counter in self.counters.items():
            found[object_id] = facts = counter.update(ctx.detections, ctx.at, ctx.frame_size, seen)
            self.record(object_id, facts)
        self.latest = ctx.facts[self.name] = MappingProxyType(found)

    def record(self, object_id: int, facts: LineFacts | ZoneFacts) -> None:
        raise NotImplementedError


class LinesAnalyser(CountersAnalyser):
    name = LINES

    def record(self, object_id: int, facts: LineFacts) -> None:
        for crossing in facts.crossings:
            self._ledger.add(LINE, object_id, crossing.class_name, crossing.direction, crossing.at)

    def draw(self, image: np.ndarray, ctx: FrameContext) -> np.ndarray:
        for line_id, counter in self.counters.items():
            totals = overlay.line_totals(self._ledger.totals_of(LINE, line_id))
            overlay.draw_line(image, counter.definition, totals)
        return image


class ZonesAnalyser(CountersAnalyser):
    name = ZONES

    def record(self, object_id: int, facts: ZoneFacts) -> None:
        for change in facts.transitions:
            self._ledger.add(ZONE, object_id, change.class_name, change.kind, change.at)
            if change.kind == "exit" and change.dwell_s >= 0.5:
                self._ledger.add(ZONE, object_id, change.class_name, "dwell_s", change.at, round(change.dwell_s))

    def draw(self, image: np.ndarray, ctx: FrameContext) -> np.ndarray:
        facts = ctx.facts.get(self.name, {})
        for zone_id, counter in self.counters.items():
            overlay.draw_zone(image, counter.definition, facts.get(zone_id))
        return image
