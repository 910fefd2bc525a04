"""Tracking, zones and lines on the frame path: analysers (workers/frame_path.py) fed each frame's detections,
its capture time and its size, whose per-frame facts are in workers/analytics/facts.py (docs/analytics.md)."""
