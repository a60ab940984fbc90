"""A fault server: each source's endpoints on 127.0.0.1 (pytest-httpserver), answering in the
source's documented format, except for the faults a test queues first. Faults are what public
APIs really do: rate limits, 5xx, stalls, connections closed mid-body, truncated or HTML
bodies, schema drift, expired or refused credentials."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conftest import FIXTURES
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Answer = Callable[[Request], Response]
JSON = "application/json"


def ok(body: object) -> Response:
    return Response(json.dumps(body), 200, content_type=JSON)


def fixture(path: str) -> dict | list:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


@dataclass
class Endpoint:
    """One endpoint: queued faults first (a fault answers once), then the healthy answer."""

    healthy: Answer
    faults: list[Answer] = field(default_factory=list)
    calls: int = 0

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        return self.faults.pop(0)(request) if self.faults else self.healthy(request)


# --- faults: each returns what the server answers once ---------------------------------

def status(code: int, **headers: str) -> Answer:
    return lambda request: Response("", code, headers=headers)


def stall(seconds: float, then: Answer) -> Answer:
    """Answers, but only after the client's read timeout has passed."""
    def answer(request: Request) -> Response:
        time.sleep(seconds)
        return then(request)
    return answer


class ConnectionDropped(Exception):
    """Raised inside the server's body stream: the server then closes the connection."""


def cut_mid_body(then: Answer) -> Answer:
    """Promises the whole body, sends half of it and drops the connection."""
    def answer(request: Request) -> Response:
        body = then(request).get_data()

        def half_then_drop():
            yield body[: len(body) // 2]
            raise ConnectionDropped

        return Response(half_then_drop(), 200, content_type=JSON,
                        headers={"Content-Length": str(len(body))})
    return answer


def truncated_json(then: Answer) -> Answer:
    """A complete HTTP answer whose JSON stops half-way (a proxy cut it)."""
    def answer(request: Request) -> Response:
        body = then(request).get_data()
        return Response(body[: len(body) // 2], 200, content_type=JSON)
    return answer


def html_error_page(request: Request) -> Response:
    return Response("<html><body><h1>Service temporarily unavailable</h1></body></html>", 200,
                    content_type="text/html")


def drifted(then: Answer, change: Callable[[dict], None], records: Callable[[object], list]
            ) -> Answer:
    """The healthy body with `change` applied to each record (schema drift)."""
    def answer(request: Request) -> Response:
        response = then(request)
        if response.status_code != 200:
            return response
        body = json.loads(response.get_data())
        for record in records(body):
            change(record)
        return ok(body)
    return answer


# --- healthy answers per source ----------------------------------------------------------

OPENSKY_TOKEN = "/auth/realms/opensky-network/protocol/openid-connect/token"


class FaultServer:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.opensky = Endpoint(self._opensky_flights)
        self.opensky_all = Endpoint(self._opensky_windows)
        self.notam = Endpoint(self._notam_pages)
        self.federal_register = Endpoint(self._federal_register_pages)
        server.expect_request(OPENSKY_TOKEN, method="POST").respond_with_handler(self._token)
        server.expect_request(re.compile(r"^/api/flights/(arrival|departure)$")
                              ).respond_with_handler(self.opensky)
        server.expect_request("/api/flights/all").respond_with_handler(self.opensky_all)
        server.expect_request("/notamapi/v1/notams").respond_with_handler(self.notam)
        server.expect_request("/api/v1/documents.json").respond_with_handler(
            self.federal_register)

    def env(self) -> dict[str, str]:
        url = self.server.url_for
        return {
            "FDP_OPENSKY_API_URL": url("/api").rstrip("/"),
            "FDP_OPENSKY_AUTH_URL": url(OPENSKY_TOKEN),
            "FDP_FAA_NOTAM_API_URL": url("/notamapi/v1").rstrip("/"),
            "FDP_FEDERAL_REGISTER_API_URL": url("/api/v1").rstrip("/"),
            "OAUTHLIB_INSECURE_TRANSPORT": "1",  # plain http is allowed for loopback tests only
        }

    def endpoint(self, case: str) -> Endpoint:
        """The endpoint a fault case hits (`opensky_world`: OpenSky in world mode)."""
        return {"opensky": self.opensky, "opensky_world": self.opensky_all,
                "faa_notam": self.notam, "federal_register": self.federal_register}[case]

    def revoke_tokens(self, case: str) -> Answer:
        """A fault: the token the client holds expires early (401 once, then fine)."""
        def answer(request: Request) -> Response:
            self.tokens.clear()
            return self.endpoint(case).healthy(request)
        return answer

    def _token(self, request: Request) -> Response:
        self.token_calls += 1
        token = f"token-{self.token_calls}"
        self.tokens.add(token)
        return ok({"access_token": token, "expires_in": 1800, "token_type": "Bearer"})

    def _opensky_flights(self, request: Request) -> Response:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Response("", 401)
        if request.args["airport"] != "SVMI":
            return Response("", 404)  # OpenSky's answer for an airport-day without flights
        direction = request.path.rsplit("/", 1)[1]
        return ok(fixture(f"opensky/{direction}_SVMI_2025-11-20.json"))

    def _opensky_windows(self, request: Request) -> Response:
        """/flights/all: the window's fixture, if the fixtures have one, else no flights."""
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Response("", 401)
        begin = datetime.fromtimestamp(int(request.args["begin"]), UTC)
        name = f"opensky/all_{begin:%Y-%m-%d_%H}-{begin.hour + 2:02d}.json"
        if not (FIXTURES / name).exists():
            return Response("", 404)  # OpenSky's answer for a window without flights
        return ok(fixture(name))

    def _notam_pages(self, request: Request) -> Response:
        return ok(fixture(f"faa_notam/SVZM_page-{request.args['pageNum']}.json"))

    def _federal_register_pages(self, request: Request) -> Response:
        return ok(fixture(f"federal_register/venezuela_page-{request.args['page']}.json"))
