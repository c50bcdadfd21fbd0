"""The Settings dialog's "Models & engines" tab: the local workers' speech defaults (their
service file) and the chat-model endpoint of the LLM engine (the translation service's)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from PySide6.QtWidgets import QLineEdit

from vt_desktop.core.jobs.options import SPEECH_MODELS
from vt_desktop.core.service_config import (
    ASR_DEVICES,
    AsrConfig,
    LlmConfig,
    ServiceConfigError,
    check_asr,
    check_llm,
    read_asr,
    read_llm,
    write_asr,
    write_llm,
)
from vt_desktop.ui.settings.fields import FieldErrors, SecretField
from vt_desktop.ui.settings.pages import FormPage, combo, note, section


class EnginesPage(FormPage):
    """The workers' own engine settings, read from and written to their service files in
    ``config_dir`` (a file that cannot be read is said so in red, and saving rewrites it)."""

    def __init__(self, config_dir: Path, errors: FieldErrors, index: int) -> None:
        super().__init__(errors, index)
        self._config_dir = config_dir
        asr, llm, load_problem = self._read_service_files()
        self._asr, self._llm = asr, llm
        form = self.form
        self.worker_model = combo([(m, m) for m in SPEECH_MODELS], asr.model, editable=True)
        self.device = combo([(d, d) for d in ASR_DEVICES], asr.device)
        self.llm_url = QLineEdit(llm.base_url)
        self.llm_url.setPlaceholderText("http://127.0.0.1:11434/v1")
        self.llm_model = QLineEdit(llm.model)
        self.llm_model.setPlaceholderText(self.tr("e.g. llama3.1"))
        self.llm_key = SecretField(llm.has_api_key, clearable=True)
        add = self.add
        form.addRow(section(self.tr("Local workers")))
        add(self.tr("Default speech model:"), self.worker_model, "asr_default_model")
        add(self.tr("Device:"), self.device, "asr_device")
        form.addRow(section(self.tr("Chat model endpoint (LLM engine)")))
        add(self.tr("Endpoint URL:"), self.llm_url, "llm_base_url")
        add(self.tr("Model:"), self.llm_model, "llm_model")
        add(self.tr("API key:"), self.llm_key, "llm_api_key")
        if load_problem:
            warning = note(load_problem)
            warning.setObjectName("FieldError")
            form.addRow("", warning)

    def _read_service_files(self) -> tuple[AsrConfig, LlmConfig, str]:
        try:
            return read_asr(self._config_dir), read_llm(self._config_dir), ""
        except ServiceConfigError as exc:
            return (
                AsrConfig(),
                LlmConfig(),
                self.tr("{error}. Saving here rewrites it.").format(error=exc),
            )

    def write_changed(self) -> bool:
        """Write the service files whose settings changed here; True when one was written.

        Raises:
            ServiceConfigError: a file could not be written.
        """
        asr, llm = self.asr_config(), self.llm_config()
        if asr != self._asr:
            write_asr(self._config_dir, asr)
        if llm != self._llm:
            write_llm(self._config_dir, llm)
        return asr != self._asr or llm != self._llm

    def asr_config(self) -> AsrConfig:
        """The local workers' speech defaults the page holds."""
        return AsrConfig(
            model=self.worker_model.currentText().strip(), device=self.device.currentData()
        )

    def llm_config(self) -> LlmConfig:
        """The chat-model endpoint the page holds (an untouched key field keeps the key)."""
        typed = self.llm_key.value()
        key = self._llm.api_key if typed is None else (SecretStr(typed) if typed else None)
        return LlmConfig(self.llm_url.text().strip(), self.llm_model.text().strip(), key)

    def problems(self) -> dict[str, str]:
        """A speech default or an endpoint the workers would refuse."""
        problems: dict[str, str] = {}
        if asr := check_asr(self.asr_config()):
            problems["asr_default_model"] = asr
        problems.update({f"llm_{k}": v for k, v in check_llm(self.llm_config()).items()})
        return problems
