"""Relay for the suite's watchdog: passes its output to the terminal and names a stuck test.

When a test hangs inside Qt or another C library, the watchdog in ``tests/conftest.py`` writes
every thread's stack and ends the run. That dump is long (a pytest stack is ~40 frames), and a
CI log shows only its tail: the frames that say *which* test hung and *where* are the first to
be cut. The suite therefore writes its watchdog output through this process, which copies it
to the terminal unchanged and, when the stream ends after a dump, adds a short summary: the
test that was running, the phase, and the frames of the project's own code in each thread.

Protocol on stdin: lines starting with :data:`MARK` say what runs now (``MARK + "call
tests/x.py::test_y"``) and are not echoed; everything else is echoed as is.
"""

from __future__ import annotations

import signal
import sys

MARK = "@@vt-running "
#: faulthandler's first line of a watchdog dump: ``Timeout (0:07:00)!``.
DUMP_START = "Timeout ("
#: Folders whose frames the summary keeps (the project's own code).
OWN = ("/tests/", "/vt_desktop/", "/worker/", "/bench/")
FRAMES_PER_THREAD = 6
THREADS_SHOWN = 3


def summarise(running: str, dump: list[str]) -> list[str]:
    """The lines to print after a dump: what ran, and where each thread stood in our code."""
    threads: list[tuple[str, list[str]]] = []
    for line in dump:
        text = line.rstrip("\n")
        if text.startswith(("Thread 0x", "Current thread 0x")):
            threads.append((text.split(" (")[0], []))
        elif text.strip().startswith("File ") and threads:
            threads[-1][1].append(text.strip())
    out = [
        "",
        "=" * 70,
        f"STUCK: {running or 'outside any test'} — the watchdog ended the run. {dump[0].strip()}",
    ]
    # faulthandler lists the newest thread first; the main thread (the test's) is the last.
    shown = 0
    for name, frames in reversed(threads):
        own = [f for f in frames if any(p in f for p in OWN) and "site-packages" not in f]
        if not own and shown:
            continue
        innermost = frames[0] if frames else "(no Python frame)"
        out.append(f"{name}: innermost {innermost}")
        out.extend(f"    {f}" for f in own[:FRAMES_PER_THREAD])
        shown += 1
        if shown >= THREADS_SHOWN:
            break
    out.append("=" * 70)
    return out


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for pytest; we end at its EOF
    running = ""
    dump: list[str] = []
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(MARK):
            running = line[len(MARK) :].strip()
            continue
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.startswith(DUMP_START):
            dump = []
        if line.startswith(DUMP_START) or dump:
            dump.append(line)
    if dump:
        sys.stderr.write("\n".join(summarise(running, dump)) + "\n")
        sys.stderr.flush()


if __name__ == "__main__":
    main()
