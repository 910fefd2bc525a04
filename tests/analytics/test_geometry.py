"""Shapes an operator can draw (analytics/geometry.py): what is refused, and the message that says why."""

import pytest
from django.core.exceptions import ValidationError

from analytics.geometry import validate_line_points, validate_zone_points

SQUARE = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]]


@pytest.mark.parametrize(
    ("points", "says"),
    [
        ([[0.1, 0.1], [0.5, 0.5]], "at least 3 points"),
        ([[0.2, 0.2], [0.8, 0.8], [0.8, 0.2], [0.2, 0.8]], "crosses itself"),  # a bow tie
        ([[0.1, 0.1], [0.5, 0.5], [0.9, 0.9]], "no area"),
        ([[0.1, 0.1], [0.5, 0.1], [0.3, 0.1], [0.3, 0.5]], "crosses itself"),  # runs back along an edge
        ([[0.1, 0.1], [1.2, 0.1], [0.5, 0.5]], "outside the frame"),
        ([[0.1, -0.01], [0.9, 0.1], [0.5, 0.5]], "outside the frame"),
        ([[0.1, 0.1], [0.1, 0.1], [0.5, 0.5], [0.1, 0.6]], "same point"),
        ([[0.1, "a"], [0.9, 0.1], [0.5, 0.5]], "pair of numbers"),
        ("0.1,0.1", "list of [x, y] pairs"),
    ],
)
def test_bad_zones_are_refused_with_the_reason(points, says):
    """GIVEN a zone outline that is not a simple polygon inside the frame WHEN validated THEN a ValidationError
    says what is wrong."""
    with pytest.raises(ValidationError) as error:
        validate_zone_points(points)
    assert says in " ".join(error.value.messages)


def test_simple_polygons_pass_in_either_winding_including_concave_ones():
    """GIVEN a square (both windings) and a concave L shape WHEN validated THEN they pass."""
    validate_zone_points(SQUARE)
    validate_zone_points(SQUARE[::-1])
    validate_zone_points([[0.1, 0.1], [0.6, 0.1], [0.6, 0.3], [0.3, 0.3], [0.3, 0.8], [0.1, 0.8]])


@pytest.mark.parametrize(
    ("points", "says"),
    [
        ([[0.5, 0.5], [0.5, 0.5]], "zero length"),
        ([[0.5, 0.5], [0.505, 0.5]], "zero length"),
        ([[0.1, 0.5]], "exactly 2 points"),
        ([[0.1, 0.5], [0.9, 0.5], [0.9, 0.9]], "exactly 2 points"),
        ([[0.1, 0.5], [1.5, 0.5]], "outside the frame"),
    ],
)
def test_bad_lines_are_refused_with_the_reason(points, says):
    """GIVEN a line of no length, of the wrong number of points or leaving the frame WHEN validated THEN a
    ValidationError says so; a plain line passes."""
    with pytest.raises(ValidationError) as error:
        validate_line_points(points)
    assert says in " ".join(error.value.messages)
    validate_line_points([[0.1, 0.5], [0.9, 0.5]])
