"""A mail server that asks for a login, and an OAuth 2.0 token endpoint, on
loopback, for the tests of the digest's authentication.

    python3 mail_auth.py CONFIG.json

CONFIG: {"maildir": DIR, "log": FILE, "cert": PEM, "key": PEM,
         "users": {"login": "password"},
         "client_id": ..., "client_secret": ..., "expires_in": SECONDS,
         "static_tokens": ["token a command prints"],
         "revoke_first": false, "refuse_tokens": false, "google": false}

The SMTP server (aiosmtpd) requires STARTTLS before AUTH and a login
before mail; it offers PLAIN, LOGIN and XOAUTH2. XOAUTH2 accepts a token
the endpoint issued and that has not expired (nor been revoked), or a
static one; with "refuse_tokens", none. A refused token gets 535 at once
(as Microsoft 365 answers), or with "google" first a 334 challenge of
base64 JSON that the client must answer with an empty line, then 535
5.7.8 (as smtp.gmail.com answers). The token endpoint takes the client-credentials grant at
POST /token and issues tok-1, tok-2, ... Both log what they see to LOG as
JSON lines; the first line of standard output is "SMTP_PORT TOKEN_PORT".
"""

import base64
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import MISSING, AuthResult

config = json.load(open(sys.argv[1]))
lock = threading.Lock()
issued = {}  # token -> expiry (epoch seconds)
revoked = set()


def log(event):
    with lock, open(config["log"], "a") as out:
        out.write(json.dumps(event) + "\n")


def token_valid(token):
    if config.get("refuse_tokens"):
        return False
    with lock:
        if token in config.get("static_tokens", []):
            return True
        return token in issued and token not in revoked and time.time() < issued[token]


class Handler(Mailbox):
    async def auth_XOAUTH2(self, server, args):
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        fields = base64.b64decode(args[1]).decode().split("\x01")
        user = next((f[5:] for f in fields if f.startswith("user=")), "")
        token = next((f[12:] for f in fields if f.startswith("auth=Bearer ")), "")
        ok = token_valid(token)
        event = {"kind": "auth", "mechanism": "XOAUTH2", "user": user, "token": token, "ok": ok}
        if not ok and config.get("google"):
            challenge = json.dumps({"status": "400", "schemes": "Bearer",
                                    "scope": "https://mail.google.com/"})
            answer = await server.challenge_auth(challenge)
            event["challenge_answer"] = None if answer is MISSING else answer.decode()
        log(event)
        return AuthResult(success=ok, handled=False)


def authenticator(server, session, envelope, mechanism, auth_data):
    login = auth_data.login.decode()
    ok = config["users"].get(login) == auth_data.password.decode()
    log({"kind": "auth", "mechanism": mechanism, "user": login, "ok": ok})
    return AuthResult(success=ok, handled=False)


class TokenEndpoint(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        log({"kind": "token", "grant_type": form.get("grant_type"),
             "client_id": form.get("client_id"), "scope": form.get("scope")})
        if (form.get("client_id") != config["client_id"]
                or form.get("client_secret") != config["client_secret"]):
            body = {"error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided."}
            return self.answer(401, body)
        with lock:
            token = "tok-%d" % (len(issued) + 1)
            issued[token] = time.time() + config["expires_in"]
            if config.get("revoke_first") and len(issued) == 1:
                revoked.add(token)
        self.answer(200, {"access_token": token, "token_type": "Bearer",
                          "expires_in": config["expires_in"]})

    def answer(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(config["cert"], config["key"])
smtp_port = free_port()
controller = Controller(
    Handler(config["maildir"]), hostname="127.0.0.1", port=smtp_port,
    tls_context=context, require_starttls=True, auth_required=True,
    auth_require_tls=True, authenticator=authenticator,
)
controller.start()
tokens = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
print(smtp_port, tokens.server_address[1], flush=True)
tokens.serve_forever()
