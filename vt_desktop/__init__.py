"""VideoTranslator Desktop: turn a video in one language into a video in another."""

from worker import __version__

__all__ = ["__version__"]
