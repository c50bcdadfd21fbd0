"""The worker services' config files as the settings dialog edits them, and the checks it runs.

The files are read back by the worker's own loader (``worker.loader.load_settings``) with the
services' real settings models, so "the worker sees it" is what is tested.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.pipeline.context import JobContext
from vt_desktop.core.pipeline.write import cues_for
from vt_desktop.core.service_config import (
    AsrConfig,
    LlmConfig,
    ServiceConfigError,
    read_asr,
    read_llm,
    service_file,
    write_asr,
    write_llm,
)
from vt_desktop.core.settings_check import BrokerFields, check_broker, check_tls_files
from vt_desktop.core.subtitles import Sentence, TimedWord
from worker.loader import load_settings, write_defaults
from worker.services.asr_service import AsrService, AsrSettings
from worker.services.mt_service import MtService, MtSettings


def test_llm_endpoint_written_is_what_the_worker_loads_and_other_keys_survive(
    tmp_path: Path,
) -> None:
    path = service_file(tmp_path, "mt")
    write_defaults(path, MtSettings(batch_size=7, default_engine="ct2"))  # as the worker does
    write_llm(tmp_path, LlmConfig("http://127.0.0.1:11434/v1", "llama3.1", SecretStr("sk-123")))

    loaded = load_settings(MtService, True, tmp_path).settings
    assert isinstance(loaded, MtSettings)
    assert (loaded.llm_base_url, loaded.llm_model) == ("http://127.0.0.1:11434/v1", "llama3.1")
    assert loaded.llm_api_key is not None and loaded.llm_api_key.get_secret_value() == "sk-123"
    assert (loaded.batch_size, loaded.default_engine, loaded.rpc_enabled) == (7, "ct2", True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the file holds an API key"
    assert read_llm(tmp_path).has_api_key
    assert not list(path.parent.glob("*.tmp")), "no temp file is left behind"


def test_an_llm_key_of_none_removes_the_stored_key(tmp_path: Path) -> None:
    write_llm(tmp_path, LlmConfig("https://llm.example/v1", "m", SecretStr("secret")))
    write_llm(tmp_path, LlmConfig("https://llm.example/v1", "m", None))
    assert "llm_api_key" not in service_file(tmp_path, "mt").read_text()
    assert not read_llm(tmp_path).has_api_key


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (LlmConfig("ftp://host/v1", "m"), "http:// or https://"),
        (LlmConfig("http://", "m"), "with a host"),
        (LlmConfig("http://127.0.0.1:11434/v1", ""), "Name the chat model"),
        (LlmConfig("", "llama3.1"), "endpoint URL"),
    ],
)
def test_a_bad_llm_endpoint_is_refused_and_nothing_is_written(
    tmp_path: Path, config: LlmConfig, words: str
) -> None:
    write_llm(tmp_path, LlmConfig("http://good:1/v1", "good"))
    before = service_file(tmp_path, "mt").read_bytes()
    with pytest.raises(ServiceConfigError, match=words):
        write_llm(tmp_path, config)
    assert service_file(tmp_path, "mt").read_bytes() == before


def test_speech_defaults_written_are_what_the_asr_service_loads(tmp_path: Path) -> None:
    write_defaults(service_file(tmp_path, "asr"), AsrSettings(batch_size=3))
    write_asr(tmp_path, AsrConfig(model="tiny.en", device="cpu"))
    loaded = load_settings(AsrService, True, tmp_path).settings
    assert isinstance(loaded, AsrSettings)
    assert (loaded.model, loaded.device, loaded.batch_size) == ("tiny.en", "cpu", 3)
    assert read_asr(tmp_path) == AsrConfig("tiny.en", "cpu")
    assert read_asr(tmp_path / "fresh") == AsrConfig("base", "auto"), "the worker's defaults"


def test_a_broken_service_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = service_file(tmp_path, "asr")
    path.parent.mkdir(parents=True)
    path.write_text("model = [unclosed\n")
    with pytest.raises(ServiceConfigError, match=r"asr\.toml is not valid TOML"):
        read_asr(tmp_path)
    with pytest.raises(ServiceConfigError, match="not valid TOML"):
        write_asr(tmp_path, AsrConfig("base", "auto"))
    assert path.read_text() == "model = [unclosed\n"


def test_quotes_and_newlines_in_values_survive_the_round_trip(tmp_path: Path) -> None:
    key = 'a"b\\c\nd'
    write_llm(tmp_path, LlmConfig("http://h/v1", 'model "x"', SecretStr(key)))
    got = read_llm(tmp_path)
    assert got.model == 'model "x"'
    assert got.api_key is not None and got.api_key.get_secret_value() == key


# -- connection checks --------------------------------------------------------------------


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real CA certificate with its key, a second key, and a junk file (made by openssl)."""
    folder = tmp_path_factory.mktemp("pem")
    for name in ("ca", "other"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", f"/CN={name}", "-keyout", str(folder / f"{name}.key"),
             "-out", str(folder / f"{name}.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
    (folder / "junk.pem").write_text("not a certificate\n")
    return folder


def test_real_certificates_pass_the_tls_checks(pem: Path) -> None:
    assert check_tls_files(str(pem / "ca.pem"), str(pem / "ca.pem"), str(pem / "ca.key")) == {}


@pytest.mark.parametrize(
    ("files", "field", "words"),
    [
        (("missing.pem", "", ""), "rabbitmq_ca_file", "does not exist"),
        (("junk.pem", "", ""), "rabbitmq_ca_file", "no PEM certificate"),
        (("", "ca.pem", "other.key"), "rabbitmq_key_file", "does not belong"),
        (("", "junk.pem", "ca.key"), "rabbitmq_cert_file", "no PEM certificate"),
        (("", "ca.pem", ""), "rabbitmq_key_file", "holds no private key"),
        (("", "", "ca.key"), "rabbitmq_cert_file", "needs its client certificate"),
        ((".", "", ""), "rabbitmq_ca_file", "is not a file"),
    ],
)
def test_each_bad_tls_file_gets_its_own_message(
    pem: Path, files: tuple[str, str, str], field: str, words: str
) -> None:
    ca, cert, key = (str(pem / name) if name else "" for name in files)
    problems = check_tls_files(ca, cert, key)
    assert words in problems[field]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (BrokerFields("remote", url="http://host/vt"), "rabbitmq_url", "amqp:// or amqps://"),
        (BrokerFields("remote", url="amqps://u:p@:5671/vt"), "rabbitmq_url", "has no host"),
        (BrokerFields("remote", url="amqp://h:99999/vt"), "rabbitmq_url", "between 1 and 65535"),
        (BrokerFields("remote", url="amqp://h /vt"), "rabbitmq_url", "spaces"),
        (BrokerFields("remote", host=""), "rabbitmq_host", "host name or address"),
        (BrokerFields("remote", host="amqp://h"), "rabbitmq_host", "not a host name"),
        (BrokerFields("remote", user=" "), "rabbitmq_user", "user name"),
        (BrokerFields("remote", vhost=""), "rabbitmq_vhost", "virtual host"),
        (BrokerFields("local", port=0), "rabbitmq_port", "between 1 and 65535"),
    ],
)
def test_bad_broker_fields_are_named(fields: BrokerFields, field: str, words: str) -> None:
    problems = check_broker(fields)
    assert words in problems[field]


def test_a_broker_url_problem_never_echoes_the_password() -> None:
    problems = check_broker(BrokerFields("remote", url="http://bob:hunter2@host/vt"))
    assert "hunter2" not in " ".join(problems.values())


def test_good_remote_settings_pass() -> None:
    assert check_broker(BrokerFields("remote", url="amqps://u:p@broker.example:5671/vt")) == {}
    assert check_broker(BrokerFields("remote", host="broker.example", port=5671)) == {}
    assert check_broker(BrokerFields("local", host="")) == {}, "local mode ignores the host"


# -- subtitle rules from the settings reach the job's layout ----------------------------------


def test_old_stored_jobs_load_and_keep_the_language_defaults() -> None:
    stored = '{"input": "/v.mp4", "targets": ["pt"], "out_dir": "/o", "formats": ["srt"]}'
    spec = JobSpec.model_validate_json(stored)
    assert spec.rule_overrides() == {}


def test_the_jobs_rules_decide_how_cues_are_laid_out() -> None:
    words = [f"word{i:02d}" for i in range(12)]
    timed = tuple(TimedWord(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(words))
    sentence = Sentence(0, " ".join(words), 0.0, 6.0, timed, translation=" ".join(words))

    def lines(**rules: int) -> list[str]:
        spec = JobSpec(input=Path("/v.mp4"), targets=["pt"], out_dir=Path("/o"), **rules)
        ctx = JobContext("job", spec, None, None, None)  # type: ignore[arg-type]
        return [line for cue in cues_for(ctx, [sentence], "pt") for line in cue.lines]

    default = lines()
    narrow = lines(max_chars_per_line=20, max_lines=1)
    assert max(len(x) for x in default) > 20, "the default allows 42 characters"
    assert max(len(x) for x in narrow) <= 20
    assert len(narrow) > len(default)
