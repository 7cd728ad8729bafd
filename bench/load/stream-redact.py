#!/usr/bin/env python3
"""Upstream and checker for stream-redact.sh.

`stream-redact.py serve PORT` serves GET /cards?units=N: N copies of a ~4 KiB text unit (lines
without digits, then one line with a card number), streamed in 64 KiB chunks so that cards
straddle chunk boundaries. `stream-redact.py check UNITS` reads a response body on stdin and
exits 1 unless it is exactly UNITS units long with every card masked.
"""
import http.server
import sys
import urllib.parse

CARD = "4111 1111 1111 1111"
PREFIX = "order paid with card: "
UNIT = ("the quick brown fox jumps over the lazy dog again and again\n" * 67
        + PREFIX + CARD + " thank you\n").encode("ascii")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        units = int(query.get("units", ["1"])[0])
        total = units * len(UNIT)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        block = UNIT * (1 + (64 * 1024) // len(UNIT) + 1)
        sent = 0
        while sent < total:
            offset = sent % len(UNIT)
            n = min(64 * 1024, total - sent)
            self.wfile.write(block[offset:offset + n])
            sent += n

    def log_message(self, *args):
        pass


def check(units):
    total = cards = raw = masked = 0
    for line in sys.stdin.buffer:
        total += len(line)
        if line.startswith(PREFIX.encode()):
            cards += 1
            value = line[len(PREFIX):len(PREFIX) + len(CARD)].decode("ascii", "replace")
            if value == CARD:
                raw += 1
            elif not any(c.isdigit() for c in value):
                masked += 1
    print(f"bytes {total}, card lines {cards}, masked {masked}, raw {raw}")
    ok = total == units * len(UNIT) and cards == units and masked == units and raw == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler).serve_forever()
    elif sys.argv[1] == "check":
        check(int(sys.argv[2]))
    else:
        sys.exit("usage: stream-redact.py serve PORT | check UNITS")
