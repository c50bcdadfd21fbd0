"""The main window: a left navigation, one page per view, and a status bar.

Pages are registered by name (``add_page``) so later views (Jobs, Review, Models, Settings)
slot in without touching the rest. Closing the window first stops the runtime (workers,
then the private broker) and only then lets the window go, so nothing is left running, but
for the app's own window's private broker, which its keeper runs on for
``broker_keep_warm_minutes`` so that the next launch finds it ready.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.core.runtime import RuntimeStatus
from vt_desktop.ui import resources
from vt_desktop.ui.about import AboutDialog
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import StatusDot
from vt_desktop.ui.jobs.view import JobsView
from vt_desktop.ui.jobs.view_model import JobsViewModel
from vt_desktop.ui.log.view import LogView
from vt_desktop.ui.models.view import ModelsView
from vt_desktop.ui.review.view import ReviewView
from vt_desktop.ui.settings.dialog import SettingsDialog
from vt_desktop.ui.shortcuts import ShortcutsDialog, shortcut
from vt_desktop.ui.view_model import RuntimeViewModel
from vt_desktop.ui.workers.view import (
    WorkersView,
    broker_dot_state,
    broker_sentence,
    online_count,
)

log = logging.getLogger(__name__)
WINDOW_TITLE = "VideoTranslator Desktop"
DEFAULT_SIZE = QSize(1100, 720)
MINIMUM_SIZE = QSize(940, 560)
SIDEBAR_WIDTH = 210


def ui_state_file(config_dir: Path) -> QSettings:
    """The QSettings (INI) that remembers geometry and the open page, beside the config."""
    return QSettings(str(config_dir / "window-state.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """The app's one window."""

    closed = Signal()  # emitted once the runtime has stopped and the window is gone

    def __init__(self, view_model: RuntimeViewModel, ui_state: QSettings | None = None) -> None:
        super().__init__()
        self._vm = view_model
        self._ui_state = ui_state or ui_state_file(view_model.settings.config_dir)
        self._closing = False
        #: Whether closing leaves the private broker running for a next launch (for
        #: ``broker_keep_warm_minutes``); the app's own window does, a test's window does not.
        self.keep_broker_warm = False
        self._discard_edits = False
        self.discard_box: QMessageBox | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.nav = QListWidget()
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self.titles: dict[str, str] = {}
        self.broker_dot = StatusDot(9)
        self.broker_status = QLabel(self.tr("Broker stopped"))
        self.worker_count = QLabel(self.tr("No workers online"))
        self.jobs_view = JobsView(JobsViewModel(view_model, self))
        self.review_view = ReviewView(view_model)
        self.models_view = ModelsView(view_model)
        self.workers_view = WorkersView(view_model)
        self.log_view = LogView(view_model)
        self.settings_dialog: SettingsDialog | None = None
        self.restart_box: QMessageBox | None = None
        self._build()
        self.add_page("Jobs", self.jobs_view, resources.icon("jobs"), self.tr("Jobs"))
        self.add_page("Review", self.review_view, resources.icon("review"), self.tr("Review"))
        self.add_page("Models", self.models_view, resources.icon("models"), self.tr("Models"))
        self.add_page("Workers", self.workers_view, resources.icon("workers"), self.tr("Workers"))
        self.add_page("Log", self.log_view, resources.icon("log"), self.tr("Log"))
        self._connect_signals()
        self._build_menus()
        self._restore_state()

    def _build(self) -> None:
        self.setWindowTitle(self._vm.settings.project_name or WINDOW_TITLE)  # PROJECT_NAME
        self.setWindowIcon(resources.app_icon())
        self.setMinimumSize(MINIMUM_SIZE)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._sidebar())
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.broker_status.setAccessibleName(self.tr("Broker status"))
        self.worker_count.setAccessibleName(self.tr("Workers online"))
        broker = QWidget()
        row = QHBoxLayout(broker)
        row.setContentsMargins(8, 2, 0, 2)
        row.setSpacing(2)
        row.addWidget(self.broker_dot)
        row.addWidget(self.broker_status)
        bar.addWidget(broker)
        self.worker_count.setContentsMargins(0, 0, 8, 0)
        bar.addPermanentWidget(self.worker_count)

    def _sidebar(self) -> QFrame:
        sidebar = QFrame()
        sidebar.setObjectName("Sidebar")
        sidebar.setFixedWidth(SIDEBAR_WIDTH)
        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(12, 18, 12, 12)
        layout.setSpacing(4)
        brand = QHBoxLayout()
        brand.setSpacing(10)
        logo = QLabel()
        logo.setPixmap(resources.app_icon().pixmap(QSize(28, 28)))
        title = QLabel("VideoTranslator")
        title.setObjectName("AppTitle")
        brand.addWidget(logo)
        brand.addWidget(title, 1)
        layout.addLayout(brand)
        version = QLabel(self.tr("version {version}").format(version=self._vm.settings.version))
        version.setObjectName("AppVersion")
        version.setContentsMargins(38, 0, 0, 0)
        layout.addWidget(version)
        layout.addSpacing(18)
        self.nav.setObjectName("NavList")
        self.nav.setAccessibleName(self.tr("Navigation"))
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.nav, 1)
        self.settings_button = QPushButton(resources.icon("settings"), self.tr("Settings"))
        self.settings_button.setObjectName("SidebarButton")
        self.settings_button.setAccessibleName(self.tr("Open the settings"))
        self.settings_button.setToolTip(self.tr("Settings (Ctrl+,)"))
        self.settings_button.clicked.connect(self.open_settings)
        layout.addWidget(self.settings_button)
        return sidebar

    def _build_menus(self) -> None:
        """File, View and Help menus; every action has a shortcut or a mnemonic."""
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.add_files_action = file_menu.addAction(self.tr("&Add files…"))
        self.add_files_action.setShortcut(QKeySequence("Ctrl+O"))
        self.add_files_action.triggered.connect(self._on_add_files_action_triggered)
        self.settings_action = file_menu.addAction(
            resources.icon("settings"), self.tr("&Settings…")
        )
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction(self.tr("&Quit"))
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        self.view_menu = bar.addMenu(self.tr("&View"))
        for row, name in enumerate(self.pages):
            self._add_page_action(name, self.titles[name], row)
        help_menu = bar.addMenu(self.tr("&Help"))
        self.shortcuts_action = help_menu.addAction(self.tr("&Keyboard shortcuts"))
        self.shortcuts_action.setShortcut(shortcut("shortcuts"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = help_menu.addAction(self.tr("&About VideoTranslator"))
        self.about_action.triggered.connect(self._on_about_action_triggered)

    def _add_page_action(self, name: str, title: str, row: int) -> None:
        action = self.view_menu.addAction(title)
        if row < 9:
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
        action.triggered.connect(lambda _checked=False, n=name: self.show_page(n))

    def _on_add_files_action_triggered(self) -> None:
        self.show_page("Jobs")
        self.jobs_view.drop_zone.add_button.click()

    def open_settings(self) -> SettingsDialog:
        """Show the settings dialog (one at a time); returns it (tests drive it)."""
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self._vm.settings, self)
            self.settings_dialog.settings_saved.connect(self._on_settings_dialog_settings_saved)
            self.settings_dialog.finished.connect(self._on_settings_dialog_finished)
        self.settings_dialog.open()
        return self.settings_dialog

    def _on_settings_dialog_finished(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
            self.settings_dialog = None

    def _on_settings_dialog_settings_saved(self, changed: list[str], restart: bool) -> None:
        log.info("settings saved: %s", ", ".join(changed) or "nothing changed")
        if not (restart and self._vm.is_active):
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Restart the workers?"),
            self.tr(
                "The new connection, worker and engine settings apply once the broker and "
                "the workers restart. A running job pauses and resumes after the restart."
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        restart_now = box.button(QMessageBox.StandardButton.Yes)
        restart_now.setText(self.tr("Restart now"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("Later"))
        box.buttonClicked.connect(
            lambda button: self._restart_runtime() if button is restart_now else None
        )
        self.restart_box = box
        box.open()

    @asyncSlot()
    async def _restart_runtime(self) -> None:
        self.broker_status.setText(self.tr("Restarting workers and broker…"))
        await self._vm.stop()
        await self._vm.start()

    def show_shortcuts(self) -> ShortcutsDialog:
        """*Help → Keyboard shortcuts* (one window at a time, not modal); returns it."""
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def _on_about_action_triggered(self) -> None:
        AboutDialog(self._vm.settings.version, self).exec()

    def add_page(
        self, name: str, page: QWidget, icon: QIcon | None = None, title: str | None = None
    ) -> None:
        """Add a view under ``name`` (its key) to the navigation, shown as ``title``."""
        self.titles[name] = title or name
        item = QListWidgetItem(icon or QIcon(), self.titles[name])
        item.setSizeHint(QSize(0, 38))
        self.nav.addItem(item)
        self.stack.addWidget(page)
        self.pages[name] = page
        if hasattr(self, "view_menu"):
            self._add_page_action(name, self.titles[name], len(self.pages) - 1)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def show_page(self, name: str) -> None:
        """Switch to the page registered as ``name``.

        Raises:
            KeyError: no page has that name.
        """
        if name not in self.pages:
            raise KeyError(f"no page named {name!r}; pages: {', '.join(self.pages)}")
        self.nav.setCurrentRow(list(self.pages).index(name))

    def current_page(self) -> str:
        """The name of the page shown now."""
        return list(self.pages)[self.stack.currentIndex()]

    def _connect_signals(self) -> None:
        self.nav.currentRowChanged.connect(self._on_nav_current_row_changed)
        self.jobs_view.review_requested.connect(self._on_jobs_view_review_requested)
        self.jobs_view.download_requested.connect(self._on_jobs_view_download_requested)
        self._vm.status_changed.connect(self._on_view_model_status_changed)
        self._vm.runtime_failed.connect(self._on_view_model_runtime_failed)
        self._vm.runtime_stopped.connect(self._on_view_model_runtime_stopped)

    def _on_jobs_view_review_requested(self, job_id: str) -> None:
        self.show_page("Review")
        self.review_view.open_job(job_id)

    def _on_jobs_view_download_requested(self, name: str) -> None:
        self.show_page("Models")
        self.models_view.download_named(name)

    def _on_nav_current_row_changed(self, row: int) -> None:
        if 0 <= row < self.stack.count():
            self.stack.setCurrentIndex(row)

    def _on_view_model_status_changed(self, status: RuntimeStatus) -> None:
        self.broker_dot.set_state(broker_dot_state(status))
        self.broker_status.setText(broker_sentence(status))
        online = online_count(status)
        self.worker_count.setText(
            {0: self.tr("No workers online"), 1: self.tr("1 worker online")}.get(
                online, self.tr("{count} workers online").format(count=online)
            )
        )

    def _on_view_model_runtime_failed(self, message: str) -> None:
        self.broker_dot.set_state("error")
        self.broker_status.setText(self.tr("Not connected: see the Workers page"))
        self.show_page("Workers")

    def _on_view_model_runtime_stopped(self) -> None:
        if self._closing:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Stop the runtime first; the window closes once workers and broker are gone.

        Unexported review edits are never lost silently: the window asks first.
        """
        if not self._closing and not self._discard_edits and self.review_view.has_unsaved_changes():
            event.ignore()
            self._ask_discard_edits()
            return
        self._save_state()
        if self._vm.is_active:
            event.ignore()
            if not self._closing:
                self._closing = True
                if (central := self.centralWidget()) is not None:
                    central.setEnabled(False)
                self.broker_status.setText(self.tr("Stopping workers and broker…"))
                self._stop_runtime()
            return
        event.accept()
        self.closed.emit()

    def _ask_discard_edits(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Unexported subtitle edits"),
            self.tr("The Review page has edits that are not exported yet. Quit and discard them?"),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        discard = box.button(QMessageBox.StandardButton.Discard)
        discard.setText(self.tr("Discard and quit"))
        box.buttonClicked.connect(
            lambda button: self._on_discard_confirmed() if button is discard else None
        )
        self.discard_box = box
        box.open()

    def _on_discard_confirmed(self) -> None:
        self._discard_edits = True
        self.close()

    @asyncSlot()
    async def _stop_runtime(self) -> None:
        runtime = self._vm.runtime
        if self.keep_broker_warm and runtime is not None:
            runtime.keep_broker_warm_s = self._vm.settings.broker_keep_warm_minutes * 60
        await self._vm.stop()

    def _save_state(self) -> None:
        self._ui_state.setValue("window/geometry", self.saveGeometry())
        self._ui_state.setValue("window/page", self.current_page())
        self._ui_state.sync()

    def _restore_state(self) -> None:
        geometry = self._ui_state.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(DEFAULT_SIZE)
        page = self._ui_state.value("window/page")
        if isinstance(page, str) and page in self.pages:
            self.show_page(page)
