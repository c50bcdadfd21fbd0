"""Dubbing: lines planned from cues, placed on a sample-accurate timeline, mixed and muxed.

Qt-free. The pipeline's ``dub`` stage asks the ``tts`` workers for each line (fitted to its
slot there), places every line at its own cue start, renders the track and adds it to the
videos.
"""

from vt_desktop.core.dubbing.mix import DUCK_DB, DubMode, render_track
from vt_desktop.core.dubbing.plan import GUARD_S, DubLine, plan_lines, spoken_text
from vt_desktop.core.dubbing.timeline import RATE, Clip, Timeline, decode_clip, place
from vt_desktop.core.dubbing.voices import VoiceChoice, parse_voice, voice_for

__all__ = [
    "DUCK_DB",
    "GUARD_S",
    "RATE",
    "Clip",
    "DubLine",
    "DubMode",
    "Timeline",
    "VoiceChoice",
    "decode_clip",
    "parse_voice",
    "place",
    "plan_lines",
    "render_track",
    "spoken_text",
    "voice_for",
]
