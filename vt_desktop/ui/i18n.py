"""The window's language: English in the source, Russian from ``resources/i18n``.

Widgets wrap what they show in ``self.tr("…")``; ``pyside6-lupdate`` collects those strings
into ``resources/i18n/videotranslator_<lang>.ts`` and ``pyside6-lrelease`` compiles the
``.qm`` the app loads (``make translations`` does both; a test checks the ``.qm`` is current
and that no string is left untranslated). Qt's own strings (standard buttons, file dialogs)
come from the ``qtbase`` catalogue PySide6 ships. A table of texts built at import time marks
each text with ``QT_TRANSLATE_NOOP(context, text)`` and is translated where it is shown with
``QCoreApplication.translate(context, text)``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from vt_desktop.ui import resources

log = logging.getLogger(__name__)
LANGUAGES = ("en", "ru")
CATALOGUE = "videotranslator"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate knows)
    """Mark ``text`` for ``pyside6-lupdate`` under ``context``; returns it unchanged.

    PySide6's own ``QT_TRANSLATE_NOOP`` is typed as returning ``object``; this one keeps
    tables of texts typed as ``str``.
    """
    del context
    return text


def resolve(setting: str) -> str:
    """The UI language for a ``ui_language`` setting ("system", "en" or "ru")."""
    if setting in LANGUAGES:
        return setting
    name = QLocale.system().name().split("_", maxsplit=1)[0]
    return name if name in LANGUAGES else "en"


def install(app: QCoreApplication, setting: str) -> str:
    """Load the translations for ``setting`` into ``app``; returns the language in use.

    English needs nothing. A missing catalogue is logged and the window stays in English.
    """
    language = resolve(setting)
    for old in app.findChildren(QTranslator):
        app.removeTranslator(old)
        old.deleteLater()
    if language == "en":
        return "en"
    ours = QTranslator(app)
    path = resources.resource_path(f"i18n/{CATALOGUE}_{language}.qm")
    if not ours.load(str(path)):
        log.warning("no %s translation at %s: the window stays in English", language, path)
        return "en"
    app.installTranslator(ours)
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt)
    return language
