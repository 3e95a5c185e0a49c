"""Calls to the action server (Rasa's EndpointConfig.request) reuse their connection while it is
kept (bot.nlu.rasa_patches.keep_endpoint_connections), and open a new one after it idled."""

from __future__ import annotations

import asyncio

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.nlu import rasa_patches
from bot.ops.serve import free_port


async def client_ports(pause: float) -> list[int]:
    """Three calls, `pause` s apart after the second: the client port each came from."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return web.json_response({"port": peer[1] if peer else None, "echo": body})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app, keepalive_timeout=5.0)  # as the action server (Sanic) keeps them
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", headers={"X-Test": "1"})
    try:
        ports = []
        for wait in (0.0, 0.0, pause):
            await asyncio.sleep(wait)
            answer = await endpoint.request(json={"n": len(ports)}, method="post")
            assert answer["echo"] == {"n": len(ports)}
            ports.append(answer["port"])
        async with (  # Rasa's other use of it
            endpoint.session() as session,
            session.get(f"http://127.0.0.1:{port}/webhook") as response,
        ):
            assert response.status == 405
        return ports
    finally:
        await runner.cleanup()


def test_calls_reuse_a_kept_connection_and_open_a_new_one_after_it_idled() -> None:
    rasa_patches.keep_endpoint_connections()
    rasa_patches.keep_endpoint_connections()  # idempotent
    first, second, after_idle = asyncio.run(
        client_ports(pause=rasa_patches.KEEPALIVE_SECONDS + 0.5)
    )
    assert None not in (first, second, after_idle)
    assert first == second != after_idle
