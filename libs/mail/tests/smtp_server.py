#!/usr/bin/env python3
"""A real SMTP server for pyred-mail's integration tests (tests/smtp.rs), on aiosmtpd.

Listens on 127.0.0.1 on a free port and prints "PORT <n>" once it accepts connections.
Every message it accepts is written to DIR as NNNN.eml (the bytes received) and
NNNN.json (envelope sender, recipients, authenticated login, whether the connection was
encrypted), the .json last and by rename, so a reader sees whole records. Recipients whose
local part starts with "reject" are refused with 550. Stops when stdin closes.

  smtp_server.py DIR [--security starttls|tls|none] [--cert PEM --key PEM]
                     [--user NAME --password SECRET]

With --user, authentication is required before MAIL (530 otherwise); in starttls mode it
is only offered after STARTTLS, in none mode it is allowed in clear (loopback tests only).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Keep:
    """aiosmtpd handler that refuses "reject…" recipients and keeps every message."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{self.count:04d}"
        login = session.auth_data if session.authenticated else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login.decode() if isinstance(login, bytes) else login,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
        }
        with open(os.path.join(self.directory, name + ".eml"), "wb") as out:
            out.write(envelope.original_content or envelope.content)
        temporary = os.path.join(self.directory, "." + name + ".json")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(meta, out)
        os.rename(temporary, os.path.join(self.directory, name + ".json"))
        return f"250 2.0.0 queued as {name}"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    return authenticate


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--security", choices=["starttls", "tls", "none"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    context = None
    if args.security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    options = {}
    if args.user:
        options.update(
            authenticator=authenticator_for(args.user, args.password),
            auth_required=True,
            auth_require_tls=args.security == "starttls",
        )
    handler = Keep(args.dir)
    loop = asyncio.get_running_loop()

    def protocol():
        return SMTP(
            handler,
            hostname="pyred-test-smtp",
            tls_context=context if args.security == "starttls" else None,
            require_starttls=args.security == "starttls",
            loop=loop,
            **options,
        )

    server = await loop.create_server(
        protocol, "127.0.0.1", 0, ssl=context if args.security == "tls" else None
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
