#!/usr/bin/env python3
"""httpd.py - tiny HTTP server for broth's TCP tests (host side).

    httpd.py PORT DIR [ADDR]

GET /NAME  serves DIR/NAME with a Content-Length (404 if missing).
PUT /ANY   reads the body (Content-Length, or chunked) and answers
           "<sha256 hex> <bytes>\\n"; nothing is stored.
Threaded, quiet (no access log), binds ADDR (default 127.0.0.1):PORT; an
IPv6 ADDR (e.g. ::1) makes it an IPv6 server. Exits on SIGTERM/SIGINT.
"""
import hashlib
import http.server
import os
import signal
import socket
import socketserver
import sys

CHUNK = 1 << 20


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # answers "Expect: 100-continue" (curl -T)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = os.path.basename(self.path.split("?", 1)[0])
        path = os.path.join(self.server.root, name)
        if not name or not os.path.isfile(path):
            self._reply(404, b"not found\n")
            return
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.flush()
        with open(path, "rb") as f:
            self.connection.sendfile(f)

    def _read_chunked(self, h):
        n = 0
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return n
            left = size
            while left:
                b = self.rfile.read(min(left, CHUNK))
                if not b:
                    raise ConnectionError("short chunk")
                h.update(b)
                left -= len(b)
                n += len(b)
            self.rfile.readline(1024)

    def do_PUT(self):
        h = hashlib.sha256()
        n = 0
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            n = self._read_chunked(h)
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, CHUNK))
                if not b:
                    self._reply(400, b"short body\n")
                    return
                h.update(b)
                left -= len(b)
                n += len(b)
        self._reply(200, f"{h.hexdigest()} {n}\n".encode())

    do_POST = do_PUT


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: httpd.py PORT DIR [ADDR]")
    port, root = int(sys.argv[1]), sys.argv[2]
    addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if ":" in addr:
        Server.address_family = socket.AF_INET6
    srv = Server((addr, port), Handler)
    srv.root = root
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
