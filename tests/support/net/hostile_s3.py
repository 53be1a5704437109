#!/usr/bin/python3
# A broken or hostile S3 server on 127.0.0.1, for the S3 backend's robustness tests. The bucket
# answers HEAD with 200 (so the storage opens); the bucket name picks the misbehaviour of
# every other request:
#   /badxml/...    a listing that is not XML
#   /loop/...      a listing that is always truncated with the same continuation token
#   /deep/...      a listing nested thousands of elements deep
#   /hang/...      accepts the request and never answers
#   /err500/...    always 500
#   /short/...     every object is 3 bytes, whatever range is asked
#   /badsize/...   a listing whose Size is not a number
# Each request is appended to LOG as a JSON line {"method", "path"}.
#   hostile_s3.py PORT_FILE LOG
import http.server
import json
import os
import sys
import threading
import time

port_file, log_path = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with lock, open(log_path, "a") as log:
            log.write(json.dumps({"method": self.command, "path": self.path}) + "\n")
        bucket = self.path.split("/")[1].split("?")[0]
        if self.command == "HEAD" and "/" not in self.path[1:].split("?")[0]:
            return self.reply(200)
        if bucket == "hang":
            while True:
                time.sleep(3600)
        if bucket == "err500":
            return self.reply(500, b"<Error><Code>InternalError</Code></Error>")
        if bucket == "badxml":
            return self.reply(200, b"<ListBucketResult><Contents><Key>a</Key>")
        if bucket == "loop":
            return self.reply(200, b"<ListBucketResult><IsTruncated>true</IsTruncated>"
                              b"<NextContinuationToken>same</NextContinuationToken>"
                              b"<Contents><Key>x</Key><Size>1</Size></Contents></ListBucketResult>")
        if bucket == "deep":
            return self.reply(200, b"<a>" * 5000 + b"</a>" * 5000)
        if bucket == "badsize":
            return self.reply(200, b"<ListBucketResult><Contents><Key>x</Key><Size>-1e9</Size>"
                              b"</Contents></ListBucketResult>")
        if bucket == "short":
            return self.reply(206 if self.headers.get("Range") else 200, b"abc")
        self.reply(404)

    do_POST = do_GET = do_PUT = do_HEAD = do_DELETE = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, port_file)
server.serve_forever()
