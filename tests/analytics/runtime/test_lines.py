"""A line's counter on synthetic tracks (analytics/runtime/lines.py): hysteresis, id switches, flicker and the
line's ends. The line runs across the middle of a 1000×1000 frame, left to right; its in side is below."""

from analytics.runtime.lines import LineCounter
from analytics.runtime.shapes import ShapeDefinition
from tests.analytics.runtime.synthetic import frame, path, run, steps

LINE = ShapeDefinition(id=7, name="gate", points=((0.1, 0.5), (0.9, 0.5)), in_side="right")


def crossings(facts: list) -> list[tuple[int, str]]:
    return [(c.tracker_id, c.direction) for f in facts for c in f.crossings]


def test_an_object_crossing_downwards_counts_once_in_with_its_id_class_and_time():
    """GIVEN an object moving from above the line to below it WHEN the counter sees it frame by frame THEN it
    counts one 'in' crossing, with the track's id and class and the time of the frame that confirmed it."""
    facts = run(LineCounter(LINE), path(3, steps(300, 700, 9), class_name="truck"))
    found = [c for f in facts for c in f.crossings]
    assert [(c.tracker_id, c.class_name, c.direction, c.line_id, c.line_name) for c in found] == [
        (3, "truck", "in", 7, "gate")
    ]
    assert found[0].at == 100.0 + 6 / 10  # 550 is the first point below the margin, 600 confirms it


def test_the_other_direction_counts_out_and_the_in_side_can_be_flipped():
    """GIVEN an object moving up across the line WHEN counted with the in side below, then above THEN it is
    'out', then 'in'."""
    upwards = path(1, steps(700, 300, 9))
    assert crossings(run(LineCounter(LINE), upwards)) == [(1, "out")]
    flipped = ShapeDefinition(**{**LINE.__dict__, "in_side": "left"})
    assert crossings(run(LineCounter(flipped), upwards)) == [(1, "in")]


def test_an_object_moving_along_the_line_never_counts():
    """GIVEN an object that travels the whole length of the line, its anchor wobbling within the margin of the
    line WHEN counted THEN nothing counts."""
    frames = [frame((1, x, 500 + (6 if i % 2 else -6))) for i, x in enumerate(steps(50, 950, 40))]
    assert crossings(run(LineCounter(LINE), frames)) == []


def test_jitter_on_the_edge_after_a_crossing_counts_once():
    """GIVEN an object that comes down to the line, jitters across it (within the margin, and by single frames
    beyond it) for 30 frames, then moves on below WHEN counted THEN it counts exactly one 'in'."""
    ys = steps(300, 495, 5) + [490, 510, 505, 492] * 5 + [485, 530, 480, 525] * 3 + steps(520, 700, 5)
    assert crossings(run(LineCounter(LINE), path(1, ys))) == [(1, "in")]


def test_going_back_over_the_line_counts_out_once_it_is_confirmed_on_the_other_side():
    """GIVEN an object that crosses down, then later (same id) comes back up beyond the margin WHEN counted
    THEN one 'in' then one 'out': a real return, not jitter."""
    ys = steps(300, 700, 9) + steps(650, 300, 8)
    assert crossings(run(LineCounter(LINE), path(1, ys))) == [(1, "in"), (1, "out")]


def test_leaving_and_coming_back_with_the_same_id_counts_the_crossing_made_unseen():
    """GIVEN an object above the line that the detector loses for a second (no box at all) and that comes back
    below the line under the same tracker id WHEN counted THEN the crossing it made unseen counts once."""
    frames = path(4, steps(200, 450, 4)) + [frame()] * 10 + path(4, steps(600, 800, 4))
    assert crossings(run(LineCounter(LINE), frames)) == [(4, "in")]


def test_an_id_switch_mid_crossing_counts_once():
    """GIVEN an object whose tracker id changes from 1 to 2 while its anchor is on the line WHEN it carries on
    below THEN one crossing counts (the new id continues the old one's side), under the new id."""
    frames = path(1, steps(300, 495, 5)) + path(2, [505, 560, 620, 700])
    assert crossings(run(LineCounter(LINE), frames)) == [(2, "in")]


def test_an_id_switch_after_the_crossing_does_not_count_again():
    """GIVEN an object that crossed under id 1 and is then tracked as id 2, near the line and beyond it
    WHEN counted THEN there is still one crossing."""
    frames = path(1, steps(300, 600, 7)) + path(2, [520, 530, 600, 700])
    assert crossings(run(LineCounter(LINE), frames)) == [(1, "in")]


def test_a_flickering_track_counts_once():
    """GIVEN an object whose box is missing every other frame while it crosses WHEN counted THEN one crossing."""
    frames = [frame((5, 500, y)) if i % 2 == 0 else frame() for i, y in enumerate(steps(300, 700, 17))]
    assert crossings(run(LineCounter(LINE), frames)) == [(5, "in")]


def test_detections_the_tracker_has_not_confirmed_never_count():
    """GIVEN boxes with tracker id -1 (unconfirmed) moving across the line WHEN counted THEN nothing counts and
    nothing is remembered of them."""
    counter = LineCounter(LINE)
    run(counter, path(-1, steps(300, 700, 9)))
    assert len(counter.memory) == 0


def test_passing_beyond_the_ends_of_the_line_does_not_count():
    """GIVEN an object crossing the line's height to the left of its first point (x = 50 px, the line starts at
    100) WHEN counted THEN nothing counts; the same crossing at x = 150 counts."""
    assert crossings(run(LineCounter(LINE), path(1, steps(300, 700, 9), x=50))) == []
    assert crossings(run(LineCounter(LINE), path(1, steps(300, 700, 9), x=150))) == [(1, "in")]


def test_only_the_line_classes_count():
    """GIVEN a line that counts cars WHEN a truck and a car cross THEN only the car counts."""
    cars = ShapeDefinition(**{**LINE.__dict__, "classes": frozenset({"car"})})
    frames = [frame((1, 300, y, "truck"), (2, 600, y, "car")) for y in steps(300, 700, 9)]
    assert crossings(run(LineCounter(cars), frames)) == [(2, "in")]


def test_a_redefined_line_keeps_what_it_knows_of_each_track():
    """GIVEN an object above the line WHEN the line is renamed (an edit while the stream runs) and the object
    then crosses THEN the crossing counts under the new name: the track's side survived the edit."""
    counter = LineCounter(LINE)
    run(counter, path(1, steps(300, 450, 3)))
    counter.redefine(ShapeDefinition(**{**LINE.__dict__, "name": "gate B"}))
    facts = run(counter, path(1, steps(550, 700, 3)), start=101.0)
    assert [(c.line_name, c.direction) for f in facts for c in f.crossings] == [("gate B", "in")]


def test_a_crossing_made_while_frames_were_dropped_counts_once_under_the_new_id():
    """GIVEN an object moving fast down the picture, lost during half a second of dropped frames, that the
    tracker picks up again under a new id far below the line, on the way it was going WHEN counted THEN its
    crossing counts once; an object of the same class appearing off that way (another lane) inherits nothing."""
    before = path(1, [150, 250, 350])
    assert crossings(run(LineCounter(LINE), before + [frame()] * 5 + path(2, [900, 950]))) == [(2, "in")]
    assert crossings(run(LineCounter(LINE), before + [frame()] * 5 + path(3, [900, 950], x=900))) == []
