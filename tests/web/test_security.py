"""The request guard: hosts, origins, content types, body sizes, and the headers every answer
carries. Requests go through the real app."""

from __future__ import annotations

import pytest

from xent_envs.web.settings import MAX_BODY_BYTES


def error(response, status, code):
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    return response.json()["error"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:9000", "LOCALHOST:1"])
def test_loopback_hosts_are_answered(client, host):
    assert client.get("/api/info", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:8000", ""])
def test_other_hosts_are_refused_against_dns_rebinding(client, host):
    message = error(client.get("/api/info", headers={"host": host}), 421, "wrong_host")
    assert message.startswith("this server does not answer for")


def test_a_host_the_operator_allowed_is_answered(client_for, settings):
    from xent_envs.web import WebSettings

    client = client_for(WebSettings(judge="tiny-random-gpt2", results=settings.results,
                                    allowed_hosts=("play.lan",)))  # fmt: skip
    assert client.get("/api/info", headers={"host": "play.lan:8000"}).status_code == 200


def test_requests_from_other_sites_are_refused(client):
    body = {"game": "Condense", "seed": 0}
    response = client.post("/api/play", json=body, headers={"origin": "http://evil.example"})
    assert error(response, 403, "cross_origin") == "requests from other sites are refused"
    same = client.post("/api/play", json=body, headers={"origin": "http://127.0.0.1"})
    assert same.status_code == 201
    assert client.get("/api/info", headers={"origin": "http://evil.example"}).status_code == 200


def test_a_body_must_be_json(client):
    response = client.post(
        "/api/play",
        content=b'{"game": "Condense", "seed": 0}',
        headers={"content-type": "text/plain"},
    )
    assert error(response, 415, "not_json") == "a request body must be JSON"


def test_a_large_body_is_refused_by_its_length(client):
    huge = b'{"game": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = client.post("/api/play", content=huge, headers={"content-type": "application/json"})
    assert error(response, 413, "too_large") == f"a request body is at most {MAX_BODY_BYTES} bytes"


def test_a_large_body_without_a_length_is_refused_while_it_arrives(client):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    response = client.post(
        "/api/play", content=chunks(), headers={"content-type": "application/json"}
    )
    assert error(response, 413, "too_large")


def test_invalid_json_is_a_clear_error(client):
    response = client.post(
        "/api/play", content=b'{"game": ', headers={"content-type": "application/json"}
    )
    assert "JSON" in error(response, 422, "invalid_request")


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/info", "/api/nothing-here"])
def test_every_answer_says_how_the_page_may_be_used(client, path):
    headers = client.get(path).headers
    assert headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_page_and_its_files_are_served_and_nothing_else(client):
    page = client.get("/")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/static/app.js" defer></script>' in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    assert client.get("/static/style.css").headers["content-type"] == "text/css; charset=utf-8"
    for name in ("index.html", "../app.py", "settings.py", "%2e%2e%2fapp.py"):
        assert error(client.get(f"/static/{name}"), 404, "not_found")
    assert "http" not in client.get("/static/app.js").text.replace("http://www.w3.org/2000/svg", "")
