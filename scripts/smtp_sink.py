"""A real SMTP server for the tests (aiosmtpd, pinned from PyPI by scripts/test.sh): it
accepts every mail and writes each as it arrived, one file per mail, into a folder the Rust
tests read. With --user and --password it asks for authentication (AUTH PLAIN/LOGIN,
allowed without TLS since it listens on 127.0.0.1 only).

    smtp_sink.py --dir DIR [--port N] [--user U --password P]

Prints "PORT <n>" once listening, and runs until stdin closes or it is killed."""

import argparse
import itertools
import os
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.count)
        tmp = os.path.join(self.folder, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        # Whole files only: the reader never sees half a mail.
        os.replace(tmp, os.path.join(self.folder, f"{time.time_ns()}-{n}.eml"))
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    kwargs = {}
    if a.user:
        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
            return AuthResult(success=ok)
        kwargs = dict(authenticator=check, auth_required=True, auth_require_tls=False)
    port = a.port
    if port == 0:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=port, **kwargs)
    c.start()
    print(f"PORT {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
