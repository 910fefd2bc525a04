"""Each stream's event log (`StreamEvent`): commands with who gave them, settings changes, state changes with
the reporting worker, and errors. Messages are redacted: a camera password never reaches the log."""

from streams.models import Stream, StreamEvent
from streams.sources import redact_source


def event_record(*, stream: Stream, kind: str, message: str, actor: str = "") -> StreamEvent:
    return StreamEvent.objects.create(
        stream=stream, kind=kind, message=redact_source(message)[:500], actor=actor[:200]
    )


def security_event_record(*, message: str, actor: str = "") -> StreamEvent:
    """An event of no one stream (a login lockout): in the event log with kind "security"."""
    return StreamEvent.objects.create(stream=None, kind=StreamEvent.Kind.SECURITY, message=message[:500],
                                      actor=actor[:200])


def stream_events_prune(*, keep: int) -> int:
    """Keep each stream's newest `keep` events, and the newest `keep` security events; returns how many were
    deleted."""
    deleted = 0
    for stream_id in [*Stream.objects.values_list("pk", flat=True), None]:
        cutoff = StreamEvent.objects.filter(stream_id=stream_id).values_list("pk", flat=True)[keep : keep + 1]
        if cutoff:
            deleted += StreamEvent.objects.filter(stream_id=stream_id, pk__lte=cutoff[0]).delete()[0]
    return deleted
