"""The waveform under the Review page's player: the audio's envelope with the cues as regions.

Dragging a cue's edge emits where it was dropped (``edge_dragged``) when the mouse is let go;
a click emits the time clicked (``position_picked``); the wheel zooms around the mouse (with
Shift it scrolls). The view pages along as the player's position leaves it. Painting folds only
the bins in view into per-pixel columns, kept until the view moves, so a 15-minute job draws as
fast as a short one. What it shows comes from :class:`~vt_desktop.ui.review.waveform_link.
WaveformLink`, which also turns a dropped edge into an undoable edit.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from vt_desktop.core.review import format_time
from vt_desktop.ui import theme

if TYPE_CHECKING:  # numpy and PyAV load when a job's envelope does, not with the window
    from vt_desktop.core.media.envelope import Envelope

EDGE_GRAB_PX = 5  # how near an edge a press must be to drag it
CLICK_SLOP_PX = 4  # a press that moves less than this is a click
MIN_CUE_S = 0.05  # a drag leaves a cue at least this long
DEFAULT_SPAN_S = 20.0  # seconds across the view at first
MIN_SPAN_S = 1.0
FOLLOW_MARGIN = 0.1  # of the view, kept before the play position when paging along
TICK_STEPS_S = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
# Light-palette colours (``theme.colour`` gives the dark partners).
BACKGROUND, BORDER, WAVE = "#f9fafb", "#e5e7eb", "#475569"
CUE, TEXT, PLAYHEAD = "#2563eb", "#6b7280", "#b91c1c"


@dataclass(frozen=True, slots=True)
class _Drag:
    """An edge being dragged: cue ``row``'s ``field`` ("start"/"end"), now at ``seconds``."""

    row: int
    field: str
    seconds: float
    low: float
    high: float


@dataclass(slots=True)
class _CueShapes:
    """What the cues in one view look like (see ``WaveformView._cue_shapes``)."""

    key: tuple[object, ...]
    rows: range
    regions: list[QRectF]
    edges: list[QLineF]
    numbers: list[tuple[QPointF, str]]


class WaveformView(QWidget):
    """The envelope, the cues as translucent regions and the play position as a line."""

    position_picked = Signal(int)  # ms: the user clicked there
    edge_dragged = Signal(int, str, float)  # row, "start" | "end", seconds: dropped there

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReviewWaveform")
        self.setAccessibleName(self.tr("Waveform"))
        self.setAccessibleDescription(
            self.tr("Drag a cue's edge to change its time; click to move the player there.")
        )
        self.setMouseTracking(True)
        self.setMinimumHeight(72)
        self.envelope: Envelope | None = None
        self.note = ""
        self.cues: list[tuple[float, float]] = []
        self._ends: list[float] = []
        self.current: int | None = None
        self.position_s = 0.0
        self.duration_s = 0.0
        self.start_s = 0.0
        self.span_s = DEFAULT_SPAN_S
        self._zoomed = False  # the user chose the span: a new duration leaves it alone
        self._drag: _Drag | None = None
        self._press: QPointF | None = None
        self._columns: tuple[tuple[float, float, int, int], list[QLineF]] | None = None
        self._shapes: _CueShapes | None = None
        self._version = 0  # of the cues: counts set_cues calls

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Qt override: a strip about as tall as two table rows and a half."""
        return QSize(480, 96)

    # -- what it shows ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the job shown: the next one starts at its beginning, zoomed as at first."""
        self.start_s, self.span_s, self._zoomed, self.duration_s = 0.0, DEFAULT_SPAN_S, False, 0.0
        self.set_envelope(None)

    def set_envelope(self, envelope: Envelope | None, note: str = "") -> None:
        """Show ``envelope`` (None: ``note`` instead, e.g. that it is being made)."""
        self.envelope, self.note, self._columns = envelope, note, None
        if envelope is not None:
            self._set_duration(max(self.duration_s, envelope.duration_s))
        self.update()

    def _set_duration(self, duration_s: float) -> None:
        """A job shorter than the first span fills the view until the user zooms."""
        self.duration_s = duration_s
        if not self._zoomed and duration_s > 0:
            self.span_s = min(DEFAULT_SPAN_S, duration_s)
            self._scroll_to(self.start_s)

    def set_cues(self, cues: Sequence[tuple[float, float]], duration_s: float | None) -> None:
        """The cues' ``(start, end)`` in seconds, in time order."""
        self.cues = list(cues)
        self._version += 1
        self._ends = [end for _start, end in self.cues]
        if duration_s:
            self._set_duration(duration_s)
        self._drag = None
        self._find_current()
        self.update()

    def set_position(self, position_ms: int) -> None:
        """Move the play line to ``position_ms``, paging the view along when it leaves it."""
        seconds = position_ms / 1000
        was = (round(self.x_of(self.position_s)), self.current, self.start_s)
        self.position_s = seconds
        if not self.start_s <= seconds < self.start_s + self.span_s and self._drag is None:
            self._scroll_to(seconds - self.span_s * FOLLOW_MARGIN)
        self._find_current()
        if (round(self.x_of(seconds)), self.current, self.start_s) != was:
            self.update()  # the line moved a pixel, or another cue plays, or the view paged

    def _find_current(self) -> None:
        """The cue playing at the play line (drawn stronger), or None between cues."""
        row = bisect.bisect_right(self._ends, self.position_s)
        inside = row < len(self.cues) and self.cues[row][0] <= self.position_s
        self.current = row if inside else None

    def x_of(self, seconds: float) -> float:
        """The x coordinate of ``seconds`` in the view now."""
        return (seconds - self.start_s) * self.width() / self.span_s

    def seconds_at(self, x: float) -> float:
        """The time at x coordinate ``x`` in the view now."""
        return self.start_s + x * self.span_s / max(1, self.width())

    def _scroll_to(self, start_s: float) -> None:
        end = max(self.duration_s, self.span_s)
        self.start_s = min(max(0.0, start_s), end - self.span_s)
        self._columns = None
        self.update()

    def zoom(self, factor: float, around_s: float | None = None) -> None:
        """Show ``factor`` times as many seconds across, keeping ``around_s`` where it is."""
        around = self.position_s if around_s is None else around_s
        share = (around - self.start_s) / self.span_s
        most = max(self.duration_s, MIN_SPAN_S)
        self._zoomed = True
        self.span_s = min(max(self.span_s * factor, MIN_SPAN_S), most)
        self._scroll_to(around - share * self.span_s)

    # -- painting -----------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: background, cues, envelope, time ticks, play line, dragged edge."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.colour(BACKGROUND))
        self._paint_cues(painter)
        wave = theme.colour(WAVE)
        if self.envelope is not None:
            painter.setPen(QPen(wave, 1))
            painter.drawLines(self._wave_lines())
        elif self.note:
            painter.setPen(theme.colour(TEXT))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.note)
        self._paint_ticks(painter)
        self._paint_numbers(painter)
        painter.setPen(QPen(theme.colour(BORDER), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        x = self.x_of(self.position_s)
        painter.setPen(QPen(theme.colour(PLAYHEAD), 2))
        painter.drawLine(QLineF(x, 0, x, self.height()))
        if self._drag is not None:
            x = self.x_of(self._drag.seconds)
            painter.setPen(QPen(theme.colour(CUE), 2))
            painter.drawLine(QLineF(x, 0, x, self.height()))
            label = format_time(self._drag.seconds)
            width = painter.fontMetrics().horizontalAdvance(label)
            fits = x + 4 + width < self.width()
            painter.drawText(QPointF(x + 4 if fits else x - 4 - width, 14), label)
        painter.end()

    def _wave_height(self) -> int:
        """The height above the time ruler along the bottom."""
        return max(8, self.height() - self.fontMetrics().height() - 4)

    def _visible_rows(self) -> range:
        first = bisect.bisect_right(self._ends, self.start_s)
        last = first
        while last < len(self.cues) and self.cues[last][0] < self.start_s + self.span_s:
            last += 1
        return range(first, last)

    def _paint_cues(self, painter: QPainter) -> None:
        shapes = self._cue_shapes()
        colour = theme.colour(CUE)
        fill, strong = QColor(colour), QColor(colour)
        fill.setAlpha(40)
        strong.setAlpha(90)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRects(shapes.regions)
        if self.current is not None and self.current in shapes.rows:
            painter.fillRect(shapes.regions[self.current - shapes.rows.start], strong)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 1))
        painter.drawLines(shapes.edges)

    def _paint_numbers(self, painter: QPainter) -> None:
        """Each cue's number in its top left corner, over the waveform."""
        painter.setPen(theme.colour(CUE))
        for point, number in self._cue_shapes().numbers:
            painter.drawText(point, number)

    def _cue_shapes(self) -> _CueShapes:
        """The visible cues' regions, edges and numbers, made once per view (and per step of
        a drag): a long job's hundreds of cues cost Python calls only when the view moves."""
        key = (self.start_s, self.span_s, self.width(), self.height(), self._version, self._drag)
        if self._shapes is not None and self._shapes.key == key:
            return self._shapes
        rows, height = self._visible_rows(), self._wave_height()
        shapes = _CueShapes(key, rows, [], [], [])
        for row in rows:
            start, end = self._shown_times(row)
            left, right = self.x_of(start), self.x_of(end)
            shapes.regions.append(QRectF(left, 0, right - left, height))
            shapes.edges += [QLineF(left, 0, left, height), QLineF(right, 0, right, height)]
            if right - left > 24:
                shapes.numbers.append((QPointF(left + 4, 14), str(row + 1)))
        self._shapes = shapes
        return shapes

    def _shown_times(self, row: int) -> tuple[float, float]:
        start, end = self.cues[row]
        if self._drag is not None and self._drag.row == row:
            return (
                (self._drag.seconds, end)
                if self._drag.field == "start"
                else (start, self._drag.seconds)
            )
        return start, end

    def _wave_lines(self) -> list[QLineF]:
        """One vertical line per pixel column, from its lowest to its highest sample."""
        width, height = self.width(), self._wave_height()
        key = (self.start_s, self.span_s, width, height)
        if self._columns is not None and self._columns[0] == key:
            return self._columns[1]
        if self.envelope is None:
            return []
        lows, highs = self.envelope.columns(self.start_s, self.span_s / max(1, width), width)
        middle, half = height / 2, height / 2 - 2
        tops = (middle - highs * half).tolist()
        bottoms = (middle - lows * half + 1).tolist()
        lines = [
            QLineF(x + 0.5, top, x + 0.5, bottom)
            for x, (top, bottom) in enumerate(zip(tops, bottoms, strict=True))
        ]
        self._columns = (key, lines)
        return lines

    def _paint_ticks(self, painter: QPainter) -> None:
        metrics = painter.fontMetrics()
        room = metrics.horizontalAdvance("00:00:00") + 16
        step = next((s for s in TICK_STEPS_S if s * self.width() / self.span_s >= room), 600)
        painter.setPen(theme.colour(TEXT))
        tick = math.ceil(self.start_s / step) * step
        bottom, ruler = self.height(), self._wave_height()
        painter.setPen(theme.colour(BORDER))
        painter.drawLine(QLineF(0, ruler, self.width(), ruler))
        painter.setPen(theme.colour(TEXT))
        while tick < self.start_s + self.span_s:
            x = self.x_of(tick)
            painter.drawLine(QLineF(x, ruler, x, ruler + 4))
            label = format_time(tick).removesuffix(".000")
            if x + 3 + metrics.horizontalAdvance(label) < self.width():
                painter.drawText(QPointF(x + 3, bottom - 3), label)
            tick += step

    # -- the mouse ----------------------------------------------------------------------------

    def edge_at(self, x: float) -> tuple[int, str] | None:
        """The cue edge within reach of x coordinate ``x``: ``(row, "start" | "end")``."""
        best: tuple[float, int, str] | None = None
        for row in self._visible_rows():
            for field, seconds in zip(("start", "end"), self.cues[row], strict=True):
                edge = self.x_of(seconds)
                distance = abs(edge - x)
                # Where two cues touch: left of the line is the first's end, right the
                # second's start.
                inward = (x >= edge) == (field == "start")
                rank = distance - (0.5 if inward else 0.0)
                if distance <= EDGE_GRAB_PX and (best is None or rank < best[0]):
                    best = (rank, row, field)
        return None if best is None else (best[1], best[2])

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: grab an edge, or note where a click began."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._press = event.position()
        if (edge := self.edge_at(event.position().x())) is not None:
            self._drag = self._grab(*edge)

    def _grab(self, row: int, field: str) -> _Drag:
        """Cue ``row``'s ``field`` edge taken, free to move between its neighbours."""
        start, end = self.cues[row]
        if field == "start":
            low = self.cues[row - 1][1] if row > 0 else 0.0
            return _Drag(row, field, start, low, end - MIN_CUE_S)
        last = row + 1 == len(self.cues)
        high = (self.duration_s or math.inf) if last else self.cues[row + 1][0]
        return _Drag(row, field, end, start + MIN_CUE_S, high)

    def show_drag(self, row: int | None, field: str = "end", seconds: float = 0.0) -> None:
        """Draw cue ``row``'s ``field`` edge as if dragged to ``seconds`` (None: as it is);
        for screenshots, as the mouse leaves it mid-drag."""
        if row is None or not 0 <= row < len(self.cues):
            self._drag = None
        else:
            grabbed = self._grab(row, field)
            moved = min(max(seconds, grabbed.low), grabbed.high)
            self._drag = _Drag(row, field, moved, grabbed.low, grabbed.high)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: move the dragged edge, or show where an edge can be grabbed."""
        if self._drag is not None:
            seconds = min(
                max(self.seconds_at(event.position().x()), self._drag.low), self._drag.high
            )
            self._drag = _Drag(
                self._drag.row, self._drag.field, seconds, self._drag.low, self._drag.high
            )
            self.update()
            return
        near = self.edge_at(event.position().x()) is not None
        self.setCursor(Qt.CursorShape.SizeHorCursor if near else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: drop the edge (one edit), or seek where a click landed."""
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        moved = abs(event.position().x() - self._press.x()) >= CLICK_SLOP_PX
        drag, self._drag, self._press = self._drag, None, None
        if drag is not None and moved:
            self.update()
            self.edge_dragged.emit(drag.row, drag.field, round(drag.seconds, 3))
            return
        seconds = min(max(0.0, self.seconds_at(event.position().x())), self.duration_s or math.inf)
        self.update()
        self.position_picked.emit(round(seconds * 1000))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: zoom around the mouse; with Shift, scroll."""
        steps = event.angleDelta().y() / 120 or event.angleDelta().x() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._scroll_to(self.start_s - steps * self.span_s / 5)
        else:
            self.zoom(0.8**steps, self.seconds_at(event.position().x()))
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Qt override: the columns are folded again for the new width."""
        self._columns = None
        super().resizeEvent(event)
