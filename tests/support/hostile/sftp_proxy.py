#!/usr/bin/python3
# A node's SFTP server gone bad, for the hostile-node tests: the test sshd's sftp subsystem. It
# runs the real sftp-server and passes its packets through, altered as the file `mode` beside
# it says; any other mode (or none) passes everything through unchanged.
import os
import struct
import subprocess
import sys
import threading

here = os.path.dirname(os.path.realpath(__file__))
try:
    with open(os.path.join(here, "mode")) as f:
        mode = f.read().strip()
except OSError:
    mode = ""

server = subprocess.Popen(["/usr/lib/openssh/sftp-server"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE)
out = sys.stdout.buffer


def read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def client_to_server():
    stdin = sys.stdin.buffer
    while True:
        head = read_exact(stdin, 4)
        if head is None:
            break
        body = read_exact(stdin, struct.unpack(">I", head)[0])
        if body is None:
            break
        server.stdin.write(head + body)
        server.stdin.flush()
    server.stdin.close()


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def u32(self):
        v = struct.unpack_from(">I", self.data, self.at)[0]
        self.at += 4
        return v

    def take(self, n):
        v = self.data[self.at:self.at + n]
        self.at += n
        return v

    def string(self):
        return self.take(self.u32())

    def attrs(self):
        start = self.at
        flags = self.u32()
        if flags & 1:
            self.take(8)
        if flags & 2:
            self.take(8)
        if flags & 4:
            self.take(4)
        if flags & 8:
            self.take(8)
        if flags & 0x80000000:
            for _ in range(self.u32()):
                self.string()
                self.string()
        return self.data[start:self.at]


def s(b):
    return struct.pack(">I", len(b)) + b


def names_altered(body):
    # SSH_FXP_NAME from READDIR: regular entries renamed to what no real directory holds.
    r = Reader(body)
    req_id, count = r.u32(), r.u32()
    entries = [(r.string(), r.string(), r.attrs()) for _ in range(count)]
    bad = [b"../escaped", b"sub/planted", b""]
    altered = []
    for name, long_name, attrs in entries:
        if name.startswith(b"f") and bad:
            name = bad.pop(0)
        altered.append(s(name) + s(long_name) + attrs)
    return struct.pack(">II", req_id, count) + b"".join(altered)


def alter(ptype, body):
    if mode == "sftp-names" and ptype == 104:
        return ptype, names_altered(body)
    if mode == "sftp-long-read" and ptype == 103:  # SSH_FXP_DATA: more than was asked for
        r = Reader(body)
        req_id, data = r.u32(), r.string()
        return ptype, struct.pack(">I", req_id) + s(data + b"x" * (1 << 17))
    return ptype, body


threading.Thread(target=client_to_server, daemon=True).start()
first = True
while True:
    head = read_exact(server.stdout, 4)
    if head is None:
        break
    body = read_exact(server.stdout, struct.unpack(">I", head)[0])
    ptype, payload = body[0], body[1:]
    if mode == "sftp-garbage" and not first:  # every reply after VERSION: a bogus packet
        out.write(struct.pack(">IB", 0xfffffff0, 200) + os.urandom(64))
        out.flush()
        continue
    first = False
    ptype, payload = alter(ptype, payload)
    out.write(struct.pack(">IB", len(payload) + 1, ptype) + payload)
    out.flush()
