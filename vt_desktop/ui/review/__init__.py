"""The Review page: cues beside the video, editing, re-translation and export."""
