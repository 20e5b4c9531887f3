"""The siteverify client against a loopback server that follows hCaptcha's contract."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import pytest
import urllib3

from chalicelib.intake.captcha import CaptchaMisconfigured, CaptchaUnavailable, CaptchaVerifier
from devstack.siteverify import TEST_SECRET, TEST_TOKEN, SiteverifyServer

TEST_SITEKEY = "10000000-ffff-ffff-ffff-000000000001"


@pytest.fixture
def server() -> Iterator[SiteverifyServer]:
    running = SiteverifyServer().start()
    yield running
    running.stop()


def verifier(url: str, secret: str = TEST_SECRET, timeout: float = 2.0) -> CaptchaVerifier:
    return CaptchaVerifier(urllib3.PoolManager(), url, secret, TEST_SITEKEY, timeout)


def test_the_published_test_token_passes_with_the_dummy_hostname(server: SiteverifyServer) -> None:
    result = verifier(server.url).verify(TEST_TOKEN)

    assert result.success is True
    assert result.hostname == "dummy-key-pass"
    assert server.state.requests[-1] == {"secret": TEST_SECRET, "response": TEST_TOKEN, "sitekey": TEST_SITEKEY}


def test_the_remote_ip_is_sent_only_when_given(server: SiteverifyServer) -> None:
    verifier(server.url).verify(TEST_TOKEN, remote_ip="203.0.113.7")

    assert server.state.requests[-1]["remoteip"] == "203.0.113.7"


def test_a_token_is_single_use(server: SiteverifyServer) -> None:
    token = server.state.issue_token("campaign.example")
    client = verifier(server.url)

    first, second = client.verify(token), client.verify(token)

    assert first.success is True
    assert first.hostname == "campaign.example"
    assert second.success is False
    assert second.error_codes == ("already-seen-response",)
    assert second.message_key == "captcha_used"


def test_a_wrong_secret_is_the_operators_problem_not_the_supporters(server: SiteverifyServer) -> None:
    with pytest.raises(CaptchaMisconfigured, match="invalid-input-secret"):
        verifier(server.url, secret="0xwrong").verify(TEST_TOKEN)


def test_a_server_error_is_unavailable(server: SiteverifyServer) -> None:
    server.state.failing_status = 502

    with pytest.raises(CaptchaUnavailable):
        verifier(server.url).verify(TEST_TOKEN)


def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(CaptchaUnavailable):
        verifier(f"http://127.0.0.1:{port}/siteverify").verify(TEST_TOKEN)


def test_a_silent_server_times_out_as_unavailable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]

    with pytest.raises(CaptchaUnavailable):
        verifier(f"http://127.0.0.1:{port}/siteverify", timeout=0.5).verify(TEST_TOKEN)
    for connection in accepted:
        connection.close()
    listener.close()


def test_the_secret_and_token_never_reach_the_log(server: SiteverifyServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        verifier(server.url).verify(TEST_TOKEN)
        with pytest.raises(CaptchaMisconfigured):
            verifier(server.url, secret="0xsecret-value").verify(TEST_TOKEN)

    assert TEST_SECRET not in caplog.text
    assert "0xsecret-value" not in caplog.text
    assert TEST_TOKEN not in caplog.text


@pytest.mark.parametrize("status", [400, 403, 404, 429])
def test_success_in_an_answer_that_is_not_a_200_is_not_trusted(server: SiteverifyServer, status: int) -> None:
    server.state.answer_status = status

    assert verifier(server.url).verify(TEST_TOKEN).success is False
