"""A stateful stand-in for the two endpoints `org-insights tokens --apply`
uses, on loopback: the organization's user API tokens and the revocation
of one, answering as Atlassian's API does, and failing as real servers do.

    python3 atlassian_tokens.py CONFIG.json LOG.jsonl

It prints its port on its first line. The configuration:

    {"key": "the Bearer key (else 401)",
     "org": "o1",
     "tokens": [{"id": "t1", "label": "ci", "status": "ALLOWED",
                 "createdAt": "...", "expiresAt": "...", "lastActiveAt": "...",
                 "user": {"id": "a1", "email": "a1@acme.com"}}],
     "lose_answer": ["t1"],      # revoke it, then drop the connection (once)
     "fail_without_revoking": ["t2"],  # answer 503 and keep it (once)
     "slow_seconds": 0.0}        # wait this long before every answer

GET /admin/api-access/v1/orgs/{org}/api-tokens lists the tokens still
there (one page). DELETE /users/{account}/manage/api-tokens/{token} removes
a token of that account and answers 204, or 404 when there is none. The
bulk DELETE of every token of the organization answers 204 and is logged:
the tests check that it is never called. Every request is logged.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

config = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
lock = threading.Lock()
tokens = {t["id"]: t for t in config["tokens"]}
lose_answer = set(config.get("lose_answer", []))
fail_without = set(config.get("fail_without_revoking", []))
LIST = "/admin/api-access/v1/orgs/%s/api-tokens" % config.get("org", "o1")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self, method):
        url = urlsplit(self.path)
        authorized = self.headers.get("Authorization") == "Bearer " + config["key"]
        with open(log_path, "a") as log:
            log.write(json.dumps({"method": method, "path": url.path, "query": url.query,
                                  "authorized": authorized}) + "\n")
        time.sleep(config.get("slow_seconds", 0))
        if not authorized:
            return self.send(401, {"code": 401, "message": "Unauthorized"})
        if method == "GET" and url.path == LIST:
            with lock:
                data = list(tokens.values())
            return self.send(200, {"data": data, "links": {}})
        if method == "DELETE" and url.path == LIST:
            return self.send(204, None)
        parts = url.path.strip("/").split("/")
        if method == "DELETE" and len(parts) == 5 and parts[0] == "users" and parts[2:4] == ["manage", "api-tokens"]:
            account, token_id = parts[1], parts[4]
            with lock:
                token = tokens.get(token_id)
                if token is None or token["user"]["id"] != account:
                    return self.send(404, {"code": 404, "message": "Not Found"})
                if token_id in fail_without:
                    fail_without.discard(token_id)
                    return self.send(503, {"message": "busy"})
                del tokens[token_id]
                if token_id in lose_answer:
                    lose_answer.discard(token_id)
                    # Done, but the answer never arrives.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
            return self.send(204, None)
        self.send(404, {"code": 404, "message": "Not Found"})

    def send(self, status, body):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.handle_any("GET")

    def do_DELETE(self):
        self.handle_any("DELETE")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
