"""Event snapshots on disk: the best annotated frame with the event's box highlighted, and a thumbnail, under
EVENTS_MEDIA_DIR/<stream id>/<day>/. Retention removes them by age and keeps the directory under its cap,
oldest first; the event stays and says when and why its snapshot went."""

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from events.models import Event

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 320
HIGHLIGHT_BGR = (0, 215, 255)  # amber: stands out from the annotator's per-class colours


@dataclass(frozen=True)
class PruneResult:
    aged: int
    capped: int


def media_root() -> Path:
    return Path(settings.EVENTS_MEDIA_DIR)


def media_path(relative: str) -> Path | None:
    """The file a stored name points to, or None for a name that would leave the media directory."""
    if not relative:
        return None
    root = media_root().resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


def snapshot_save(*, event_id: str, stream_id: int, day: date, image: np.ndarray, box: list[float]) -> dict:
    """Write the snapshot (box highlighted) and its thumbnail; returns the Event fields that name them."""
    canvas = highlight(image, box)
    full = _encode(canvas, quality=85)
    thumbnail = _encode(_scale_to_width(canvas, THUMBNAIL_WIDTH), quality=75)
    folder = Path(str(stream_id)) / day.isoformat()
    names = (str(folder / f"{event_id}.jpg"), str(folder / f"{event_id}_thumb.jpg"))
    for name, data in zip(names, (full, thumbnail), strict=True):
        _write_atomically(media_root() / name, data)
    return {"snapshot": names[0], "thumbnail": names[1], "snapshot_bytes": len(full) + len(thumbnail)}


def highlight(image: np.ndarray, box: list[float]) -> np.ndarray:
    """A copy of the (annotated) frame with the event's object outlined boldly."""
    canvas = image.copy()
    height, width = canvas.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    thickness = max(3, round(min(width, height) / 120))
    cv2.rectangle(canvas, (max(x1, 0), max(y1, 0)), (min(x2, width - 1), min(y2, height - 1)), HIGHLIGHT_BGR, thickness)
    return canvas


def _encode(image: np.ndarray, *, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


def _scale_to_width(image: np.ndarray, width: int) -> np.ndarray:
    height, current = image.shape[:2]
    if current <= width:
        return image
    return cv2.resize(image, (width, max(1, round(height * width / current))), interpolation=cv2.INTER_AREA)


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees half a JPEG: write beside it, then rename over it (an update replaces the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def snapshots_prune(*, max_age_days: float, max_bytes: int, now: datetime | None = None) -> PruneResult:
    """Remove snapshots older than `max_age_days`, then the oldest ones until the rest fit in `max_bytes`."""
    now = now or timezone.now()
    kept = Event.objects.filter(snapshot_pruned_at__isnull=True).exclude(snapshot="")
    old = kept.filter(started_at__lt=now - timedelta(days=max_age_days)).values_list("pk", "snapshot", "thumbnail")
    aged = _prune(list(old), reason=f"older than {max_age_days:g} days", now=now)
    total = kept.aggregate(total=Sum("snapshot_bytes"))["total"] or 0
    victims, freed = [], 0
    if total > max_bytes:
        for pk, snapshot, thumbnail, size in kept.order_by("started_at", "pk").values_list(
            "pk", "snapshot", "thumbnail", "snapshot_bytes"
        ).iterator():
            if total - freed <= max_bytes:
                break
            victims.append((pk, snapshot, thumbnail))
            freed += size
    capped = _prune(victims, reason=f"snapshots over their {max_bytes / 1e6:g} MB cap; oldest removed first", now=now)
    if aged or capped:
        logger.info("Pruned %s snapshot(s) by age and %s by the disk cap", aged, capped)
    return PruneResult(aged=aged, capped=capped)


def _prune(rows: list[tuple], *, reason: str, now: datetime) -> int:
    for _, *names in rows:
        for name in names:
            path = media_path(name)
            if path is not None:
                path.unlink(missing_ok=True)
    ids = [row[0] for row in rows]
    Event.objects.filter(pk__in=ids).update(snapshot_pruned_at=now, snapshot_pruned_reason=reason[:200])
    return len(ids)


def media_bytes() -> int:
    """What the kept snapshots take on disk, by the events' own count."""
    kept = Event.objects.filter(snapshot_pruned_at__isnull=True).exclude(snapshot="")
    return kept.aggregate(total=Sum("snapshot_bytes"))["total"] or 0
