"""A running stream's analytics, as its runner holds them: the analysers built from the database (tracker,
lines, zones), kept up to date while the stream runs, their counts stored about once a second, and the live
counters sent to the browsers.

    build_pipeline:   StreamAnalytics.init(stream_id, origin) → its `analysers` go into LiveSettings
    on a sync:        sync(live) re-reads settings, zones and lines and swaps live.analysers (next frame)
    each second:      report(fps) stores what was counted (analytics.services) and returns the live message
    on exit:          close() stores what is left
"""

import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError

from analytics import selectors, services
from analytics.messages import AnalyticsMessage, LineLive, ZoneLive
from analytics.runtime.counting import LINE, ZONE, LinesAnalyser, ZonesAnalyser
from analytics.runtime.ledger import CountLedger
from analytics.runtime.lines import LineCounter
from analytics.runtime.shapes import ShapeCounter, ShapeDefinition
from analytics.runtime.tracking import TrackerAnalyser
from analytics.runtime.zones import ZoneCounter
from core.frames import Analyser, LiveSettings

logger = logging.getLogger(__name__)
_UNREAD = object()


class StreamAnalytics:
    def __init__(self, *, stream_id: int, origin: str, ledger: CountLedger, min_fps: float) -> None:
        self.stream_id = stream_id
        self.origin = origin
        self.ledger = ledger
        self.min_fps = min_fps
        self.tracker: TrackerAnalyser | None = None
        self.lines = LinesAnalyser({}, ledger)
        self.zones = ZonesAnalyser({}, ledger)
        self.reset_at: object = _UNREAD
        self._fps = 0.0

    @classmethod
    def init(cls, *, stream_id: int, origin: str) -> "StreamAnalytics":
        analytics = cls(
            stream_id=stream_id, origin=origin, ledger=CountLedger(selectors.count_totals(stream_id=stream_id)),
            min_fps=settings.ANALYTICS_MIN_TRACKING_FPS,
        )  # fmt: skip
        analytics.reload()
        return analytics

    @property
    def analysers(self) -> tuple[Analyser, ...]:
        """In frame order: the tracker first (counters need its ids), then lines and zones."""
        return tuple(a for a in (self.tracker, self.lines, self.zones) if a is not None)

    def sync(self, live: LiveSettings) -> None:
        """Re-read everything from the database and apply it from the next frame (runner's thread)."""
        try:
            self.reload()
        except DatabaseError as error:
            logger.warning("Stream %s: could not re-read its zones and lines: %s", self.stream_id, error)
            return
        live.analysers = self.analysers

    def reload(self) -> None:
        options = selectors.settings_of(stream_id=self.stream_id)
        if self.reset_at is not _UNREAD and options.counts_reset_at != self.reset_at:
            self.ledger.restart_from(selectors.count_totals(stream_id=self.stream_id))  # the counts were reset
        self.reset_at = options.counts_reset_at
        # A new tracker numbers its tracks from 0 again: what the counters remember of the old ids must go.
        fresh = self._switch_tracking(options.tracking, options.traces)
        lines = {row.pk: _definition(row) for row in selectors.lines_of(stream_id=self.stream_id)}
        zones = {row.pk: _definition(row) for row in selectors.zones_of(stream_id=self.stream_id)}
        self.lines = LinesAnalyser(_keep_or_make({} if fresh else self.lines.counters, lines, LineCounter), self.ledger)
        self.zones = ZonesAnalyser(_keep_or_make({} if fresh else self.zones.counters, zones, ZoneCounter), self.ledger)

    def report(self, fps: float) -> AnalyticsMessage:
        """Say what the counters show now, and store what was counted since the last report. The message is read
        first: the sink's thread counts on meanwhile, so storing after it means the stored totals hold at least
        what the message shows (the other way round, a count added between the two was shown but not stored)."""
        if fps > 0:  # a paused stream processes nothing: keep the last rate rather than call it too slow
            self._fps = fps if self._fps == 0 else 0.7 * self._fps + 0.3 * fps
        message = self._message()
        self.flush()
        return message

    def _message(self) -> AnalyticsMessage:
        tracking = self.tracker is not None
        return AnalyticsMessage(
            type="stream.analytics", stream_id=self.stream_id, at=round(time.time(), 3), origin=self.origin,
            tracking=tracking, tracking_fps=round(self._fps, 1),
            tracking_fps_low=tracking and 0 < self._fps < self.min_fps,
            lines=[self._line_live(line_id, c) for line_id, c in self.lines.counters.items()],
            zones=[self._zone_live(zone_id, c) for zone_id, c in self.zones.counters.items()],
        )  # fmt: skip

    def flush(self) -> None:
        pending = self.ledger.take_pending()
        if pending is None:
            return
        occupancy = {zone_id: dict(facts.occupancy) for zone_id, facts in self.zones.latest.items()}
        try:
            services.counts_record(stream_id=self.stream_id, deltas=pending.deltas,
                                   collected_since=_datetime(pending.collected_since), occupancy=occupancy)  # fmt: skip
        except DatabaseError as error:
            logger.warning("Stream %s: counts not stored yet (%s); keeping them for the next flush", self.stream_id,
                           error)  # fmt: skip
            self.ledger.give_back(pending)

    def close(self) -> None:
        try:
            self.flush()
        except Exception as error:  # noqa: BLE001 - the runner is stopping; say what was lost and go on
            logger.error("Stream %s: the last counts could not be stored: %s", self.stream_id, error)

    def _switch_tracking(self, tracking: bool, traces: bool) -> bool:
        """True if a new tracker replaced the old one (or none)."""
        if not tracking:
            self.tracker = None
            return False
        if self.tracker is None:
            self.tracker = TrackerAnalyser(traces=traces)
            return True
        self.tracker.traces = traces
        return False

    def _line_live(self, line_id: int, counter: ShapeCounter) -> LineLive:
        totals = self.ledger.totals_of(LINE, line_id)
        return LineLive(id=line_id, name=counter.definition.name,
                        counts={"in": totals.get("in", {}), "out": totals.get("out", {})})  # fmt: skip

    def _zone_live(self, zone_id: int, counter: ShapeCounter) -> ZoneLive:
        totals = self.ledger.totals_of(ZONE, zone_id)
        facts = self.zones.latest.get(zone_id)
        return ZoneLive(
            id=zone_id, name=counter.definition.name,
            occupancy=dict(facts.occupancy) if facts is not None else {},
            counts={"enter": totals.get("enter", {}), "exit": totals.get("exit", {})},
            longest_dwell_s=round(facts.longest_dwell_s, 1) if facts is not None else 0.0,
        )  # fmt: skip


def _definition(row) -> ShapeDefinition:  # noqa: ANN001 - analytics.models.Zone or Line
    return ShapeDefinition(
        id=row.pk, name=row.name, points=tuple((float(x), float(y)) for x, y in row.points),
        classes=frozenset(row.classes or ()), anchor=row.anchor, in_side=getattr(row, "in_side", "right"),
    )  # fmt: skip


def _keep_or_make(current: dict, wanted: dict[int, ShapeDefinition], make: type) -> dict:
    """The counters for `wanted`: an existing one (redefined) for an id that is still there, else a new one."""
    counters = {}
    for object_id, definition in wanted.items():
        counter = current.get(object_id)
        if counter is None:
            counter = make(definition)
        elif counter.definition != definition:
            counter.redefine(definition)
        counters[object_id] = counter
    return counters


def _datetime(unix_s: float) -> datetime:
    return datetime.fromtimestamp(unix_s, tz=UTC)
