#!/usr/bin/python3
# An HTTP server on 127.0.0.1 that records every request, for the notification tests. Each
# request is appended to LOG as one JSON line {"method", "path", "headers", "body"}. The path
# picks the answer: /hang/... never answers (until the server is killed), /status/NNN/...
# answers NNN, anything else 200. Binds a free port and writes it to PORT_FILE once listening.
#   http_sink.py PORT_FILE LOG
import http.server
import json
import os
import sys
import threading
import time

port_file, log_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        with lock, open(log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        if self.path.startswith("/hang"):
            while True:
                time.sleep(3600)
        status = 200
        parts = self.path.split("/")
        if len(parts) > 2 and parts[1] == "status":
            status = int(parts[2])
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET = do_PUT = do_HEAD = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, port_file)
server.serve_forever()
