"""Zones and lines drawn on the annotated frame (server side, once per frame, only while someone watches).

Colours are fixed so that operators (and the browser test) recognise them: zones sky blue, lines magenta,
with an arrow towards the line's in side. Outlines only: a translucent fill costs 0.13 ms per zone and frame
(blending its bounding box), more than the zone's counting.
"""

import cv2
import numpy as np

from analytics.runtime.facts import ZoneFacts
from analytics.runtime.shapes import ShapeDefinition

ZONE_BGR = (255, 191, 0)
LINE_BGR = (255, 0, 255)


def draw_zone(image: np.ndarray, zone: ShapeDefinition, facts: ZoneFacts | None) -> None:
    height, width = image.shape[:2]
    polygon = np.round(zone.pixels((width, height))).astype(np.int32)
    cv2.polylines(image, [polygon.reshape(-1, 1, 2)], True, ZONE_BGR, _thickness(width), cv2.LINE_8)
    inside = len(facts.members) if facts is not None else 0
    _label(image, f"{zone.name}: {inside}", polygon[0], ZONE_BGR)


def draw_line(image: np.ndarray, line: ShapeDefinition, totals: tuple[int, int]) -> None:
    height, width = image.shape[:2]
    start, end = np.round(line.pixels((width, height))).astype(np.int32)
    thickness = _thickness(width)
    cv2.line(image, tuple(start), tuple(end), LINE_BGR, thickness, cv2.LINE_AA)
    # An arrow from the middle towards the in side: right of first → second point in picture coordinates.
    direction = (end - start) / max(float(np.hypot(*(end - start))), 1.0)
    normal = np.array([-direction[1], direction[0]]) * (1 if line.in_side == "right" else -1)
    middle = (start + end) / 2
    tip = middle + normal * max(24, width // 40)
    cv2.arrowedLine(image, _pt(middle), _pt(tip), LINE_BGR, thickness, cv2.LINE_AA, tipLength=0.35)
    _label(image, f"{line.name}  in {totals[0]}  out {totals[1]}", start, LINE_BGR)


def line_totals(facts_totals: dict[str, dict[str, int]]) -> tuple[int, int]:
    return sum(facts_totals.get("in", {}).values()), sum(facts_totals.get("out", {}).values())


def _label(image: np.ndarray, text: str, at: np.ndarray, colour: tuple[int, int, int]) -> None:
    width = image.shape[1]
    scale = max(0.4, width / 1800)
    thickness = max(1, round(width / 1200))
    (tw, th), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    x = int(np.clip(at[0], 0, max(width - tw - 6, 0)))
    y = int(np.clip(at[1] - 8, th + 6, image.shape[0] - baseline - 2))
    cv2.rectangle(image, (x, y - th - 6), (x + tw + 6, y + baseline), colour, -1)
    cv2.putText(image, text, (x + 3, y - 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA)


def _thickness(width: int) -> int:
    return max(2, round(width / 400))


def _pt(point: np.ndarray) -> tuple[int, int]:
    return int(round(point[0])), int(round(point[1]))
