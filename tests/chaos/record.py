"""What the repeated kills measured: recovery seconds per database and process kind, and every failure with the
end of the logs around it. Printed at the end of the run; written to CHAOS_REPORT as Markdown when it is set."""

import os
import platform
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LOG_LINES = 40


@dataclass
class Failure:
    database: str
    kind: str
    attempt: int
    error: str
    logs: dict[str, str]


@dataclass
class ChaosRecord:
    recoveries: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def recovered(self, database: str, kind: str, seconds: float) -> None:
        self.recoveries[(database, kind)].append(seconds)
        self.load.append(os.getloadavg()[0])

    def failed(self, database: str, kind: str, attempt: int, error: BaseException, log_dir: Path) -> None:
        logs = {path.name: _tail(path) for path in sorted(log_dir.glob("*.log"))}
        self.failures.append(Failure(database, kind, attempt, f"{type(error).__name__}: {error}"[:600], logs))

    def table(self) -> list[str]:
        rows = ["| database | killed | tries | failed | p50 s | p95 s | max s |", "|---|---|---:|---:|---:|---:|---:|"]
        failed = defaultdict(int)
        for failure in self.failures:
            failed[(failure.database, failure.kind)] += 1
        for (database, kind), seconds in self.recoveries.items():
            tries = len(seconds) + failed[(database, kind)]
            rows.append(f"| {database} | {kind} | {tries} | {failed[(database, kind)]} | {_p(seconds, 50)} | "
                        f"{_p(seconds, 95)} | {max(seconds):.2f} |")  # fmt: skip
        for (database, kind), count in failed.items():
            if (database, kind) not in self.recoveries:
                rows.append(f"| {database} | {kind} | {count} | {count} | – | – | – |")
        return rows

    def markdown(self) -> str:
        minutes = (time.time() - self.started) / 60
        load = f"{statistics.mean(self.load):.2f} mean, {max(self.load):.2f} max" if self.load else "n/a"
        lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.started))}, {minutes:.0f} min, on "
                 f"{os.cpu_count()} cores ({platform.machine()}); 1-minute load average at the kills: {load}.", "",
                 *self.table(), ""]  # fmt: skip
        for failure in self.failures:
            lines += [f"### Failure: {failure.database}, {failure.kind}, try {failure.attempt}", "",
                      f"`{failure.error}`", ""]  # fmt: skip
            for name, text in failure.logs.items():
                lines += [f"<details><summary>{name} (last {LOG_LINES} lines)</summary>", "", "```", text, "```",
                          "</details>", ""]  # fmt: skip
        return "\n".join(lines)


def _p(values: list[float], percent: int) -> str:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))
    return f"{ordered[index]:.2f}"


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(line[:300] for line in lines[-LOG_LINES:])


def write_report(record: ChaosRecord, path: Path) -> None:
    """Replaces the section of `path` that a run on the same databases wrote (between its markers), or appends
    one: a run on SQLite alone and one on PostgreSQL alone each keep their own section."""
    databases = ",".join(sorted({database for database, _ in record.recoveries} |
                                {failure.database for failure in record.failures}))  # fmt: skip
    begin, end = f"<!-- chaos-report {databases} -->", f"<!-- /chaos-report {databases} -->"
    body = f"{begin}\n{record.markdown()}\n{end}"
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + body + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    path.write_text(text)
