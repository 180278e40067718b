"""The RPC client against a local HTTP server that misbehaves: 429, 500, garbage, silence, hostile shapes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from desk.chain.ratelimit import RateLimit, SlidingWindowLimiter
from desk.chain.rpc import RpcClient
from desk.chain.rpctypes import RpcError, RpcProtocolError, RpcUnavailableError

Reply = tuple[int, bytes, dict[str, str]]


class FakeNode:
    """A local HTTP server whose answers come from a script, one entry per request."""

    def __init__(self, script: Callable[[int, dict[str, object]], Reply | None]) -> None:
        self.requests: list[dict[str, object]] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                node.requests.append(body)
                reply = script(len(node.requests), body)
                if reply is None:  # silence: hold the connection past the client's timeout
                    time.sleep(1.5)
                    return
                status, payload, headers = reply
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok(result: object) -> Reply:
    return 200, json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode(), {}


@pytest.fixture
def node_factory() -> Iterator[Callable[[Callable[[int, dict[str, object]], Reply | None]], FakeNode]]:
    nodes: list[FakeNode] = []

    def make(script: Callable[[int, dict[str, object]], Reply | None]) -> FakeNode:
        nodes.append(FakeNode(script))
        return nodes[-1]

    yield make
    for node in nodes:
        node.close()


def client(node: FakeNode, **kw: object) -> RpcClient:
    return RpcClient(node.url, timeout=kw.pop("timeout", 1.0), backoff=0.01, **kw)


async def test_429_then_success_is_retried_and_honours_retry_after(node_factory: Callable[..., FakeNode]) -> None:
    node = node_factory(lambda n, _: (429, b"slow down", {"retry-after": "0.05"}) if n < 3 else ok(5_000))
    rpc = client(node)
    assert await rpc.get_block_height() == 5_000
    assert len(node.requests) == 3
    await rpc.aclose()


async def test_persistent_500_gives_a_clear_error(node_factory: Callable[..., FakeNode]) -> None:
    node = node_factory(lambda n, _: (500, b"<html>oops</html>", {}))
    rpc = client(node, retries=2)
    with pytest.raises(RpcUnavailableError, match="HTTP 500"):
        await rpc.get_block_height()
    assert len(node.requests) == 3
    await rpc.aclose()


@pytest.mark.parametrize("body", [b"not json at all", b"<html>gateway</html>", b"[1, 2, 3]", b'{"id": 1}',
                                  b'{"error": "text"}', b"\xff\xfe\x00garbage"])
async def test_garbage_json_gives_a_clear_error(node_factory: Callable[..., FakeNode], body: bytes) -> None:
    node = node_factory(lambda n, _: (200, body, {}))
    rpc = client(node, retries=1)
    with pytest.raises(RpcUnavailableError, match="could not serve getBlockHeight"):
        await rpc.get_block_height()
    await rpc.aclose()


async def test_node_that_never_answers_times_out_with_a_clear_error(node_factory: Callable[..., FakeNode]) -> None:
    node = node_factory(lambda n, _: None)
    rpc = client(node, timeout=0.2, retries=1)
    with pytest.raises(RpcUnavailableError, match="did not answer in time"):
        await rpc.get_block_height()
    await rpc.aclose()


async def test_unreachable_node_gives_a_clear_error() -> None:
    rpc = RpcClient("http://127.0.0.1:9", timeout=0.5, retries=1, backoff=0.01)
    with pytest.raises(RpcUnavailableError, match="connection failed"):
        await rpc.get_block_height()
    await rpc.aclose()


async def test_json_rpc_error_is_reported_with_code_and_not_retried(node_factory: Callable[..., FakeNode]) -> None:
    error = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid params"}}
    node = node_factory(lambda n, _: (200, json.dumps(error).encode(), {}))
    rpc = client(node)
    with pytest.raises(RpcError, match="Invalid params") as info:
        await rpc.get_block_height()
    assert info.value.code == -32602 and len(node.requests) == 1
    await rpc.aclose()


@pytest.mark.parametrize("result", [
    {"context": {"slot": 1}, "value": [{"lamports": "lots", "owner": "x", "data": ["", "base64"]}]},
    {"context": {"slot": 1}, "value": [{"lamports": -5, "owner": "x", "data": ["", "base64"]}]},
    {"context": {"slot": 1}, "value": [{"lamports": 5, "owner": "x", "data": ["%%%", "base64"]}]},
    {"context": {"slot": 1}, "value": []},
    {"context": {"slot": 1}},
    "string",
])
async def test_hostile_account_shapes_are_refused(node_factory: Callable[..., FakeNode], result: object) -> None:
    node = node_factory(lambda n, _: ok(result))
    rpc = client(node, retries=0)
    with pytest.raises((RpcProtocolError, RpcUnavailableError)):
        await rpc.get_sol_balances(["11111111111111111111111111111111"])
    await rpc.aclose()


async def test_balances_of_1000_wallets_take_10_requests(node_factory: Callable[..., FakeNode]) -> None:
    def answer(n: int, body: dict[str, object]) -> Reply:
        keys = body["params"][0]
        value = [{"lamports": i, "owner": "11111111111111111111111111111111", "data": ["", "base64"],
                  "executable": False, "rentEpoch": 0} for i, _ in enumerate(keys)]
        return ok({"context": {"slot": 1}, "value": value})

    node = node_factory(answer)
    rpc = client(node)
    keys = [f"key{i}" for i in range(1000)]
    balances = await rpc.get_sol_balances(keys)
    assert len(balances) == 1000 and len(node.requests) == 10
    assert all(len(r["params"][0]) == 100 for r in node.requests)
    await rpc.aclose()


async def test_rate_limiter_spreads_calls_over_the_window() -> None:
    limiter = SlidingWindowLimiter(RateLimit(5, 0.2))
    started = time.monotonic()
    for _ in range(11):
        await limiter.acquire()
    assert time.monotonic() - started >= 0.4


def test_rate_limit_parses_settings() -> None:
    assert RateLimit.parse("100/10") == RateLimit(100, 10.0)
    assert RateLimit.parse("off") is None
    with pytest.raises(ValueError):
        RateLimit.parse("-1/2")
