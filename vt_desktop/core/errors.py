"""The app's one error tree: every error the app raises on purpose is a :class:`VtError`.

The runner catches the base: a ``VtError`` fails its job with its own message (as do a
worker's ``worker.protocol.errors.RpcError``, the wire's own tree, and an ``OSError``, a file
that could not be read or written), and anything else is an internal error (a bug) that is
logged with its traceback and fails its job as ``internal error: …``; no job's failure stops
the job queue. The CLI maps errors to its exit codes in one place (``vt_desktop.cli``)::

    VtError                       (never raised itself) the base: the app refused or failed
    ├── IntakeError               a media file cannot be a job's source (media/errors.py,
    │   └── MediaNotFoundError, … one subclass per reason, drawn there)
    ├── JobFailed                 a job cannot finish (pipeline/runner.py)
    ├── SegmentFailed             one segment could not be recognised (pipeline/recognise.py)
    ├── NoTranslationEngine       no engine of the workers translates a target from the
    │                             spoken language (pipeline/translate.py)
    ├── MediaError                a video cannot be read or remuxed with subtitles (video/remux.py)
    ├── BurnError                 ffmpeg cannot burn the subtitles in (video/burn.py)
    ├── ReviewError               a review edit or export is refused (review.py)
    ├── ServiceConfigError        a service config file or value is not acceptable
    │                             (service_config.py)
    ├── BrokerMissing             no rabbitmq-server is installed (supervisor/broker.py)
    ├── BrokerStartError          the local broker exits or does not answer in time
    │                             (supervisor/broker.py)
    └── SmokeError                a step of the window's smoke check fails (devtools/smoke_media.py)

Classes that were a ``ValueError`` (ReviewError, ServiceConfigError) or a ``RuntimeError``
(JobFailed, SegmentFailed, BrokerMissing, BrokerStartError, SmokeError) before the tree
existed keep that base too, so callers that catch the built-in still do. NoTranslationEngine
is a ``ValueError`` as well: the CLI gives it the exit code of bad input.
"""

from __future__ import annotations

__all__ = ["VtError"]


class VtError(Exception):
    """Raised never itself: the base of every error the app raises on purpose; its message
    says what went wrong in words a user understands."""
