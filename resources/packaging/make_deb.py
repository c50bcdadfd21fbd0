"""Package the PyInstaller build for Linux: a .deb, a .tar.gz, and their copyright file.

    .venv/bin/python resources/packaging/make_deb.py deb dist/VideoTranslator --out dist
    .venv/bin/python resources/packaging/make_deb.py tarball dist/VideoTranslator --out dist

(``make deb`` and ``make tarball``.) The .deb puts the bundle under ``/opt/videotranslator``,
links ``/usr/bin/videotranslator`` (the window) and ``/usr/bin/vt`` (the CLI: the same
executable, see build.spec) to it, and installs the desktop entry, the icons, a
machine-readable (DEP-5) copyright file, the changelog and both commands' man pages (rendered
from their own ``--help``, manpages.py) under ``/usr/share``; nothing else. It is built with
``dpkg-deb`` alone, offline. Its members are zstd-compressed (``--compression xz`` for tools
older than dpkg 1.21.18; lintian 2.116 calls zstd members malformed, but every dpkg that can
satisfy the libc6 (>= 2.36) dependency reads them).

The copyright file lists every bundled component with its licence (components.py: from the
manifest build.spec writes into the bundle and the build venv's distribution metadata); the
tarball carries the same file. A component whose licence cannot be told stops the build.

Build-time only: build.spec keeps this folder out of the bundle.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from components import (
    EXECUTABLE,
    INSTALL_DIR,
    PACKAGE,
    PackagingError,
    Project,
    copyright_text,
    read_manifest,
)
from manpages import Command, changelog, gzipped, man_page, release_time

ROOT = Path(__file__).resolve().parents[2]
#: /usr/bin names, both links to the executable; each gets a man page from its --help.
COMMANDS = (
    Command(
        "videotranslator",
        "translate the speech in videos into subtitles and dubbed tracks (the window)",
        extra=(("--worker",),),
    ),
    Command("vt", "translate the speech in videos from the command line", subcommands=True),
)
#: The broker, and the system libraries the bundle links but PyInstaller leaves out (readelf
#: NEEDED names found in no bundled file): glibc (GLIBC_2.36 is the newest symbol version
#: used), Qt's OpenGL/EGL, xcb and libdrm (FFmpeg). Wayland is recommended: without it Qt
#: falls back to X11 (XWayland).
DEPENDS = "rabbitmq-server, libc6 (>= 2.36), libegl1, libgl1, libxcb1, libdrm2"
RECOMMENDS = "espeak-ng, libwayland-client0, libwayland-cursor0, libwayland-egl1"
MAINTAINER = "VideoTranslator Desktop maintainers <maintainers@videotranslator.invalid>"
#: Top-level places a package may put files in; anything else is a packaging bug.
ALLOWED_ROOTS = (f"/{INSTALL_DIR}", "/usr/bin", "/usr/share")


# --- the .deb -------------------------------------------------------------------------------


def stage_deb(bundle: Path, stage: Path, project: Project, copyright_file: str) -> None:
    """Lay out the package's files and DEBIAN/ control data under ``stage``.

    Raises:
        PackagingError: the bundle has no executable, or a resource is missing.
    """
    if not (bundle / EXECUTABLE).is_file():
        raise PackagingError(f"{bundle} has no {EXECUTABLE} executable: run 'make dist' first")
    desktop = ROOT / "resources" / "linux" / f"{PACKAGE}.desktop"
    icons = ROOT / "resources" / "linux" / "icons" / "hicolor"
    if not desktop.is_file() or not icons.is_dir():
        raise PackagingError(f"missing {desktop} or {icons}")
    shutil.copytree(bundle, stage / INSTALL_DIR, symlinks=True)
    usr_bin = stage / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    for command in COMMANDS:
        (usr_bin / command.name).symlink_to(f"/{INSTALL_DIR}/{EXECUTABLE}")
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(desktop, share / "applications" / desktop.name)
    shutil.copytree(icons, share / "icons" / "hicolor")
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_file, encoding="utf-8")
    when = release_time(ROOT)
    (doc / "changelog.gz").write_bytes(gzipped(changelog_text(project, when)))
    man1 = share / "man" / "man1"
    man1.mkdir(parents=True)
    for command in COMMANDS:
        see = next(c.name for c in COMMANDS if c != command)
        page = man_page(bundle / EXECUTABLE, command, project.version, when, see)
        (man1 / f"{command.name}.1.gz").write_bytes(gzipped(page))
    _normalise_modes(stage)
    if stray := [p for p in stage.rglob("*") if not _allowed(p.relative_to(stage))]:
        raise PackagingError(f"files outside {', '.join(ALLOWED_ROOTS)}: {stray[:5]}")
    debian = stage / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "md5sums").write_text(_md5sums(stage), encoding="utf-8")
    (debian / "control").write_text(control_text(project, _installed_kib(stage)), "utf-8")


def changelog_text(project: Project, when: float) -> str:
    """The Debian changelog: the entry for this version (a native package's changelog.gz)."""
    summary = project.description[:1].lower() + project.description[1:]
    changes = (
        f"VideoTranslator Desktop {project.version}: {summary}. One self-contained build in"
        f" /{INSTALL_DIR}: the window (videotranslator), its workers (videotranslator"
        " --worker) and the headless CLI (vt), with their man pages."
    )
    return changelog(PACKAGE, project.version, MAINTAINER, when, changes)


def _allowed(path: Path) -> bool:
    """Inside an allowed place, or one of the folders above one."""
    name = "/" + path.as_posix()
    return any(
        name == r or name.startswith(r + "/") or r.startswith(name + "/") for r in ALLOWED_ROOTS
    )


def control_text(project: Project, installed_kib: int) -> str:
    """The DEBIAN/control file."""
    summary, _, rest = project.description.partition(", ")
    return "\n".join(
        [
            f"Package: {PACKAGE}",
            f"Version: {project.version}",
            "Architecture: amd64",
            f"Maintainer: {MAINTAINER}",
            f"Installed-Size: {installed_kib}",
            f"Depends: {DEPENDS}",
            f"Recommends: {RECOMMENDS}",
            "Section: video",
            "Priority: optional",
            f"Description: {summary[:78]}",
            f" {(rest or summary)[0].upper()}{(rest or summary)[1:]}. The desktop app (the",
            " 'videotranslator' command) and the headless CLI ('vt') in one self-contained",
            " build with its own Python; speech models are downloaded on first use.",
            "",
        ]
    )


def _normalise_modes(stage: Path) -> None:
    """Directories 0755, executables 0755, everything else 0644 (umask-independent)."""
    for path in [stage, *stage.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(0o755 if path.is_dir() or mode & 0o111 else 0o644)


def _md5sums(stage: Path) -> str:
    lines = []
    for path in sorted(stage.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {path.relative_to(stage).as_posix()}\n")
    return "".join(lines)


def _installed_kib(stage: Path) -> int:
    total = sum(p.lstat().st_size for p in stage.rglob("*") if not p.is_dir())
    return (total + 1023) // 1024


def build_deb(bundle: Path, out_dir: Path, project: Project, compression: str = "zstd") -> Path:
    """Build ``<out_dir>/videotranslator_<version>_amd64.deb`` from a one-folder bundle.

    Raises:
        PackagingError: the bundle or its manifest is missing, a licence is unknown, or
            dpkg-deb failed (its message included).
    """
    copyright_file = copyright_text(read_manifest(bundle), project)
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{project.version}_amd64.deb"
    with tempfile.TemporaryDirectory(prefix="vt-deb-", dir=out_dir) as tmp:
        stage = Path(tmp) / "root"
        stage_deb(bundle, stage, project, copyright_file)
        _run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", stage, deb])
    return deb


def _run(cmd: Sequence[str | Path]) -> str:
    try:
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise PackagingError(f"{cmd[0]} is not installed: {exc}") from exc
    if done.returncode != 0:
        raise PackagingError(
            f"{' '.join(map(str, cmd[:3]))}… failed ({done.returncode}): {done.stderr.strip()}"
        )
    return done.stdout


# --- the .tar.gz ----------------------------------------------------------------------------

INSTALL_NOTE = """\
VideoTranslator Desktop {version}, Linux x86_64: a self-contained build (no Python needed)

Needs: rabbitmq-server (for local mode; or use a remote broker), espeak-ng (dubbing voices).
On Debian/Ubuntu the .deb package installs all of this for you instead.

Install for yourself (no root):

    mkdir -p ~/.local/opt ~/.local/bin ~/.local/share
    cp -r {folder} ~/.local/opt/videotranslator
    ln -sf ~/.local/opt/videotranslator/VideoTranslator ~/.local/bin/videotranslator
    ln -sf ~/.local/opt/videotranslator/VideoTranslator ~/.local/bin/vt
    cp -r ~/.local/opt/videotranslator/share/applications ~/.local/share/
    cp -r ~/.local/opt/videotranslator/share/icons ~/.local/share/
    videotranslator --smoke        # optional: checks the install headless, then exits

'videotranslator' opens the window; 'vt' (the same executable under another name) is the
headless CLI: vt translate VIDEO --to de. ~/.local/bin must be on PATH.
Licences of everything bundled: share/doc/videotranslator/copyright.
Manual pages: man -l share/man/man1/videotranslator.1.gz (and vt.1.gz).
Uninstall: remove ~/.local/opt/videotranslator, the two links, and
~/.local/share/applications/videotranslator.desktop.
"""


def build_tarball(bundle: Path, out_dir: Path, project: Project) -> Path:
    """``<out_dir>/videotranslator-<version>-linux-x86_64.tar.gz``: the folder, a ``vt`` link,
    the desktop entry, icons, copyright file and an INSTALL note.

    Raises:
        PackagingError: the bundle, its manifest or a resource is missing.
    """
    copyright_file = copyright_text(read_manifest(bundle), project)
    folder = f"{PACKAGE}-{project.version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    tarball = out_dir / f"{folder}-linux-x86_64.tar.gz"
    with tempfile.TemporaryDirectory(prefix="vt-tar-", dir=out_dir) as tmp:
        stage = Path(tmp) / "root"
        stage_deb(bundle, stage, project, copyright_file)
        top = Path(tmp) / folder
        (stage / INSTALL_DIR).rename(top)
        (top / "vt").symlink_to(EXECUTABLE)
        shutil.move(stage / "usr" / "share", top / "share")
        (top / "INSTALL.txt").write_text(
            INSTALL_NOTE.format(version=project.version, folder=folder), encoding="utf-8"
        )
        with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
            tar.add(top, arcname=folder, filter=_root_owned)
    return tarball


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """``make_deb.py deb|tarball BUNDLE [--out DIR]``; prints the file it wrote."""
    ap = argparse.ArgumentParser(prog="make_deb.py", description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("deb", "tarball", "copyright"))
    ap.add_argument("bundle", type=Path, help="the one-folder build, e.g. dist/VideoTranslator")
    ap.add_argument("--out", type=Path, default=Path("dist"), help="output folder (dist)")
    ap.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    ap.add_argument(
        "--compression",
        default="zstd",
        help="dpkg-deb -Z: zstd (default), xz (smaller, far slower), gzip",
    )
    args = ap.parse_args(argv)
    try:
        project = Project.read(args.pyproject)
        if args.what == "copyright":
            sys.stdout.write(copyright_text(read_manifest(args.bundle), project))
            return 0
        if args.what == "deb":
            made = build_deb(args.bundle, args.out, project, args.compression)
        else:
            made = build_tarball(args.bundle, args.out, project)
    except PackagingError as exc:
        print(f"make_deb.py: {exc}", file=sys.stderr)
        return 1
    print(f"{made} ({made.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
