"""Checks of zone and line shapes, in coordinates relative to the frame (0..1 on both axes).

Shapes are stored relative so that they survive a change of resolution; what is wrong with one is said in
words an operator can act on. Pure functions: the models' validators, the services and the tests call them.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError

Point = tuple[float, float]
MIN_LINE_LENGTH = 0.01  # 1 % of the frame: anything shorter is a slip of the mouse, not a line
MIN_ZONE_AREA = 1e-4  # 0.01 % of the frame (about 10 × 10 px at 1280 × 720)
MAX_POINTS = 100


def parse_points(value: object) -> list[Point]:
    """[[x, y], ...] with numbers in 0..1, else ValidationError saying which point is wrong and why."""
    if not isinstance(value, list | tuple):
        raise ValidationError("Points must be a list of [x, y] pairs.")
    if len(value) > MAX_POINTS:
        raise ValidationError(f"At most {MAX_POINTS} points.")
    points: list[Point] = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, list | tuple) or len(item) != 2 or not all(_is_number(c) for c in item):
            raise ValidationError(f"Point {index} must be a pair of numbers [x, y].")
        x, y = float(item[0]), float(item[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValidationError(
                f"Point {index} ({x:g}, {y:g}) is outside the frame: coordinates are relative, from 0 to 1."
            )
        points.append((x, y))
    return points


def validate_zone_points(value: object) -> None:
    points = parse_points(value)
    if len(points) < 3:
        raise ValidationError(f"A zone needs at least 3 points; it has {len(points)}.")
    if any(_same(points[i], points[i - 1]) for i in range(len(points))):
        raise ValidationError("Two consecutive points of the zone are the same point.")
    if all(abs(_cross(points[0], points[1], point)) < 1e-9 for point in points[2:]):
        raise ValidationError("The zone has no area: its points are on one line.")
    crossing = first_self_intersection(points)
    if crossing is not None:
        a, b = crossing
        raise ValidationError(
            f"The zone's outline crosses itself (edge {a + 1}–{a + 2 if a + 2 <= len(points) else 1} meets "
            f"edge {b + 1}–{b + 2 if b + 2 <= len(points) else 1}); place the points in order around the area."
        )
    if abs(polygon_area(points)) < MIN_ZONE_AREA:
        raise ValidationError("The zone has no area: its points are too close together.")


def validate_line_points(value: object) -> None:
    points = parse_points(value)
    if len(points) != 2:
        raise ValidationError(f"A line has exactly 2 points; it has {len(points)}.")
    (x1, y1), (x2, y2) = points
    if ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 < MIN_LINE_LENGTH:
        raise ValidationError("The line has (almost) zero length: its two points are the same.")


def polygon_area(points: Sequence[Point]) -> float:
    """Signed area (shoelace formula)."""
    return 0.5 * sum(
        points[i - 1][0] * points[i][1] - points[i][0] * points[i - 1][1] for i in range(len(points))
    )


def first_self_intersection(points: Sequence[Point]) -> tuple[int, int] | None:
    """Indices (a, b) of the first two edges that touch, other than neighbours at their shared corner."""
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for a in range(n):
        for b in range(a + 1, n):
            if b == a + 1 or (a == 0 and b == n - 1):
                if _folds_back(edges[a], edges[b]):
                    return a, b
                continue
            if segments_touch(*edges[a], *edges[b]):
                return a, b
    return None


def segments_touch(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True if the closed segments p1p2 and q1q2 share a point."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4):
        return True
    return any(
        d == 0 and _on_segment(a, b, c)
        for d, a, b, c in ((d1, q1, q2, p1), (d2, q1, q2, p2), (d3, p1, p2, q1), (d4, p1, p2, q2))
    )


def _folds_back(edge_a: tuple[Point, Point], edge_b: tuple[Point, Point]) -> bool:
    """Neighbouring edges that run back along each other (A → B → a point on AB) overlap, not just touch."""
    shared = set(edge_a) & set(edge_b)
    if not shared:
        return False
    corner = shared.pop()
    a_end = edge_a[0] if edge_a[1] == corner else edge_a[1]
    b_end = edge_b[0] if edge_b[1] == corner else edge_b[1]
    if _cross(corner, a_end, b_end) != 0:
        return False
    return (a_end[0] - corner[0]) * (b_end[0] - corner[0]) + (a_end[1] - corner[1]) * (b_end[1] - corner[1]) > 0


def _cross(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, c: Point) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def _same(a: Point, b: Point) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN
