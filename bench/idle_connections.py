#!/usr/bin/python3
"""idle_connections.py: the server's resident memory per idle keep-alive connection.

Reads the server's VmRSS (the sum over --pid, e.g. nginx's master and worker), opens
--connections connections one after another (over TLS with --tls: a full handshake each, no
resumption, no certificate check), sends one `GET PATH` on each and reads its whole response
(Content-Length), leaves them all open and idle, waits --settle-ms, reads VmRSS again, and
closes them. Prints one line of key=value pairs:

    connections=1000 rss_idle_kb=... rss_live_kb=... kib_per_connection=...

Debian's python3 and its standard library only; the client's own memory does not matter.
"""

import argparse
import socket
import ssl
import sys
import time


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def read_response(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        part = conn.recv(4096)
        if not part:
            raise ConnectionError("closed before the response head")
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("no Content-Length in " + head.decode(errors="replace"))
    while len(body) < length:
        part = conn.recv(4096)
        if not part:
            raise ConnectionError("closed inside the body")
        body += part
    return head.split(b"\r\n")[0].decode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", required=True, help="comma-separated server process ids")
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--path", default="/hello")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--settle-ms", type=int, default=1000)
    a = p.parse_args()
    pids = [int(x) for x in a.pid.split(",") if x]

    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])

    time.sleep(a.settle_ms / 1000)
    idle = rss_kib(pids)
    conns = []
    request = f"GET {a.path} HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n\r\n".encode()
    for _ in range(a.connections):
        raw = socket.create_connection((a.host, a.port))
        # A fresh SSLSocket without a session: every handshake is a full one.
        conn = ctx.wrap_socket(raw, server_hostname=a.host) if ctx else raw
        conn.sendall(request)
        status = read_response(conn)
        if " 200 " not in status + " ":
            print(f"unexpected status: {status}", file=sys.stderr)
            return 1
        conns.append(conn)
    time.sleep(a.settle_ms / 1000)
    live = rss_kib(pids)
    for c in conns:
        c.close()
    n = len(conns)
    print(f"connections={n} rss_idle_kb={idle} rss_live_kb={live} "
          f"kib_per_connection={(live - idle) / n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
