"""HTTP layer shared by every source: one requests.Session per source, with timeouts, retries
that honour Retry-After (and OpenSky's own header), a clear User-Agent, and OAuth2 client
credentials for the APIs that need them. Secrets stay in memory: never logged, never written."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from oauthlib.oauth2 import BackendApplicationClient, InsecureTransportError, is_secure_transport
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3.util.retry import Retry

from pipeline.config import Credentials, Settings
from pipeline.errors import SourceError

USER_AGENT = "flight-disruption-pipeline/0.1 (nightly aviation-disruption research)"
RETRY_STATUSES = (429, 500, 502, 503, 504)
# requests-oauthlib logs tokens at DEBUG; keep them out of every log whatever the root level.
for _chatty in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_chatty).setLevel(logging.INFO)

log = logging.getLogger(__name__)


class RetryAfterTooLong(Exception):
    """The server asked us to wait longer than we are willing to block a task for."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"server asked to retry after {seconds:.0f} s")


class PlainHttpTokenUrl(Exception):
    """The OAuth2 client secret was about to go over plain http. oauthlib allows that only when
    OAUTHLIB_INSECURE_TRANSPORT is set, which only the tests do, for their loopback servers."""

    def __init__(self, url: str, setting: str) -> None:
        self.setting = setting
        super().__init__(f"the token URL {url} is plain HTTP; OAuth2 client credentials are "
                         "only sent over https")


class RateLimitRetry(Retry):
    """urllib3 Retry that also reads OpenSky's X-Rate-Limit-Retry-After-Seconds header and
    refuses to sleep longer than `max_retry_after` (an exhausted daily quota is not a blip)."""

    max_retry_after: float = 300.0

    def new(self, **kw: Any) -> RateLimitRetry:
        fresh = super().new(**kw)
        fresh.max_retry_after = self.max_retry_after
        return fresh

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        opensky_value = response.headers.get("X-Rate-Limit-Retry-After-Seconds")
        if seconds is None and opensky_value:
            seconds = self.parse_retry_after(opensky_value)
        return seconds

    def sleep_for_retry(self, response: Any) -> bool:
        seconds = self.get_retry_after(response)
        if seconds is not None and seconds > self.max_retry_after:
            raise RetryAfterTooLong(seconds)
        if seconds:
            log.warning("rate limited; waiting %.0f s as the server asked", seconds)
        return super().sleep_for_retry(response)


def send_or_explain(
    send: Callable[[], requests.Response], *, source: str, partition: str, url: str,
    url_setting: str,
) -> requests.Response:
    """Run one request (retries included); what still fails becomes a SourceError that names
    the source, the partition and what to do."""
    try:
        return send()
    except PlainHttpTokenUrl as exc:
        raise SourceError(source, partition, str(exc),
                          f"set {exc.setting} to an https:// URL") from exc
    except InsecureTransportError as exc:  # oauthlib refused to send the token to `url`
        raise SourceError(source, partition, f"the API URL {url} is plain HTTP; the OAuth2 "
                          "token is only sent over https",
                          f"set {url_setting} to an https:// URL") from exc
    except RetryAfterTooLong as exc:
        raise SourceError(source, partition, f"rate limited: {exc}",
                          "the API's quota is spent for now; retry after that time "
                          "(the task retries later)") from exc
    except requests.RequestException as exc:
        raise SourceError(source, partition, f"no answer from {url}: {exc}",
                          f"check the network and {url_setting}; the task retries later") from exc


def configure_session(session: requests.Session, settings: Settings) -> requests.Session:
    retry = RateLimitRetry(
        total=settings.http_retries,
        backoff_factor=settings.http_backoff_s,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST"}),  # the token POST is safe to repeat
        respect_retry_after_header=True,
        raise_on_status=False,  # the caller turns the final status into a SourceError
    )
    retry.max_retry_after = settings.max_retry_after_s
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def plain_session(settings: Settings) -> requests.Session:
    return configure_session(requests.Session(), settings)


class ClientCredentialsSession:
    """Bearer-token GETs with an OAuth2 client-credentials token cached until shortly before
    it expires and fetched again once if the API answers 401."""

    EXPIRY_MARGIN_S = 60

    def __init__(self, token_url: str, credentials: Credentials, settings: Settings, *,
                 token_url_setting: str) -> None:
        self._token_url = token_url
        self._token_url_setting = token_url_setting
        self._credentials = credentials
        self._timeout = settings.http_timeout_s
        client = BackendApplicationClient(client_id=credentials.client_id)
        self.session = configure_session(OAuth2Session(client=client), settings)

    def _fetch_token(self) -> None:
        if not is_secure_transport(self._token_url):  # before the secret leaves this process
            raise PlainHttpTokenUrl(self._token_url, self._token_url_setting)
        self.session.fetch_token(
            token_url=self._token_url,
            client_id=self._credentials.client_id,
            client_secret=self._credentials.client_secret,
            include_client_id=True,  # OpenSky's documented form: id and secret in the body
            timeout=self._timeout,
        )

    def _token_is_fresh(self) -> bool:
        expires_at = self.session.token.get("expires_at") if self.session.token else None
        return expires_at is not None and expires_at - self.EXPIRY_MARGIN_S > time.time()

    def get(self, url: str, params: dict[str, Any]) -> requests.Response:
        if not self._token_is_fresh():
            self._fetch_token()
        response = self.session.get(url, params=params, timeout=self._timeout)
        if response.status_code == 401:
            log.info("token rejected (401); fetching a new one once")
            self._fetch_token()
            response = self.session.get(url, params=params, timeout=self._timeout)
        return response
