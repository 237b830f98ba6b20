#!/usr/bin/env python3
"""A local SMTP server for development and tests: accepts every message and writes each one,
as received (RFC 5322, CRLF line ends), to <dir>/<timestamp>-<n>.eml. Nothing is relayed.

    tools/smtp-sink/smtp_sink.py --port 2525 --dir .local/mail
    tools/smtp-sink/smtp_sink.py --port 2526 --dir /tmp/mail --login user:password

With --login, a client must authenticate (AUTH PLAIN or LOGIN, allowed without TLS: this is a
test server) with that user and password: MAIL without it is refused with 530, a wrong
password with 535.

Each file is written atomically (a temporary file in the same directory, then rename), so a
reader never sees half a message: only names ending in .eml are complete. <timestamp> is the
UTC time of receipt (YYYYmmddTHHMMSS.ffffffZ) and <n> counts the messages this process
received, so the names sort in the order of receipt. Ready when it prints
"smtp-sink listening on <host>:<port>". Needs aiosmtpd (Debian: python3-aiosmtpd).
"""
import argparse
import asyncio
import datetime
import itertools
import os
import signal
import sys
import tempfile

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SaveToDirectory:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{next(self.counter)}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".incoming-", suffix=".tmp")
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def authenticator_for(login):
    user, _, password = login.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False: aiosmtpd answers a failure itself (535).
        return AuthResult(success=ok, handled=False)

    return authenticate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", required=True, help="where the .eml files go (created)")
    parser.add_argument("--login", help="user:password every client must authenticate with")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    auth = {}
    if args.login:
        auth = {"auth_required": True, "auth_require_tls": False,
                "authenticator": authenticator_for(args.login)}
    controller = Controller(SaveToDirectory(args.dir), hostname=args.host, port=args.port,
                            decode_data=False, data_size_limit=10 * 1024 * 1024, **auth)
    controller.start()
    print(f"smtp-sink listening on {args.host}:{args.port}, writing {args.dir}", flush=True)
    stop = asyncio.new_event_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        stop.add_signal_handler(sig, done.set)
    stop.run_until_complete(done.wait())
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
