"""A local stand-in for OpenSky on 127.0.0.1 (pytest-httpserver), speaking its documented
protocol: the Keycloak client-credentials token endpoint, /api/flights/{arrival,departure}
and /api/flights/all (JSON array, or 404 with an empty body when nothing was flown)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN_PATH = "/auth/realms/opensky-network/protocol/openid-connect/token"
MAX_INTERVAL_S = 2 * 3600  # /flights/all: "must not be larger than two hours" (its docs)
CLIENT_ID = "test-client"
CLIENT_SECRET = "s3cret-Value-never-logged"


class FakeOpenSky:
    def __init__(self, server: HTTPServer, *, expires_in: int = 1800) -> None:
        self.server = server
        self.expires_in = expires_in
        self.token_requests: list[dict[str, str]] = []
        self.api_requests: list[Request] = []
        self.valid_tokens: set[str] = set()
        self.flights: dict[tuple[str, str, int], list[dict]] = {}
        self.windows: dict[int, list[dict]] = {}  # /flights/all answers, by the window's begin
        self.scripted: list[Response] = []  # served first, in order, before the real answers
        server.expect_request(TOKEN_PATH, method="POST").respond_with_handler(self._token)
        server.expect_request(
            re.compile(r"^/api/flights/(arrival|departure)$"), method="GET"
        ).respond_with_handler(self._flights)
        server.expect_request("/api/flights/all", method="GET").respond_with_handler(self._all)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/api").rstrip("/")

    @property
    def auth_url(self) -> str:
        return self.server.url_for(TOKEN_PATH)

    def env(self) -> dict[str, str]:
        return {"FDP_OPENSKY_API_URL": self.api_url, "FDP_OPENSKY_AUTH_URL": self.auth_url,
                "OPENSKY_CLIENT_ID": CLIENT_ID, "OPENSKY_CLIENT_SECRET": CLIENT_SECRET,
                # oauthlib refuses plain http except when told; only this loopback server is
                "OAUTHLIB_INSECURE_TRANSPORT": "1"}

    def serve(self, direction: str, airport: str, begin: int, flights: Iterable[dict]) -> None:
        self.flights[(direction, airport, begin)] = list(flights)

    def serve_window(self, begin: int, flights: Iterable[dict]) -> None:
        """What /flights/all lists for the window that begins at `begin` (unix seconds)."""
        self.windows[begin] = list(flights)

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def _token(self, request: Request) -> Response:
        form = dict(request.form)
        self.token_requests.append(form)
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials", CLIENT_ID, CLIENT_SECRET
        ):
            return Response(json.dumps({"error": "unauthorized_client"}), 401,
                            content_type="application/json")
        token = f"token-{len(self.token_requests)}"
        self.valid_tokens.add(token)
        body = {"access_token": token, "expires_in": self.expires_in, "refresh_expires_in": 0,
                "token_type": "Bearer", "not-before-policy": 0, "scope": "profile email"}
        return Response(json.dumps(body), 200, content_type="application/json")

    def _authorized(self, request: Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in self.valid_tokens

    def _flights(self, request: Request) -> Response:
        self.api_requests.append(request)
        if self.scripted:
            return self.scripted.pop(0)
        if not self._authorized(request):
            return Response("", 401)
        direction = request.path.rsplit("/", 1)[1]
        key = (direction, request.args["airport"], int(request.args["begin"]))
        listed = self.flights.get(key)
        if not listed:
            return Response("", 404)  # OpenSky's answer for a day without flights
        return Response(json.dumps(listed), 200, content_type="application/json")

    def _all(self, request: Request) -> Response:
        self.api_requests.append(request)
        if self.scripted:
            return self.scripted.pop(0)
        if not self._authorized(request):
            return Response("", 401)
        begin, end = int(request.args["begin"]), int(request.args["end"])
        if not 0 < end - begin <= MAX_INTERVAL_S:  # OpenSky's exact refusal is not documented
            return Response("begin/end: the interval must be at most 2 hours", 400)
        listed = self.windows.get(begin)
        if not listed:
            return Response("", 404)  # OpenSky's answer for a window without flights
        return Response(json.dumps(listed), 200, content_type="application/json")
