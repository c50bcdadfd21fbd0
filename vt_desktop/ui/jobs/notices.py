"""What the Jobs page tells the user: a red banner for what went wrong (refused files, a failed
job or action), a green one for what finished, and, where the desktop has a tray, a desktop
notification for a finished or failed job."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from vt_desktop.core.jobs.model import JobState
from vt_desktop.ui import resources
from vt_desktop.ui.common.widgets import Banner
from vt_desktop.ui.jobs.table import JobRow


class JobNotices(QObject):
    """The page's two banners (``banner``: problems, ``notice``: news), placed by the page,
    and its tray icon, made on the first notification."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.banner = Banner(self.tr("Dismiss"))
        self.notice = Banner(self.tr("Dismiss"))
        self.notice.setObjectName("Notice")
        self.tray: QSystemTrayIcon | None = None
        self.banner.action_clicked.connect(self.banner.clear)
        self.notice.action_clicked.connect(self.notice.clear)

    def problem(self, text: str) -> None:
        """Say in the red banner what went wrong."""
        self.banner.show_message(text)

    def refused_all(self, reason: str) -> None:
        """Say in the banner that nothing was queued, and why."""
        self.banner.show_message(
            self.tr(
                "Nothing was queued: {reason} Fix the target languages and drop the files again."
            ).format(reason=reason)
        )

    def refused(self, reason: str) -> None:
        """Add a refused file's reason to the lines the banner shows."""
        shown = self.banner.message.text() if self.banner.isVisible() else ""
        lines = [line for line in shown.split("\n") if line]
        self.banner.show_message("\n".join([*lines, reason]))

    def job_finished(self, row: JobRow, state: str, files: int) -> None:
        """Say how a job ended: failed (red), done or cancelled (green), and notify."""
        if state == JobState.FAILED.value:
            text = self.tr("{file} failed: {reason}").format(
                file=row.file, reason=row.error or self.tr("no reason was given")
            )
            self.banner.show_message(text)
        elif state == JobState.DONE.value:
            text = self.tr(
                "{file} is translated ({languages}): {count} file(s) in {folder}"
            ).format(file=row.file, languages=row.languages, count=files, folder=row.out_dir)
            self.notice.show_message(text)
        else:
            text = self.tr("{file} was cancelled; its partial outputs were removed.").format(
                file=row.file
            )
            self.notice.show_message(text)
        self._notify(state, text)

    def _notify(self, state: str, text: str) -> None:
        """A desktop notification where the desktop has a tray (the page shows it anyway)."""
        if state == JobState.CANCELLED.value or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(resources.app_icon(), self._parent)
            self.tray.show()
        icon = (
            QSystemTrayIcon.MessageIcon.Critical
            if state == JobState.FAILED.value
            else QSystemTrayIcon.MessageIcon.Information
        )
        title = self.tr("Job failed") if state == JobState.FAILED.value else self.tr("Job done")
        self.tray.showMessage(title, text, icon, 8000)
