"""Write cues as SRT, WebVTT or styled ASS subtitle files (via pysubs2), atomically.

ASS files carry a readable default style (white text with a black outline, bottom centre,
safe margins) that :class:`AssStyle` lets the user tweak; the same style header is what
soft-subtitle tracks and burned-in subtitles use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from vt_desktop.core.subtitles.atomic import write_text_atomic
from vt_desktop.core.subtitles.model import Cue

__all__ = [
    "SUBTITLE_FORMATS",
    "AssStyle",
    "ass_header",
    "cues_to_ssafile",
    "write_ass",
    "write_srt",
    "write_subtitles",
    "write_vtt",
]

log = logging.getLogger(__name__)

SUBTITLE_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass"}
STYLE_NAME = "Default"

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class AssStyle:
    """How ASS subtitles look. Sizes are in script pixels of a ``play_res`` canvas.

    Colours are (red, green, blue, alpha) with alpha 0 = opaque, 255 = invisible (the ASS
    convention). ``alignment`` is the numpad position: 2 = bottom centre.
    """

    font_name: str = "Arial"
    font_size: float = 56.0
    bold: bool = False
    primary_colour: RGBA = (255, 255, 255, 0)
    outline_colour: RGBA = (0, 0, 0, 0)
    shadow_colour: RGBA = (0, 0, 0, 128)
    outline: float = 3.0
    shadow: float = 1.0
    alignment: int = 2
    margin_left: int = 96
    margin_right: int = 96
    margin_vertical: int = 54
    play_res: tuple[int, int] = (1920, 1080)

    def __post_init__(self) -> None:
        if not 1 <= self.alignment <= 9:
            raise ValueError(f"alignment must be a numpad position 1-9, got {self.alignment}")
        if self.font_size <= 0:
            raise ValueError(f"font_size must be positive, got {self.font_size}")
        if min(self.play_res) <= 0:
            raise ValueError(f"play_res must be positive, got {self.play_res}")
        for name in ("primary_colour", "outline_colour", "shadow_colour"):
            colour = getattr(self, name)
            if len(colour) != 4 or any(not 0 <= part <= 255 for part in colour):
                raise ValueError(f"{name} must be four values 0-255, got {colour!r}")

    def to_ssastyle(self) -> pysubs2.SSAStyle:
        """This style as a pysubs2 style."""
        return pysubs2.SSAStyle(
            fontname=self.font_name,
            fontsize=self.font_size,
            bold=self.bold,
            primarycolor=pysubs2.Color(*self.primary_colour),
            outlinecolor=pysubs2.Color(*self.outline_colour),
            backcolor=pysubs2.Color(*self.shadow_colour),
            outline=self.outline,
            shadow=self.shadow,
            alignment=pysubs2.Alignment(self.alignment),
            marginl=self.margin_left,
            marginr=self.margin_right,
            marginv=self.margin_vertical,
        )


def cues_to_ssafile(cues: Sequence[Cue], style: AssStyle | None = None) -> pysubs2.SSAFile:
    """Build a pysubs2 document from cues, styled with ``style`` (the default when None)."""
    style = style or AssStyle()
    document = pysubs2.SSAFile()
    document.info["PlayResX"] = str(style.play_res[0])
    document.info["PlayResY"] = str(style.play_res[1])
    document.info["ScaledBorderAndShadow"] = "yes"
    document.info["WrapStyle"] = "2"  # our line breaks only: the layout already chose them
    document.styles = {STYLE_NAME: style.to_ssastyle()}
    for cue in cues:
        event = pysubs2.SSAEvent(
            start=round(cue.start * 1000), end=round(cue.end * 1000), style=STYLE_NAME
        )
        event.plaintext = cue.text
        document.events.append(event)
    return document


def ass_header(style: AssStyle | None = None) -> str:
    """The ASS ``[Script Info]``, ``[V4+ Styles]`` and ``[Events]`` header with no events.

    Muxers need it for ``ass`` and ``mov_text`` subtitle streams.
    """
    return cues_to_ssafile([], style).to_string("ass")


def _write(cues: Sequence[Cue], path: Path, format_: str, style: AssStyle | None) -> Path:
    text = cues_to_ssafile(cues, style).to_string(format_)
    write_text_atomic(Path(path), text)
    log.info("wrote %d cues to %s", len(cues), path)
    return Path(path)


def write_srt(cues: Sequence[Cue], path: Path) -> Path:
    """Write cues as SubRip (``.srt``), atomically. Returns the path."""
    return _write(cues, path, "srt", None)


def write_vtt(cues: Sequence[Cue], path: Path) -> Path:
    """Write cues as WebVTT (``.vtt``), atomically. Returns the path."""
    return _write(cues, path, "vtt", None)


def write_ass(cues: Sequence[Cue], path: Path, style: AssStyle | None = None) -> Path:
    """Write cues as styled Advanced SubStation Alpha (``.ass``), atomically. Returns the path."""
    return _write(cues, path, "ass", style)


def write_subtitles(cues: Sequence[Cue], path: Path, *, style: AssStyle | None = None) -> Path:
    """Write cues in the format that ``path``'s suffix names (.srt, .vtt or .ass).

    Raises:
        ValueError: The suffix is not one of the supported formats.
    """
    path = Path(path)
    format_ = SUBTITLE_FORMATS.get(path.suffix.lower())
    if format_ is None:
        supported = ", ".join(SUBTITLE_FORMATS)
        raise ValueError(f"cannot write subtitles to {path.name}: use one of {supported}")
    return _write(cues, path, format_, style if format_ == "ass" else None)
