"""Request bodies under real gunicorn: MAX_CONTENT_LENGTH holds however the body is sent, and a
body that cannot be read answers the JSON error shape.

gunicorn reads chunked bodies itself (`wsgi.input_terminated`); Werkzeug's stream then stops at
MAX_CONTENT_LENGTH without saying so, which only a real server shows. A request gunicorn cannot
parse (a header line without a colon, a bad Content-Length or Transfer-Encoding) is answered by
gunicorn before the app sees it (docs/api.md says so); a broken chunk inside the body reaches
the app, which answers it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.conftest import valid_players
from tests.support.dk_csv import nfl_salary_csv
from tests.support.gunicorn_server import ROOT, GunicornServer

pytestmark = pytest.mark.integration

LIMIT = 30_000  # bytes: the 42 KB salary file and a 300-player body are over it


@pytest.fixture
def server(start_gunicorn: Callable[..., GunicornServer], service_env: dict) -> GunicornServer:
    return start_gunicorn({**service_env, "MAX_CONTENT_LENGTH": str(LIMIT)})


def _chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    """The body as a generator, which requests sends with Transfer-Encoding: chunked."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _upload(server: GunicornServer, body: object, slate_id: str) -> requests.Response:
    return requests.post(
        f"{server.url}/slates?sport=nfl&slate_id={slate_id}",
        data=body,
        headers={"Content-Type": "text/csv"},
        timeout=30,
    )


def test_a_chunked_upload_under_the_limit_is_read_whole(server: GunicornServer) -> None:
    """A 14 KB salary file sent chunked uploads every one of its players."""
    data = (ROOT / "examples/DKSalaries_nfl.csv").read_bytes()

    response = _upload(server, _chunks(data), "small")

    assert response.status_code == 201, response.text
    assert response.json()["players"] == len(data.decode().strip().splitlines()) - 1


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_an_upload_over_the_limit_is_413_however_it_is_sent(
    server: GunicornServer, chunked: bool
) -> None:
    """A salary file over MAX_CONTENT_LENGTH is 413, never a slate cut at the limit."""
    data = nfl_salary_csv().encode()

    response = _upload(server, _chunks(data) if chunked else data, "cut")

    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["details"] == {"limit_bytes": LIMIT}
    assert requests.get(f"{server.url}/slates/cut", timeout=10).status_code == 404


def test_a_chunked_json_body_over_the_limit_is_413(server: GunicornServer) -> None:
    """A request body over MAX_CONTENT_LENGTH sent chunked is 413, not 400 malformed_json."""
    data = json.dumps({"players": valid_players(300)}).encode()

    response = requests.post(
        f"{server.url}/optimize",
        data=_chunks(data),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["code"] == "request_entity_too_large"


def _raw(server: GunicornServer, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send `request` as is; the status line, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, {k.lower(): v for k, v in headers.items()}, body


def test_a_broken_chunk_is_400_in_the_json_shape(server: GunicornServer) -> None:
    """A chunk size that is not hexadecimal is the client's error (400), in the service's
    JSON error shape, not a 500."""
    request = (
        b"POST /optimize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    )

    status, headers, body = _raw(server, request)

    assert status.split(" ", 2)[1] == "400", status
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request"
    assert "chunk" in error["message"].lower()


def test_a_header_gunicorn_cannot_parse_is_answered_before_the_app(
    server: GunicornServer,
) -> None:
    """A header line without a colon is refused by gunicorn itself (its own 400 page): the app
    never sees the request, so only the well-formed read after it has an access line."""
    path = "/optimize/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n"

    status, headers, _ = _raw(server, request.encode())
    assert requests.get(f"{server.url}{path}", timeout=10).status_code == 404

    assert status.split(" ", 2)[1] == "400"
    assert headers["content-type"] == "text/html"
    server.wait_for_log("request_finished", timeout_s=5)
    logged = [line for line in server.log_lines() if line.get("path") == path]
    assert [line["status"] for line in logged] == [404]
