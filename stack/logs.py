"""The children's logs under var/logs/ (and Triton's and Valkey's), rotated by size so months of running stay
under a cap: `name.log` plus at most `keep` older files `name.log.1` (newest) … `name.log.<keep>`.

A child writes its log through a file descriptor opened with O_APPEND, which it keeps: the log is copied to
`.1` and then truncated in place (logrotate's copytruncate), so the child goes on writing at the start of the
same file. What a child writes between the copy and the truncation (microseconds) is lost."""

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogRotation:
    max_bytes: int  # a log larger than this is rotated
    keep: int  # rotated files kept beside it; the cap per log is (keep + 1) × max_bytes, plus one write

    def rotate_if_large(self, path: Path) -> bool:
        """Rotate `path` if it grew past max_bytes; True if it did."""
        try:
            if path.stat().st_size <= self.max_bytes:
                return False
        except FileNotFoundError:
            return False
        for index in range(self.keep - 1, 0, -1):
            older = _numbered(path, index)
            if older.exists():
                older.replace(_numbered(path, index + 1))
        if self.keep > 0:
            shutil.copyfile(path, _numbered(path, 1))
        with open(path, "r+b") as log:
            log.truncate(0)
        logger.info("Rotated %s (over %.1f MB; %d kept)", path, self.max_bytes / 2**20, self.keep)
        return True


def _numbered(path: Path, index: int) -> Path:
    return path.with_name(f"{path.name}.{index}")
