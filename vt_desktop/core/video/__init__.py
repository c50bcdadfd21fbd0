"""Video outputs: soft subtitles by remuxing (no re-encode) and burned-in subtitles (ffmpeg).

Qt-free. Every output is written atomically: it appears complete or not at all.
"""

from vt_desktop.core.video.burn import BurnError, burn_subtitles, subtitles_filter
from vt_desktop.core.video.remux import MediaError, SubtitleTrack, mux_soft_subtitles

__all__ = [
    "BurnError",
    "MediaError",
    "SubtitleTrack",
    "burn_subtitles",
    "mux_soft_subtitles",
    "subtitles_filter",
]
