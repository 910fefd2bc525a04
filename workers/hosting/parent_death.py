"""A process that must not outlive its parent. Stream workers use it in every pool process, in production as
under the launcher; the launcher (`stack.processes`) uses it for the children it spawns."""

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only; no-op elsewhere)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
