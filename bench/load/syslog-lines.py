#!/usr/bin/env python3
"""Syslog over TCP load for a custos tcp_listeners listener (bench/load/syslog-lines.sh).

  syslog-lines.py serve PORT LINES            accept one connection, read the LINES messages'
                                              bytes, then print the time from the first byte to
                                              the last, lines/s, and the cards left in clear
  syslog-lines.py send PORT LINES             send LINES RFC 5424 messages, octet-counted (RFC
                                              6587), a card in every 100th, as fast as TCP takes
  syslog-lines.py size LINES                  print the byte size of that stream
"""
import socket
import sys
import time

CARD = b"4111 1111 1111 1111"


def message(i):
    body = b"user %08d paid with card %s ok" % (i, CARD) if i % 100 == 0 else \
        b"user %08d logged in from 10.0.%d.%d session ok" % (i, (i >> 8) & 255, i & 255)
    msg = b"<13>1 2026-12-07T10:00:00.000Z host-a shop 4242 - - " + body
    return b"%d %s" % (len(msg), msg)


def stream(lines):
    return b"".join(message(i) for i in range(lines))


def main():
    mode = sys.argv[1]
    if mode == "size":
        print(len(stream(int(sys.argv[2]))))
    elif mode == "send":
        data = stream(int(sys.argv[3]))
        with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
    elif mode == "serve":
        lines = int(sys.argv[3])
        expected = len(stream(lines))
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", int(sys.argv[2])))
        srv.listen(1)
        print("ready", flush=True)
        conn, _ = srv.accept()
        got = bytearray()
        first = None
        while len(got) < expected:
            b = conn.recv(1 << 20)
            if not b:
                break
            if first is None:
                first = time.monotonic()
            got += b
        last = time.monotonic()
        conn.close()
        secs = max(last - (first or last), 1e-9)
        print("received %d of %d bytes in %.2f s: %.0f lines/s, %.1f MiB/s; %d cards in clear"
              % (len(got), expected, secs, lines / secs, len(got) / 1048576 / secs,
                 got.count(CARD)), flush=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
