#!/usr/bin/python3
# An SMTP server on 127.0.0.1 (aiosmtpd) for the notification tests: STARTTLS with the given
# certificate and key, required before AUTH, which accepts USER/PASSWORD only. Each message is
# appended to LOG as one JSON line {"mail_from", "rcpt_tos", "data", "user", "tls"}. Writes its
# port to PORT_FILE once listening.
#   smtp_sink.py PORT_FILE LOG CERT KEY USER PASSWORD
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port_file, log_path, cert, key, user, password = sys.argv[1:7]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "data": envelope.content.decode("utf-8", "replace"),
                  "user": session.auth_data.decode() if session.authenticated else None,
                  "tls": session.ssl is not None}
        with open(log_path, "a") as log:
            log.write(json.dumps(record) + "\n")
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, auth_data=auth_data.login)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                        require_starttls=True, authenticator=authenticate, auth_required=True,
                        auth_require_tls=True)
controller.start()
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(str(port))
os.rename(tmp, port_file)
while True:
    time.sleep(3600)
