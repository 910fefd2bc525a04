"""Tracking, zones and lines on the frame path: analysers (core/frames.py) fed each frame's detections,
its capture time and its size, whose per-frame facts are in analytics/runtime/facts.py (docs/analytics.md)."""
