"""Messages of the events app: to web consumers over the channel layer, and the shape of an event as webhooks
and MQTT carry it (docs/events.md)."""

from typing import Literal, TypedDict

EVENTS_GROUP = "events"  # every events page, stream page and wall listens here

Change = Literal["new", "update", "end", "ack"]


class EventChangedMessage(TypedDict):
    """To EVENTS_GROUP after an event changed (committed): pages refresh what shows it."""

    type: Literal["events.changed"]
    event_id: str
    stream_id: int
    change: Change
    active_alerts: int  # the stream's events in progress that nobody acknowledged: the wall's badge


class StreamRef(TypedDict):
    id: int
    name: str


class RuleRef(TypedDict):
    id: int | None
    name: str


class EventData(TypedDict):
    """An event as webhooks (`data`) and MQTT (`before`/`after`) carry it."""

    id: str
    kind: str
    stream: StreamRef
    rule: RuleRef
    label: str
    tracker_id: int | None
    score: float | None
    box: list[float] | None
    zones: list[str]
    detail: str
    started_at: str
    updated_at: str
    ended_at: str | None
    end_reason: str
    active: bool
    has_snapshot: bool
    snapshot_url: str | None
    thumbnail_url: str | None
    acknowledged: bool
