"""HTTP layer and OpenSky fetch against a real local server: retries, rate limits, OAuth2 (and
its refusal to send secrets over plain http)."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fake_opensky import CLIENT_SECRET, FakeOpenSky
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.config import Settings, credentials_from_env
from pipeline.errors import SourceError
from pipeline.http import USER_AGENT
from pipeline.raw import RawZone
from pipeline.sources import opensky
from pipeline.sources.base import FetchContext

DAY = date(2025, 11, 20)
LATER = datetime(2025, 11, 21, 1, tzinfo=UTC)


@pytest.fixture
def sky(httpserver, fdp_env, monkeypatch) -> FakeOpenSky:
    fake = FakeOpenSky(httpserver)
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return fake


def context(settings: Settings, now=lambda: LATER) -> FetchContext:
    return FetchContext(settings, RawZone(settings.raw_dir),
                        {"opensky": credentials_from_env("opensky")}, now=now)


def fetch(settings: Settings, ctx: FetchContext | None = None) -> list:
    """One airport-day; returns the raw records of the fetch now newest."""
    ctx = ctx or context(settings)
    opensky.fetch(ctx, DAY, "SVMI")
    return ctx.raw.latest("opensky", "2025-11-20/SVMI")


def test_token_is_fetched_once_and_reused(sky):
    settings = Settings.from_env()
    records = fetch(settings)
    assert [r.status for r in records] == [404, 404]
    assert len(sky.token_requests) == 1
    assert {r.headers["Authorization"] for r in sky.api_requests} == {"Bearer token-1"}
    assert sky.api_requests[0].headers["User-Agent"] == USER_AGENT


def test_token_about_to_expire_is_fetched_again(httpserver, fdp_env, monkeypatch):
    fake = FakeOpenSky(httpserver, expires_in=30)  # inside the 60 s safety margin
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    fetch(Settings.from_env())
    assert len(fake.token_requests) == 2


def test_401_fetches_a_new_token_once(sky):
    settings = Settings.from_env()
    ctx = context(settings)
    fetch(settings, ctx)
    sky.revoke_tokens()  # the server forgot our token before it expired
    fetch(settings, ctx)
    assert len(sky.token_requests) == 2


def test_rejected_credentials_name_the_fix(sky, monkeypatch):
    sky.scripted = [Response("", 401), Response("", 401)]
    with pytest.raises(SourceError, match=r"opensky 2025-11-20/SVMI: HTTP 401 .*check credentials"):
        fetch(Settings.from_env())


@pytest.mark.parametrize("header", ["Retry-After", "X-Rate-Limit-Retry-After-Seconds"])
def test_429_waits_as_long_as_the_server_asks(sky, header):
    sky.scripted = [Response("", 429, headers={header: "1"})]
    started = time.monotonic()
    records = fetch(Settings.from_env())
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in records] == [404, 404]


def test_429_with_a_long_wait_fails_fast_with_a_clear_error(sky):
    sky.scripted = [Response("", 429, headers={"X-Rate-Limit-Retry-After-Seconds": "7200"})]
    started = time.monotonic()
    with pytest.raises(SourceError, match="rate limited: server asked to retry after 7200 s"):
        fetch(Settings.from_env())
    assert time.monotonic() - started < 5


def test_5xx_is_retried_with_backoff(sky):
    sky.scripted = [Response("", 503), Response("", 502)]
    assert [r.status for r in fetch(Settings.from_env())] == [404, 404]
    assert len(sky.api_requests) == 4


def test_persistent_5xx_names_source_partition_and_status(sky):
    sky.scripted = [Response("", 500)] * 10
    with pytest.raises(SourceError, match=r"opensky 2025-11-20/SVMI: HTTP 500 .*departure"):
        fetch(Settings.from_env())
    assert len(sky.api_requests) == 4  # first try + FDP_HTTP_RETRIES=3


def test_malformed_payload_is_kept_as_unusable_and_raises(sky):
    sky.scripted = [Response("<html>maintenance</html>", 200)]
    settings = Settings.from_env()
    with pytest.raises(SourceError, match="malformed departure payload: not JSON"):
        fetch(settings)
    raw = RawZone(settings.raw_dir)
    assert raw.latest("opensky", "2025-11-20/SVMI") == []  # never replayed
    [kept] = raw.records("opensky", "2025-11-20/SVMI")
    assert (kept.request, kept.usable) == ("departure", False)
    assert raw.read(kept) == b"<html>maintenance</html>"


def test_json_that_is_not_a_list_is_malformed(sky):
    sky.scripted = [Response('{"error": "x"}', 200, content_type="application/json")]
    with pytest.raises(SourceError, match="expected a JSON array of flights, got dict"):
        fetch(Settings.from_env())


def test_today_is_refused_because_opensky_serves_past_days_only(sky):
    settings = Settings.from_env()
    with pytest.raises(SourceError, match="past UTC days only"):
        opensky.fetch(context(settings, now=lambda: datetime(2025, 11, 20, 23, tzinfo=UTC)),
                      DAY, "SVMI")
    assert sky.api_requests == []


def test_secrets_reach_neither_logs_nor_raw_files(sky, caplog):
    caplog.set_level(logging.DEBUG)
    settings = Settings.from_env()
    sky.scripted = [Response("", 429, headers={"Retry-After": "0"})]
    fetch(settings)
    assert "token-1" in sky.api_requests[-1].headers["Authorization"]  # the token was used
    assert CLIENT_SECRET not in caplog.text and "token-1" not in caplog.text
    for path in settings.raw_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert CLIENT_SECRET not in text and "token-1" not in text
    assert CLIENT_SECRET not in repr(credentials_from_env("opensky"))


def test_unreachable_api_names_the_setting_to_check(sky, monkeypatch):
    monkeypatch.setenv("FDP_OPENSKY_API_URL", "http://127.0.0.1:9/api")  # nothing listens
    with pytest.raises(SourceError, match=r"opensky 2025-11-20/SVMI: no answer from "
                                          r"http://127.0.0.1:9/api/flights/departure.*"
                                          r"FDP_OPENSKY_API_URL"):
        fetch(Settings.from_env())


def test_plain_http_token_url_is_refused_before_the_secret_is_sent(sky, monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")  # as outside the tests
    with pytest.raises(SourceError) as refused:
        fetch(Settings.from_env())
    assert str(refused.value) == (
        f"opensky 2025-11-20/SVMI: the token URL {sky.auth_url} is plain HTTP; OAuth2 client "
        "credentials are only sent over https. Fix: set FDP_OPENSKY_AUTH_URL to an https:// URL")
    assert sky.token_requests == [] and sky.api_requests == []


@pytest.fixture
def https_server(tmp_path, monkeypatch) -> Iterator[HTTPServer]:
    """A second local server, speaking TLS with a self-signed certificate for localhost that
    requests is told to trust (REQUESTS_CA_BUNDLE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "localhost.pem", tmp_path / "localhost.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    server = HTTPServer(host="localhost", ssl_context=context)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_plain_http_api_url_gets_no_token(https_server, httpserver, fdp_env, monkeypatch):
    secure, plain = FakeOpenSky(https_server), FakeOpenSky(httpserver)
    for key, value in secure.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")
    monkeypatch.setenv("FDP_OPENSKY_API_URL", plain.api_url)
    with pytest.raises(SourceError) as refused:
        fetch(Settings.from_env())
    assert secure.auth_url.startswith("https://") and len(secure.token_requests) == 1
    assert plain.api_requests == []  # the token never went over plain http
    assert str(refused.value) == (
        f"opensky 2025-11-20/SVMI: the API URL {plain.api_url}/flights/departure is plain HTTP; "
        "the OAuth2 token is only sent over https. Fix: set FDP_OPENSKY_API_URL to an https:// "
        "URL")
