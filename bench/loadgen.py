"""A small keep-alive HTTP/1.1 load generator (raw asyncio streams, so the client is
not the bottleneck). Prints one JSON line: requests/s, p50 and p99 latency in ms."""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def worker(host: str, port: int, request: bytes, until: float, lat: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            if status != b"200" or b'"errors"' in body:
                raise SystemExit(f"bad response {status!r}: {body[:300]!r}")
            lat.append(time.perf_counter() - start)
    finally:
        writer.close()


async def main(host: str, port: int, request: bytes, seconds: float, conns: int) -> None:
    warm: list[float] = []
    await asyncio.gather(
        *(worker(host, port, request, time.perf_counter() + 1, warm) for _ in range(conns))
    )
    lat: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(worker(host, port, request, began + seconds, lat) for _ in range(conns)))
    elapsed = time.perf_counter() - began
    lat.sort()
    print(
        json.dumps(
            {
                "rps": len(lat) / elapsed,
                "p50_ms": lat[len(lat) // 2] * 1000,
                "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
                "n": len(lat),
            }
        )
    )


if __name__ == "__main__":
    host, port, seconds, conns = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    raw = sys.stdin.buffer.read()
    asyncio.run(main(host, port, raw, seconds, conns))
