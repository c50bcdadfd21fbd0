"""The Review page's preview: the source video in a graphics scene with the cue drawn over it.

A ``QGraphicsVideoItem`` (unlike ``QVideoWidget``) also renders in offscreen grabs, so the
picture and its caption show up in screenshots and tests. A paused player draws nothing until
it has played once, so a newly loaded video plays muted to its first frame and then pauses
where the page asked.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Q_ARG, QMetaObject, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QResizeEvent, QTextOption
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.core.review import format_time
from vt_desktop.ui.review.waveform import WaveformView

log = logging.getLogger(__name__)
DEFAULT_FRAME = QSizeF(640, 360)
CAPTION_MARGIN = 0.05  # of the picture's height, below the caption
CAPTION_LINES_PER_FRAME = 18  # caption text height: 1/18 of the picture's, as on TV


class VideoPreview(QWidget):
    """The source video in a graphics scene, a caption drawn over it, play controls, and the
    audio's waveform with the cues under them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = QGraphicsScene(self)
        self.view = QGraphicsView(self.scene)
        self.video_item = QGraphicsVideoItem()
        self.caption_box = QGraphicsRectItem()
        self.caption = QGraphicsTextItem()
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.play_button = QPushButton(self.tr("Play"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.time_label = QLabel("00:00.000")
        self.waveform = WaveformView()
        self.notice = QLabel()
        #: What the page says about the current cue (its source and broken rules).
        self.details = QLabel()
        self._primed = False
        self._pending_ms = 0
        self._path: Path | None = None
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.view.setObjectName("ReviewPreview")
        self.view.setAccessibleName(self.tr("Video preview"))
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setBackgroundBrush(QBrush(QColor(0, 0, 0)))
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setMinimumSize(280, 160)
        self.video_item.setSize(DEFAULT_FRAME)
        self.scene.addItem(self.video_item)
        self.caption_box.setBrush(QBrush(QColor(0, 0, 0, 170)))
        self.caption_box.setPen(Qt.PenStyle.NoPen)
        self.caption.setDefaultTextColor(QColor(255, 255, 255))
        option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        self.caption.document().setDefaultTextOption(option)
        for item in (self.caption_box, self.caption):
            item.setZValue(1)
            self.scene.addItem(item)
        self.player.setVideoOutput(self.video_item)
        # The audio output is attached at the first Play, not before. With one attached, Qt's
        # FFmpeg backend runs an audio thread that, when the player pauses, seeks or loads,
        # tears down objects connected to this Python-made output and so needs the GIL,
        # while the GUI thread holds the GIL and waits for that thread to end: the window
        # froze for good (gdb: QThread::wait in the GUI thread, "QFFmpeg::AudioR" in
        # PyGILState_Ensure under ~QObject). Showing frames and scrubbing need no sound.
        layout.addWidget(self.view, 100)  # up to its maximum: the picture's height
        self.notice.setObjectName("ReviewHint")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        controls = QHBoxLayout()
        controls.setSpacing(10)
        self.play_button.setAccessibleName(self.tr("Play or pause"))
        self.play_button.setMinimumWidth(72)
        self.slider.setAccessibleName(self.tr("Position"))
        self.time_label.setObjectName("ReviewTime")
        self.time_label.setMinimumWidth(150)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        layout.addLayout(controls)
        layout.addWidget(self.waveform)
        self.details.setObjectName("ReviewDetails")
        self.details.setWordWrap(True)
        self.details.setAccessibleName(self.tr("Cue details"))
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        layout.addStretch(1)
        self._layout_frame()

    def _connect_signals(self) -> None:
        self.play_button.clicked.connect(self._on_play_button_clicked)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.waveform.position_picked.connect(self.seek)
        # The player's signals are queued: a slot that ran inside the player's own
        # stop()/pause() and called back into the player or the scene deadlocked Qt's FFmpeg
        # playback thread now and then (the window hung for good; two runs in six in tests).
        queued = Qt.ConnectionType.QueuedConnection
        self.player.durationChanged.connect(self._on_player_duration_changed, queued)
        self.player.positionChanged.connect(self._on_player_position_changed, queued)
        self.player.playbackStateChanged.connect(self._on_player_playback_state_changed, queued)
        self.player.mediaStatusChanged.connect(self._on_player_media_status_changed, queued)
        self.player.errorOccurred.connect(self._on_player_error_occurred, queued)
        self.video_item.nativeSizeChanged.connect(self._on_video_item_native_size_changed, queued)
        self.video_item.videoSink().videoFrameChanged.connect(
            self._on_video_sink_frame_changed, queued
        )

    def load(self, path: Path | None, position_ms: int = 0) -> None:
        """Show ``path`` paused at ``position_ms`` (a notice instead when it is missing).

        The video shown already (another language of the same job, or the same cues opened
        again) is only sought: stopping the player and setting the same source again now and
        then deadlocked Qt's FFmpeg playback thread (the window hung for good).
        """
        if path is not None and path == self._path and path.is_file():
            self.seek(position_ms)
            return
        self._path = path
        self._control("stop")
        self._primed = False
        self._pending_ms = position_ms
        self.set_caption("")
        if path is None or not path.is_file():
            self._control("setSource", Q_ARG(QUrl, QUrl()))
            gone = self.tr("The source video {path} is gone: no preview.")
            self._show_notice(gone.format(path=path) if path else "")
            return
        self._show_notice("")
        self._control("setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(path))))

    def _control(self, slot: str, *args: Any) -> None:
        """Call one of the player's slots from Qt's event loop, not from Python.

        Once Play has attached the audio output, stop/pause/seek/load tear down objects in
        Qt's FFmpeg audio thread that need the GIL, while the player's call waits for that
        thread: called from Python (GIL held) it deadlocked now and then (gdb: the GUI thread
        in QObject::disconnect under stop(), "QFFmpeg::AudioR" waiting for the GIL). Queued,
        the slot runs from the loop, which holds no GIL (the app's exec() releases it)."""
        QMetaObject.invokeMethod(self.player, slot, Qt.ConnectionType.QueuedConnection, *args)

    @property
    def showing_picture(self) -> bool:
        """True once a loaded video has drawn its first frame (seeks then show pictures)."""
        return self._primed

    def seek(self, position_ms: int) -> None:
        """Show the picture at ``position_ms`` (and move the waveform's play line there)."""
        self.waveform.set_position(position_ms)
        if self._primed:
            self._control("setPosition", Q_ARG("qint64", position_ms))
        else:
            self._pending_ms = position_ms

    def set_caption(self, text: str) -> None:
        """Draw ``text`` over the bottom of the picture (nothing when empty)."""
        if self.caption.toPlainText() == text:
            return
        self.caption.setPlainText(text)
        self._layout_caption()

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        for widget in (self.play_button, self.slider):
            widget.setEnabled(not text)

    def _layout_frame(self) -> None:
        rect = QRectF(self.video_item.pos(), self.video_item.size())
        # As tall as the picture at this width, so the controls sit right under it.
        self.view.setMaximumHeight(max(160, round(self.width() * rect.height() / rect.width())))
        self.scene.setSceneRect(rect)
        self.view.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._layout_caption()

    def _layout_caption(self) -> None:
        frame = self.video_item.size()
        font = QFont(self.font())
        font.setPixelSize(max(8, round(frame.height() / CAPTION_LINES_PER_FRAME)))
        font.setWeight(QFont.Weight.DemiBold)
        self.caption.setFont(font)
        self.caption.setTextWidth(frame.width() * 0.9)
        height = self.caption.boundingRect().height()
        top = frame.height() * (1 - CAPTION_MARGIN) - height
        self.caption.setPos(frame.width() * 0.05, top)
        shown = bool(self.caption.toPlainText())
        self.caption_box.setVisible(shown)
        width = self.caption.document().idealWidth() + font.pixelSize()  # half a line each side
        left = (frame.width() - width) / 2
        self.caption_box.setRect(QRectF(left, top, width, height))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Keep the whole picture in view."""
        super().resizeEvent(event)
        self._layout_frame()

    def _on_video_item_native_size_changed(self, size: QSizeF) -> None:
        if size.isValid() and not size.isEmpty():
            self.video_item.setSize(size)
            self._layout_frame()

    def _on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        # A paused player draws nothing until it has played once: play muted to the first
        # frame, then pause where the page wants to be.
        if status == QMediaPlayer.MediaStatus.LoadedMedia and not self._primed:
            self.audio.setMuted(True)
            self._control("play")

    def _on_video_sink_frame_changed(self, _frame: QVideoFrame) -> None:
        if not self._primed and self.player.source().isValid():
            self._primed = True
            self._control("pause")
            self._control("setPosition", Q_ARG("qint64", self._pending_ms))
            self.audio.setMuted(False)

    def _on_player_error_occurred(self, _error: QMediaPlayer.Error, message: str) -> None:
        log.warning("preview: %s", message)
        self._show_notice(self.tr("The video cannot be previewed: {error}").format(error=message))

    def _on_play_button_clicked(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self._control("pause")
        else:
            if self.player.audioOutput() is None:
                self.player.setAudioOutput(self.audio)
            self._control("play")

    def _on_player_playback_state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState and self._primed
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))

    def _on_player_duration_changed(self, duration_ms: int) -> None:
        self.slider.setRange(0, max(0, duration_ms))
        self._on_player_position_changed(self.player.position())

    def _on_player_position_changed(self, position_ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(position_ms)
            self.slider.blockSignals(False)
        self.waveform.set_position(position_ms)
        total = format_time(self.player.duration() / 1000)
        self.time_label.setText(f"{format_time(position_ms / 1000)} / {total}")

    def _on_slider_value_changed(self, value: int) -> None:
        self.seek(value)
