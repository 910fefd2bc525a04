"""The analytics scene the benchmarks run: a tracker, 2 lines and 3 zones drawn on the highway clip."""


def highway_scene() -> tuple:
    """Tracker, 2 lines and 3 zones on the highway clip, as the sink runs them (fresh state each call)."""
    from analytics.runtime.counting import LinesAnalyser, ZonesAnalyser
    from analytics.runtime.ledger import CountLedger
    from analytics.runtime.lines import LineCounter
    from analytics.runtime.shapes import ShapeDefinition as Shape
    from analytics.runtime.tracking import TrackerAnalyser
    from analytics.runtime.zones import ZoneCounter

    ledger = CountLedger()
    lines = {1: Shape(1, "across", ((0.16, 0.5), (0.84, 0.5))), 2: Shape(2, "near", ((0.05, 0.8), (0.95, 0.8)))}
    zones = {
        3: Shape(3, "left lanes", ((0.2, 0.4), (0.5, 0.4), (0.45, 0.95), (0.05, 0.95))),
        4: Shape(4, "right lanes", ((0.5, 0.4), (0.78, 0.4), (0.95, 0.95), (0.45, 0.95))),
        5: Shape(5, "far", ((0.3, 0.05), (0.6, 0.05), (0.65, 0.35), (0.25, 0.35))),
    }
    return (TrackerAnalyser(), LinesAnalyser({k: LineCounter(v) for k, v in lines.items()}, ledger),
            ZonesAnalyser({k: ZoneCounter(v) for k, v in zones.items()}, ledger))  # fmt: skip
