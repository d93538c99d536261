"""A real SMTP server for passgate's tests: aiosmtpd, storing every delivered message.

Usage: smtp_sink.py PORT OUTDIR [--starttls CERT KEY | --implicit CERT KEY] [--auth USER:PASS]
Listens on 127.0.0.1:PORT (0 picks a free port), prints "LISTENING <port>" once ready, and
writes each accepted message to OUTDIR as <n>.json: {"mail_from", "rcpt_tos", "data", "tls",
"login"} with the raw message as the SMTP server received it. With --starttls the server
requires STARTTLS before MAIL; with --implicit it speaks TLS from the first byte; with --auth
it requires AUTH (PLAIN or LOGIN) with that user and password, over TLS. Runs until killed.
"""
import asyncio
import json
import os
import socket
import sys

import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Store:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.implicit_tls = False

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        auth = getattr(session, "auth_data", None)
        login = getattr(auth, "login", None)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            # An implicit-TLS listener accepts nothing but TLS (aiosmtpd leaves session.ssl
            # unset there).
            "tls": session.ssl is not None or self.implicit_tls,
            "login": login.decode() if isinstance(login, bytes) else login,
        }
        tmp = os.path.join(self.outdir, f".{self.count}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.outdir, f"{self.count:06d}.json"))
        return "250 Message accepted for delivery"


def authenticator(expected):
    user, password = expected.split(":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data)

    return check


def main():
    port = int(sys.argv[1])
    outdir = sys.argv[2]
    rest = sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    kwargs = {}
    store = Store(outdir)
    while rest:
        flag = rest.pop(0)
        if flag in ("--starttls", "--implicit"):
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(rest.pop(0), rest.pop(0))
            if flag == "--starttls":
                kwargs.update(tls_context=ctx, require_starttls=True)
            else:
                kwargs.update(ssl_context=ctx)
                store.implicit_tls = True
        elif flag == "--auth":
            # With implicit TLS the whole connection is encrypted, but aiosmtpd only counts
            # STARTTLS for auth_require_tls, so it is asked for with STARTTLS alone.
            kwargs.update(
                authenticator=authenticator(rest.pop(0)),
                auth_required=True,
                auth_require_tls="ssl_context" not in kwargs,
            )
        else:
            sys.exit(f"unknown flag {flag}")
    controller = Controller(store, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(f"LISTENING {port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
