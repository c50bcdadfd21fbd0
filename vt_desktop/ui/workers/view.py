"""The Workers view: broker state, a table of workers, and a ping button.

Local workers (started by this app) and remote ones (seen through their presence heartbeats)
share one table; local ones also show how often the supervisor restarted them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from vt_desktop.core.runtime import PingReply, RuntimeStatus
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import Banner, StatusDot, page_layout, prepare_table
from vt_desktop.ui.view_model import RuntimeViewModel
from vt_desktop.ui.workers.table import COLUMN_WIDTHS, COLUMNS, WorkersTableModel, worker_rows


def online_count(status: RuntimeStatus) -> int:
    """How many workers are sending heartbeats now."""
    return sum(1 for seen in status.workers if seen.online)


def broker_dot_state(status: RuntimeStatus) -> str:
    """The colour of the broker dot for ``status``."""
    if status.broker_ok:
        return "ok"
    if status.broker.startswith("error"):
        return "error"
    if status.broker.startswith("starting"):
        return "busy"
    return "off"


def broker_sentence(status: RuntimeStatus) -> str:
    """``status.broker`` as a short sentence for the broker card."""
    text = status.broker or "stopped"
    remote = (
        QCoreApplication.translate("WorkersView", "Remote broker")
        if status.broker_ok
        else QCoreApplication.translate("WorkersView", "Remote broker, not connected")
    )
    by_prefix = {
        "stopped": QCoreApplication.translate("WorkersView", "Broker stopped"),
        "error": QCoreApplication.translate("WorkersView", "Broker did not start"),
        "remote": remote,
        "starting private broker": QCoreApplication.translate(
            "WorkersView", "Starting private broker…"
        ),
    }
    sentence = next((s for prefix, s in by_prefix.items() if text.startswith(prefix)), None)
    port = text.removeprefix("private broker on port ")
    if sentence is None and port != text and port.isdigit():
        sentence = QCoreApplication.translate("WorkersView", "Private broker on port {port}")
        sentence = sentence.format(port=port)
    return sentence or text[:1].upper() + text[1:]


class WorkersView(QWidget):
    """Broker state, workers table and the "Ping workers" action."""

    def __init__(self, view_model: RuntimeViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self._vm = view_model
        self.banner = Banner(self.tr("Retry"))
        self.broker_dot = StatusDot(12)
        self.broker_label = QLabel(self.tr("Broker stopped"))
        self.broker_url = QLabel()
        self.broker_url.setObjectName("Muted")
        self.table_model = WorkersTableModel(self)
        self.table = QTableView()
        self.ping_button = QPushButton(self.tr("Ping workers"))
        self.ping_result = QLabel()
        self.start_button = QPushButton(self.tr("Start"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.restart_button = QPushButton(self.tr("Restart"))
        self._local: dict[str, str] = {}  # this app's own workers: id -> pool state
        self._busy = False
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        layout = page_layout(
            self,
            self.tr("Workers"),
            self.tr(
                "The processes that recognise and translate speech, on this computer "
                "and on any other machine connected to the same broker."
            ),
            spacing=16,
        )
        layout.addWidget(self.banner)
        layout.addWidget(self._broker_card())
        layout.addLayout(self._ping_row())
        self._build_table()
        layout.addWidget(self.table, 1)

    def _broker_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("Card")
        row = QHBoxLayout(card)
        row.setContentsMargins(14, 12, 14, 12)
        row.setSpacing(10)
        self.broker_label.setAccessibleName(self.tr("Broker state"))
        row.addWidget(self.broker_dot)
        row.addWidget(self.broker_label)
        row.addStretch(1)
        row.addWidget(self.broker_url)
        return card

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.table_model)
        prepare_table(
            table,
            self.tr("Workers table"),
            row_height=32,
            widths=COLUMN_WIDTHS,
            stretch=COLUMNS.index("Services"),
            min_section=56,
        )

    def _ping_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        self.ping_button.setObjectName("PrimaryButton")
        self.ping_button.setAccessibleName(self.tr("Ping workers"))
        self.ping_button.setToolTip(
            self.tr("Send a ping to every online worker and time the reply")
        )
        self.ping_button.setEnabled(False)
        self.ping_result.setAccessibleName(self.tr("Ping result"))
        self.ping_result.setWordWrap(True)
        self.ping_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.ping_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.ping_result, 1, Qt.AlignmentFlag.AlignVCenter)
        for button, name in (
            (self.start_button, self.tr("Start the selected local worker")),
            (self.stop_button, self.tr("Stop the selected local worker")),
            (self.restart_button, self.tr("Restart the selected local worker")),
        ):
            button.setAccessibleName(name)
            button.setToolTip(name)
            button.setEnabled(False)
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        return row

    def _connect_signals(self) -> None:
        vm = self._vm
        vm.status_changed.connect(self._on_view_model_status_changed)
        vm.runtime_started.connect(self._on_view_model_runtime_started)
        vm.runtime_failed.connect(self._on_view_model_runtime_failed)
        vm.runtime_stopping.connect(self._on_view_model_runtime_stopping)
        vm.ping_started.connect(self._on_view_model_ping_started)
        vm.ping_finished.connect(self._on_view_model_ping_finished)
        vm.ping_failed.connect(self._on_view_model_ping_failed)
        self.ping_button.clicked.connect(self._on_ping_button_clicked)
        vm.worker_control_failed.connect(self._on_view_model_ping_failed)
        self.table.selectionModel().selectionChanged.connect(self._update_worker_buttons)
        self.start_button.clicked.connect(lambda: self._control("start"))
        self.stop_button.clicked.connect(lambda: self._control("stop"))
        self.restart_button.clicked.connect(lambda: self._control("restart"))
        self.banner.action_clicked.connect(self._on_banner_action_clicked)

    def _on_view_model_status_changed(self, status: RuntimeStatus) -> None:
        self.broker_dot.set_state(broker_dot_state(status))
        self.broker_label.setText(broker_sentence(status))
        self.broker_url.setText(status.broker_url)
        selected = self.selected_worker()
        self._local = {wid: state for wid, _pid, state, _restarts in status.local}
        self.table_model.set_rows(worker_rows(status))
        if selected is not None:
            self.select_worker(selected)
        self._update_worker_buttons()

    def selected_worker(self) -> str | None:
        """The id of the worker selected in the table, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= self.table_model.row_count():
            return None
        return self.table_model.row(rows[0].row()).worker_id

    def select_worker(self, worker_id: str) -> None:
        """Select ``worker_id``'s row (nothing happens when it is not listed)."""
        for number in range(self.table_model.row_count()):
            if self.table_model.row(number).worker_id == worker_id:
                self.table.selectRow(number)
                return

    def _update_worker_buttons(self, *_args: object) -> None:
        state = self._local.get(self.selected_worker() or "")
        running = state in {"running", "starting"}
        usable = state is not None and not self._busy and self._vm.is_active
        self.start_button.setEnabled(usable and not running)
        self.stop_button.setEnabled(usable and running)
        self.restart_button.setEnabled(usable)

    @asyncSlot()
    async def _control(self, action: str) -> None:
        worker_id = self.selected_worker()
        if worker_id is None:
            return
        self._busy = True
        self._update_worker_buttons()
        try:
            await self._vm.control_worker(action, worker_id)
        finally:
            self._busy = False
            self._update_worker_buttons()

    def _on_view_model_runtime_started(self) -> None:
        self.banner.clear()
        self.ping_button.setEnabled(True)

    def _on_view_model_runtime_failed(self, message: str) -> None:
        self.broker_dot.set_state("error")
        self.broker_label.setText(self.tr("Not connected"))
        self.banner.show_message(message)
        self.banner.action.setEnabled(True)
        self.ping_button.setEnabled(False)

    def _on_view_model_runtime_stopping(self) -> None:
        self.ping_button.setEnabled(False)
        self.banner.action.setEnabled(False)

    def _on_view_model_ping_started(self) -> None:
        self.ping_button.setEnabled(False)
        self.ping_result.setObjectName("Muted")
        self._restyle(self.ping_result, self.tr("Waiting for replies…"))

    def _on_view_model_ping_finished(self, replies: list[PingReply]) -> None:
        self.ping_button.setEnabled(self._vm.is_active)
        answered = self.tr("✓ {worker} answered in {ms} ms")
        parts = [answered.format(worker=r.worker_id, ms=f"{r.rtt_ms:.1f}") for r in replies]
        self.ping_result.setObjectName("PingResult")
        self._restyle(self.ping_result, "    ".join(parts))

    def _on_view_model_ping_failed(self, message: str) -> None:
        self.ping_button.setEnabled(self._vm.is_active)
        self.ping_result.setObjectName("PingError")
        self._restyle(self.ping_result, message)

    @staticmethod
    def _restyle(label: QLabel, text: str) -> None:
        label.setText(text)
        label.style().unpolish(label)
        label.style().polish(label)

    @asyncSlot()
    async def _on_ping_button_clicked(self) -> None:
        await self._vm.ping()

    @asyncSlot()
    async def _on_banner_action_clicked(self) -> None:
        self.banner.action.setEnabled(False)
        self.banner.message.setText(self.tr("Trying again…"))
        await self._vm.start()
