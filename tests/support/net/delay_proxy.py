#!/usr/bin/python3
# A TCP proxy on 127.0.0.1 that delays every byte by half the given round-trip time in each
# direction, as a long link does (this kernel has no netem). Latency only: bytes are forwarded
# as fast as they come, each chunk released RTT/2 after it arrived, in order. Used by the
# tests and bench/remote.sh --rtt; prints "ready" once it listens.
#   delay_proxy.py LISTEN_PORT TARGET_PORT RTT_MS
import asyncio
import sys
import time


async def pipe(reader, writer, delay):
    queue = asyncio.Queue(maxsize=256)  # at most 64 MiB held

    async def release():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    sender = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(256 * 1024)
            if not data:
                break
            await queue.put((time.monotonic() + delay, data))
    except OSError:
        pass
    await queue.put((0, None))
    try:
        await sender
    except OSError:
        pass


async def main():
    listen_port, target_port, rtt_ms = (int(a) for a in sys.argv[1:4])
    delay = rtt_ms / 2000.0

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, delay),
                             pipe(server_reader, client_writer, delay))
        client_writer.close()
        server_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
