"""The suite's watchdog ends a hung run with the stuck test's name and frames at the bottom.

A CI log shows the tail of the output; faulthandler's dump ends with pytest's own frames, so
without the relay the one line that matters (which test, stuck where) is cut off.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.stuck_report import MARK

ROOT = Path(__file__).resolve().parents[2]


def _hang_script(folder: Path) -> Path:
    """A process that announces a test, then hangs in a function of a ``tests/`` file."""
    script = folder / "tests" / "hang_here.py"
    script.parent.mkdir()
    script.write_text(
        textwrap.dedent(f"""
            import faulthandler, sys, time

            def wait_forever():
                time.sleep(30)

            def run_test():
                print({MARK!r} + "tests/gui/test_x.py::test_hangs (call)", flush=True)
                print("ordinary output", flush=True)
                faulthandler.dump_traceback_later(0.5, exit=True, file=sys.stdout)
                wait_forever()

            run_test()
            """)
    )
    return script


def test_a_dump_ends_with_the_stuck_test_and_its_frames(tmp_path: Path) -> None:
    script = _hang_script(tmp_path)
    relay = subprocess.Popen(
        [sys.executable, "-m", "tests.support.stuck_report"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    hang = subprocess.run(
        [sys.executable, str(script)], stdout=relay.stdin, timeout=20, check=False
    )
    assert relay.stdin is not None
    relay.stdin.close()
    relay.stdin = None
    _, err = relay.communicate(timeout=20)
    text = err.decode()
    assert hang.returncode != 0  # the watchdog ended it
    assert MARK not in text  # the marks are not echoed
    assert "ordinary output" in text  # everything else is
    assert "Timeout (0:00:00" in text  # the dump itself, unchanged
    tail = text.strip().splitlines()[-6:]
    assert any("STUCK: tests/gui/test_x.py::test_hangs (call)" in line for line in tail), tail
    assert any("hang_here.py" in line and "wait_forever" in line for line in tail), tail


def test_no_dump_no_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.stuck_report"],
        input=f"{MARK}tests/a.py::test_b (call)\nall went well\n".encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=20,
        check=True,
    )
    assert done.stderr.decode() == "all went well\n"
