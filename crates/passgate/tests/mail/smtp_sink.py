"""A real SMTP server for passgate's tests: aiosmtpd, storing every delivered message.

Usage: smtp_sink.py PORT OUTDIR
Listens on 127.0.0.1:PORT (0 picks a free port), prints "LISTENING <port>" once ready, and
writes each accepted message to OUTDIR as <n>.json: {"mail_from", "rcpt_tos", "data"} with
the raw message as the SMTP server received it. Runs until killed.
"""
import asyncio
import json
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        tmp = os.path.join(self.outdir, f".{self.count}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.outdir, f"{self.count:06d}.json"))
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    controller = Controller(Store(outdir), hostname="127.0.0.1", port=port)
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
