"""The soak's bookkeeping (bench/soak_report.py, bench/soak_tables.py): growth between the baseline and end
windows, each target's PASS or FAIL, and its place in docs/soak.md, on synthetic samples."""

from pathlib import Path

from bench import soak_report, soak_tables
from testbed.processes_tree import kind_of_child, kind_of_descendant

STREAMS = [{"name": "soak-1", "clip": "traffic_highway.mp4", "max_fps": 4.0},
           {"name": "soak-2", "clip": "city_traffic_1080p_vp9.mp4", "max_fps": 4.0}]  # fmt: skip


def _config(**changes: object) -> dict:
    return {"started": "2026-12-07 17:00 UTC", "minutes": 20, "sample_s": 60, "baseline_min": 5, "window_min": 5,
            "log_max_mb": 10.0, "log_keep": 3, "events_media_max_mb": 2048.0, "streams": STREAMS} | changes  # fmt: skip


def _sample(minute: int, *, pool_mb: float = 700.0, anon_mb: float | None = None, pool_fds: int = 550,
            fps: float = 3.0, log_mb: float = 1.0, files_mb: float = 0.0) -> dict:  # fmt: skip
    """`files_mb`: what every kind's share of file pages moved by (another process mapping the same libraries)."""
    anon_mb = 0.6 * pool_mb if anon_mb is None else anon_mb
    kinds = {
        "launcher": {"processes": 1, "pss_mb": 90.0 + files_mb, "pss_anon_mb": 20.0, "fds": 11},
        "pool": {"processes": 8, "pss_mb": pool_mb + files_mb, "pss_anon_mb": anon_mb, "fds": pool_fds},
    }
    kinds |= {k: {"processes": 0, "pss_mb": 0.0, "pss_anon_mb": 0.0, "fds": 0} for k in soak_report.KINDS
              if k not in kinds}  # fmt: skip
    disk = {"var_mb": 30.0 + minute, "logs_mb": log_mb, "parts": {"events": 1.0 * minute, "logs": log_mb},
            "log_families": {"logs/web.log": log_mb}}  # fmt: skip
    streams = {s["name"]: {"fps": fps if minute else None, "ws_fps": fps, "status": "running"} for s in STREAMS}
    return {"minute": minute, "at": "", "load": [1.5, 1.2, 1.0], "kinds": kinds, "disk": disk, "streams": streams,
            "events": {"raised": 10 * minute, "received": 10 * minute}}  # fmt: skip


def _run(samples: list[dict], lost: int = 0, **config: object) -> dict:
    machine = {"cores": 2, "cpu": "test CPU", "memory_gb": 8.0, "loadavg_start": (0.5, 0.4, 0.3)}
    end = {"raised": 200, "received": 200 - lost, "lost": lost, "drain_s": 2.0, "survivors": [], "restarts": {}}
    return {"config": _config(**config), "machine": machine, "samples": samples, "end": end}


def _verdicts(run: dict) -> list[bool]:
    return [t["ok"] for t in soak_report.targets(run)]


def test_a_steady_run_passes_every_target_and_start_up_growth_does_not_count():
    """GIVEN a pool whose PSS grows 40 % in the first five minutes (start-up) and then stays within 2 %, with one
    sample in the end window 10 % high (a pool process caught between buffers) WHEN judged THEN growth is
    measured from the baseline window's median to the end window's, and every target passes."""
    pss = [500, 560, 620, 660, 690, 700, 702, 698, 701, 703, 699, 700, 702, 701, 703, 700, 702, 770, 704, 703, 705]
    run = _run([_sample(m, pool_mb=mb) for m, mb in enumerate(pss)])
    assert _verdicts(run) == [True] * 6
    pool_base, pool_end = soak_report.per_kind(run["samples"], run["config"], "pss_mb")["pool"]
    assert (pool_base, pool_end) == (701, 704)
    assert round(soak_report.growth_pct(pool_base, pool_end), 2) == 0.43


def test_steady_growth_after_the_baseline_fails_both_memory_targets_and_names_the_kind():
    """GIVEN a pool that keeps growing by 1 % of its size a minute after start-up WHEN judged THEN both memory
    targets fail and name the pool with its growth between the windows' medians (714 → 791 MB); the others
    pass."""
    run = _run([_sample(m, pool_mb=700 * (1 + 0.01 * max(0, m - 5))) for m in range(21)])
    pss, anon, *others = soak_report.targets(run)
    assert not pss["ok"] and pss["detail"] == "largest: pool +10.8 % (714.0 → 791.0 MB)"
    assert not anon["ok"] and anon["detail"].startswith("largest: pool +10.8 %")
    assert all(t["ok"] for t in others)


def test_file_pages_moving_with_other_processes_fail_pss_but_not_the_memory_without_them():
    """GIVEN every kind's PSS 8 MB higher in the end window while their anonymous memory stays flat (other
    processes that mapped the same libraries exited) WHEN judged THEN PSS fails (the launcher +8.9 %) and PSS
    without file pages passes: the report tells a leak from the machine's other work."""
    run = _run([_sample(m, files_mb=8.0 if m > 15 else 0.0) for m in range(21)])
    assert _verdicts(run) == [False, True, True, True, True, True]


def test_a_small_kind_may_move_by_a_couple_of_megabytes():
    """GIVEN the launcher's memory without file pages 20 → 21.5 MB (+7.5 %, 1.5 MB) WHEN judged THEN it passes:
    growth is allowed up to 5 % or 2 MB, whichever is more."""
    assert soak_report.memory_kept(20.0, 21.5) and not soak_report.memory_kept(20.0, 22.5)
    assert soak_report.memory_kept(700.0, 735.0) and not soak_report.memory_kept(700.0, 736.0)


def test_fds_lost_events_slow_streams_and_an_oversized_log_each_fail_their_own_target():
    """GIVEN in turn: pool fds rising by 4 a minute, one event never received, a stream falling from 3 to 2 fps, and a
    log family at 50 MB (cap 40 MB) WHEN judged THEN exactly that target fails."""
    steady = [_sample(m) for m in range(21)]
    leaking_fds = [_sample(m, pool_fds=550 + 4 * m) for m in range(21)]
    slowing = [_sample(m, fps=3.0 if m < 15 else 2.0) for m in range(21)]
    big_log = [_sample(m, log_mb=50.0 if m == 12 else 1.0) for m in range(21)]
    assert _verdicts(_run(leaking_fds)) == [True, True, False, True, True, True]
    assert _verdicts(_run(steady, lost=1)) == [True, True, True, True, False, True]
    assert _verdicts(_run(slowing)) == [True, True, True, True, True, False]
    assert _verdicts(_run(big_log)) == [True, True, True, False, True, True]


def test_a_run_that_did_not_finish_is_not_judged_on_events_and_a_short_run_uses_what_it_has():
    """GIVEN a 3-minute run, interrupted before the outbox was compared WHEN judged THEN the events target fails
    as not judged, and the baseline is the first sample at or after the baseline minute."""
    run = _run([_sample(m) for m in range(4)], baseline_min=1, window_min=1)
    run["end"] = {"survivors": []}
    verdicts = {t["target"]: t for t in soak_report.targets(run)}
    assert not verdicts[soak_report.LOST_TARGET]["ok"]
    assert "not judged" in verdicts[soak_report.LOST_TARGET]["detail"]
    assert soak_report.baseline_window(run["samples"], run["config"]) == run["samples"][1:2]


def test_the_report_shows_the_verdict_the_growth_and_each_stream_asked_against_achieved():
    """GIVEN a steady run WHEN printed THEN it says PASS, has the pool's row and each stream's asked and achieved
    fps."""
    text = soak_tables.markdown(_run([_sample(m) for m in range(21)]))
    assert (
        "**PASS**" in text
        and "| pool | 8 | 700.0 / 700.0 / 700.0 | +0.0 % | 420.0 / 420.0 | +0.0 % | 550 / 550 / 550 |" in text
    )
    assert "| soak-2 | city_traffic_1080p_vp9.mp4 | 4 | 3.00 / 3.00 / 3.00 | 3.00 |" in text


def test_write_docs_replaces_only_the_run_between_the_markers(tmp_path: Path):
    """GIVEN docs/soak.md with prose and an earlier run WHEN a run is written THEN only the run is replaced."""
    page = tmp_path / "soak.md"
    page.write_text(f"# Soak\n\nHow to run it.\n\n{soak_report.BEGIN}\nold run\n{soak_report.END}\n\nAfter.\n")
    soak_report.write_docs(page, "new run\n")
    assert (
        page.read_text() == f"# Soak\n\nHow to run it.\n\n{soak_report.BEGIN}\nnew run\n{soak_report.END}\n\nAfter.\n"
    )


def test_the_launchers_children_are_sorted_into_kinds_by_command_line():
    """GIVEN the command lines the launcher starts (stack/commands.py, the embedded servers) WHEN classified THEN
    each lands in its kind, and below a stream worker's main process are its pool processes."""
    py, celery = "/repo/.venv/bin/python", ["/repo/.venv/bin/python", "-m", "celery", "-A", "workers.celery"]
    assert (
        kind_of_child([*celery, "worker", "-n", "streams@h", "-Q", "streams", "--pool", "prefork"]) == "stream worker"
    )
    assert kind_of_child([*celery, "worker", "-n", "control@h", "-Q", "control", "--pool", "solo"]) == "control"
    assert kind_of_child([*celery, "beat", "--scheduler", "workers.hosting.beat:LeasedScheduler"]) == "beat"
    assert kind_of_child([py, "/repo/manage.py", "deliver"]) == "deliverer"
    assert kind_of_child([py, "-m", "daphne", "-b", "127.0.0.1", "-p", "8000", "config.asgi:application"]) == "web"
    assert kind_of_child(["/v/bin/valkey-server 127.0.0.1:6399"]) == "valkey"
    assert kind_of_child(["/t/pytriton/tritonserver/bin/tritonserver", "--model-repository", "/r"]) == "triton"
    assert kind_of_descendant("stream worker") == "pool" and kind_of_descendant("triton") == "triton"
