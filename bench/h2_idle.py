#!/usr/bin/python3
"""h2_idle.py: the server's resident memory per idle HTTP/2 connection and per open HTTP/2 stream.

Reads the server's VmRSS (the sum over --pid, e.g. nginx's master and worker), then:

1. opens --connections HTTP/2 connections one after another (over TLS with --tls: a full
   handshake each, ALPN h2, no certificate check; else prior knowledge on a plain port), on
   each exchanges SETTINGS (the preface and our SETTINGS out, the server's SETTINGS and its
   acknowledgement of ours in) and, with --requests=1, one `GET --path` read to its end;
   leaves them all open and idle, waits --settle-ms, reads VmRSS;
2. on --stream-connections of those connections, opens --streams streams each on
   --stream-path (a slow response: fastactor /stream?...&interval_ms=..., nginx a file with
   limit_rate), waits until every stream has its response head and a first DATA frame, waits
   --settle-ms (reading what arrives), reads VmRSS again, and closes everything.

Prints one line of key=value pairs:

    connections=1000 streams=2000 rss_idle_kb=... rss_conns_kb=... rss_streams_kb=...
    kib_per_connection=... kib_per_stream=...

kib_per_connection = (rss_conns - rss_idle) / connections; kib_per_stream = (rss_streams -
rss_conns) / streams. Debian's python3 with python3-h2; the client's own memory does not matter.
"""

import argparse
import selectors
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


class Conn:
    def __init__(self, host, port, ctx):
        raw = socket.create_connection((host, port))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A fresh SSLSocket without a session: every handshake is a full one.
        self.sock = ctx.wrap_socket(raw, server_hostname=host) if ctx else raw
        if ctx and self.sock.selected_alpn_protocol() != "h2":
            raise RuntimeError(f"ALPN chose {self.sock.selected_alpn_protocol()!r}, not h2")
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.h2.initiate_connection()
        self.flush()
        self.settings_in = self.settings_acked = False
        self.heads = {}   # stream id -> status
        self.data = {}    # stream id -> body bytes so far
        self.ended = set()
        self.closed = False

    def flush(self):
        out = self.h2.data_to_send()
        if out:
            self.sock.sendall(out)

    def pump(self):
        """Reads what the socket has (it is readable) and handles the events."""
        try:
            data = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return
        if not data:
            self.closed = True
            return
        for ev in self.h2.receive_data(data):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                self.settings_in = True
            elif isinstance(ev, h2.events.SettingsAcknowledged):
                self.settings_acked = True
            elif isinstance(ev, h2.events.ResponseReceived):
                self.heads[ev.stream_id] = dict(ev.headers).get(b":status", b"").decode()
            elif isinstance(ev, h2.events.DataReceived):
                self.data[ev.stream_id] = self.data.get(ev.stream_id, 0) + len(ev.data)
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                self.ended.add(ev.stream_id)
            elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                raise RuntimeError(f"server ended a stream or the connection: {ev}")
        self.flush()

    def wait(self, done, timeout=30):
        deadline = time.monotonic() + timeout
        while not done():
            if self.closed:
                raise RuntimeError("the server closed the connection")
            if time.monotonic() > deadline:
                raise RuntimeError("timed out")
            if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                self.pump()
                continue
            sel = selectors.DefaultSelector()
            sel.register(self.sock, selectors.EVENT_READ)
            if sel.select(max(0.0, deadline - time.monotonic())):
                self.pump()
            sel.close()

    def get(self, path, authority):
        sid = self.h2.get_next_available_stream_id()
        self.h2.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", self.scheme),
                                   (":authority", authority)], end_stream=True)
        return sid


def pump_all(conns, seconds):
    """Reads from every connection for `seconds` (flow control: the windows stay open)."""
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(left):
            key.data.pump()
    sel.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", required=True, help="comma-separated server process ids")
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--requests", type=int, default=0, choices=[0, 1],
                   help="GET --path once on each connection before it idles")
    p.add_argument("--path", default="/hello")
    p.add_argument("--stream-connections", type=int, default=20)
    p.add_argument("--streams", type=int, default=100, help="per stream connection")
    p.add_argument("--stream-path", default="/stream?n=120&size=16&interval_ms=1000")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--settle-ms", type=int, default=1000)
    p.add_argument("--verbose", action="store_true", help="the time of each phase, on stderr")
    a = p.parse_args()
    t0 = time.monotonic()

    def phase(what):
        if a.verbose:
            print(f"{time.monotonic() - t0:7.3f} s: {what}", file=sys.stderr)
    pids = [int(x) for x in a.pid.split(",") if x]
    authority = f"{a.host}:{a.port}"

    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])

    time.sleep(a.settle_ms / 1000)
    idle = rss_kib(pids)
    conns = []
    for _ in range(a.connections):
        c = Conn(a.host, a.port, ctx)
        c.scheme = "https" if a.tls else "http"
        c.wait(lambda: c.settings_in and c.settings_acked)
        if a.requests:
            sid = c.get(a.path, authority)
            c.flush()
            c.wait(lambda: sid in c.ended)
            if c.heads.get(sid) != "200":
                print(f"unexpected status {c.heads.get(sid)} for {a.path}", file=sys.stderr)
                return 1
        conns.append(c)
    phase(f"{len(conns)} connections open")
    time.sleep(a.settle_ms / 1000)
    with_conns = rss_kib(pids)

    streaming = conns[:a.stream_connections]
    sids = {}
    for c in streaming:
        sids[c] = [c.get(a.stream_path, authority) for _ in range(a.streams)]
        c.flush()
    phase("streams requested")
    for c in streaming:
        c.wait(lambda: all(s in c.heads and c.data.get(s, 0) > 0 for s in sids[c]))
        bad = [c.heads[s] for s in sids[c] if c.heads[s] != "200"]
        if bad:
            print(f"unexpected statuses {sorted(set(bad))} for {a.stream_path}", file=sys.stderr)
            return 1
    phase("every stream has its first DATA")
    pump_all(streaming, a.settle_ms / 1000)
    live = sum(1 for c in streaming for s in sids[c] if s not in c.ended)
    with_streams = rss_kib(pids)
    for c in conns:
        c.sock.close()
    n = len(conns)
    m = sum(len(v) for v in sids.values())
    if live != m:
        print(f"only {live} of {m} streams were still open at the sample "
              f"(make --stream-path slower)", file=sys.stderr)
        return 1
    print(f"connections={n} streams={m} rss_idle_kb={idle} rss_conns_kb={with_conns} "
          f"rss_streams_kb={with_streams} kib_per_connection={(with_conns - idle) / n:.2f} "
          f"kib_per_stream={(with_streams - with_conns) / m:.2f}" if m else
          f"connections={n} streams=0 rss_idle_kb={idle} rss_conns_kb={with_conns} "
          f"kib_per_connection={(with_conns - idle) / n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
