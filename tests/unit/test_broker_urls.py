"""Several broker URLs (``RABBITMQ_URL=amqp://node1,amqp://node2``): parsing, the first
entry's credentials and virtual host filled into the others, a bad entry named by its
position without its password, and a connection that tries each broker in turn."""

from __future__ import annotations

import socket

import pytest

from vt_desktop.core.config import AppSettings
from vt_desktop.core.settings_check import BrokerFields, check_broker
from vt_desktop.core.supervisor.broker import free_port
from worker.protocol.errors import BrokerError
from worker.transport.connection import _explain, connect, safe_url
from worker.transport.settings import BrokerSettings, BrokerUrlError, split_broker_urls


def test_one_url_is_a_list_of_one() -> None:
    assert split_broker_urls("amqps://alice:pw@node1:5671/vt") == ["amqps://alice:pw@node1:5671/vt"]


def test_commas_and_semicolons_separate_and_entries_take_the_first_ones_credentials() -> None:
    text = "amqps://alice:p%2Cw@node1:5671/vt, amqps://node2:5671 ;amqp://bob:x@node3/"
    assert split_broker_urls(text) == [
        "amqps://alice:p%2Cw@node1:5671/vt",
        "amqps://alice:p%2Cw@node2:5671/vt",  # user, password and vhost of the first
        "amqp://bob:x@node3/",  # its own user, and '/' names the default vhost
    ]


def test_rabbitmq_url_from_the_environment_is_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RABBITMQ_URL", "amqp://u:p@a:5672/v,amqp://b:5673")
    assert BrokerSettings().broker_urls() == ["amqp://u:p@a:5672/v", "amqp://u:p@b:5673/v"]
    assert AppSettings().broker_urls()[1] == "amqp://u:p@b:5673/v"


def test_without_a_url_the_one_broker_is_built_from_host_and_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RABBITMQ_URL", raising=False)
    s = BrokerSettings(rabbitmq_host="gpu.box", rabbitmq_port=5671, rabbitmq_tls=True)
    assert s.broker_urls() == ["amqps://guest:guest@gpu.box:5671/%2F"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("amqp://u:hunter2@a/v,,amqp://b", "Broker URL 2 of 3: it is empty"),
        ("amqp://u:hunter2@a/v,", "Broker URL 2 of 2: it is empty"),
        ("amqp://u:hunter2@a/v,http://b/v", "Broker URL 2 of 2: A broker URL starts with amqp://"),
        ("amqp://u:hunter2@a/v,amqp://b:99999", "Broker URL 2 of 2: The port"),
        ("amqp://u:hunter2@a/v,amqps://u@:5671/v", "Broker URL 2 of 2: The broker URL has no host"),
        ("amqp://u:hunter2@a/v,amqp://b /v", "Broker URL 2 of 2: A broker URL must not contain"),
        ("amqp://u:hunter2@a/v,amqp://a/v", "Broker URL 2 of 2: it repeats broker URL 1"),
        ("", "Give a broker URL"),
        # an unescaped comma in the password splits the URL: say how to write it
        ("amqp://u:hunter2,x@a/v,amqp://b", "written %2C or %3B"),
    ],
)
def test_a_bad_entry_is_named_by_position_without_its_password(text: str, words: str) -> None:
    with pytest.raises(BrokerUrlError) as caught:
        split_broker_urls(text)
    assert words in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_settings_dialog_refuses_a_bad_entry_by_position() -> None:
    problems = check_broker(BrokerFields("remote", url="amqp://u:hunter2@a/v,amqp://b:0/v"))
    assert problems["rabbitmq_url"].startswith("Broker URL 2 of 2: The port")
    assert "hunter2" not in problems["rabbitmq_url"]
    assert check_broker(BrokerFields("remote", url="amqps://u:p@a:5671/v,amqps://b:5671")) == {}


def test_safe_url_masks_every_password_of_a_list() -> None:
    text = "amqps://alice:pw1@node1:5671/vt,amqps://node2:5671;amqp://bob:pw2@node3/"
    assert safe_url(text) == (
        "amqps://alice:***@node1:5671/vt,amqps://node2:5671,amqp://bob:***@node3/"
    )
    assert safe_url("amqp://a:b@h/") == "amqp://a:***@h/"
    assert safe_url("Connect call failed ('127.0.0.1', 5682)") == (
        "Connect call failed ('127.0.0.1', 5682)"
    ), "free text with commas is left as it is"


async def test_connect_names_each_broker_that_did_not_answer_and_no_password() -> None:
    ports = [free_port(), free_port()]
    url = ",".join(f"amqp://vt:hunter2@127.0.0.1:{p}/" for p in ports)
    with pytest.raises(BrokerError) as caught:
        await connect(BrokerSettings(rabbitmq_url=url), timeout=2.0)
    text = str(caught.value)
    assert text.startswith("none of the 2 brokers could be reached: ")
    for p in ports:
        assert f"nothing answers at amqp://vt:***@127.0.0.1:{p}/" in text
    assert "hunter2" not in text


async def test_connect_refuses_a_bad_list_before_trying_any_broker() -> None:
    with pytest.raises(BrokerError, match="Broker URL 2 of 2: it is empty"):
        await connect(BrokerSettings(rabbitmq_url="amqp://vt:hunter2@127.0.0.1:1/,"))


def _free_port_holding(digits: str) -> int:
    """A free port whose number holds ``digits`` (e.g. 40357 holds "403")."""
    for port in range(int(digits) * 100, int(digits) * 100 + 100):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port from {digits}00")


@pytest.mark.parametrize("digits", ["403", "111"])
async def test_a_port_holding_a_code_is_not_read_as_that_code(digits: str) -> None:
    # CI picked port 40357 for an unreachable broker and was told the broker "refused the user
    # name or password": the check for AMQP's 403 read the port in the address
    port = _free_port_holding(digits)
    url = f"amqp://vt:hunter2@127.0.0.1:{port}/"
    with pytest.raises(BrokerError) as caught:
        await connect(BrokerSettings(rabbitmq_url=url), timeout=2.0)
    assert f"nothing answers at amqp://vt:***@127.0.0.1:{port}/" in str(caught.value)


def test_codes_are_still_read_outside_addresses() -> None:
    where = "amqp://vt:pw@127.0.0.1:40357/"
    refused = ConnectionError("Server connection 403 ACCESS_REFUSED - Login was refused")
    assert "refused the user name or password" in _explain(refused, where)
    errno = OSError(111, "Connect call failed ('127.0.0.1', 40357)")
    assert "nothing answers at" in _explain(errno, where)
    other = OSError(113, "No route to host ('10.0.0.403', 5672)")
    assert "cannot connect to broker" in _explain(other, where)
