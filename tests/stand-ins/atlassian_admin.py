"""A stand-in for the parts of Atlassian's Organizations REST API that
`org-insights reclaim` uses, on loopback, keeping state: users search by
account id, an account's directories, one account in one directory,
suspend and restore. It answers in the shapes of Atlassian's published
spec (jira.js src/admin/api/users.ts and directory.ts) and logs every
request.

    python3 atlassian_admin.py CONFIG.json LOG.jsonl

CONFIG: {"key": "the Bearer key (else 401)", "org": "o1",
         "users": {"acc": {"accountStatus": "active", "lastActive": "2026-07-01T10:00:00Z" or null,
                           "directories": ["d1"]}},
         "refuse": ["acc whose suspend answers 403"],
         "rate_limit_once": true,        # the first suspend answers 429, Retry-After 0
         "slow": {"acc": 3.0},           # seconds before a suspend of acc is done
         "drop_after_suspend": ["acc"],  # its first suspend is done, then the connection
                                         # is closed without an answer (a lost answer)
         "error_after_suspend": ["acc"]} # its first suspend is done, then answered 502

As the service does, a repeat (a suspend of a suspended account, a restore
of an active one, in that directory) answers 409 Conflict. An account's
membershipStatus is "suspended" when it is suspended in all its
directories; in one directory, when it is suspended there.

Someone else's change, for tests, without the key and not logged:
POST /__stand-in/{deactivate|remove|restore|suspend|activate}/{acc}[/{directory}]
("activate" sets the last active time to now, as a login would).

It prints its port on its first line.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

config = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
lock = threading.Lock()
suspended = set()  # (account, directory)
state = {"rate_limited": False, "dropped": set(), "errored": set()}
org = config["org"]


def membership(account):
    dirs = config["users"][account]["directories"]
    return "suspended" if dirs and all((account, d) in suspended for d in dirs) else "active"


def user(account):
    u = config["users"][account]
    access = []
    if u.get("lastActive"):
        access.append({"key": "jira", "id": "site-1", "lastActiveTimestamp": u["lastActive"]})
    return {"accountId": account, "accountStatus": u.get("accountStatus", "active"),
            "membershipStatus": membership(account), "productAccess": access}


def in_directory(account, directory):
    """The account as one directory sees it (getDirectoryUserDetails)."""
    u = config["users"][account]
    status = "suspended" if (account, directory) in suspended else "active"
    return {"data": {"accountId": account, "accountStatus": u.get("accountStatus", "active"),
                     "membershipStatus": status}}


def someone_else(change, account, directory):
    """A change made outside org-insights: by another admin, or by a login."""
    u = config["users"][account]
    dirs = [directory] if directory else list(u["directories"])
    with lock:
        if change == "deactivate":
            u["accountStatus"] = "inactive"
        elif change == "remove":
            for d in dirs:
                u["directories"].remove(d)
                suspended.discard((account, d))
        elif change == "restore":
            for d in dirs:
                suspended.discard((account, d))
        elif change == "suspend":
            for d in dirs:
                suspended.add((account, d))
        elif change == "activate":
            u["lastActive"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, headers=None):
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def handle_any(self, method):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        if url.path.startswith("/__stand-in/"):
            parts = url.path.strip("/").split("/")
            someone_else(parts[1], parts[2], parts[3] if len(parts) > 3 else None)
            return self.answer(204)
        with lock, open(log_path, "a") as log:
            log.write(json.dumps({"method": method, "path": url.path, "query": url.query,
                                  "body": body}) + "\n")
        if self.headers.get("Authorization") != "Bearer " + config["key"]:
            return self.answer(401, {"code": 401})
        parts = url.path.strip("/").split("/")
        if method == "GET" and url.path == "/admin/v1/orgs":
            return self.answer(200, {"data": [{"id": org, "attributes": {"name": "Acme"}}], "links": {}})
        if method == "POST" and url.path == f"/admin/v2/orgs/{org}/directories/-/users/search":
            wanted = (body or {}).get("accountIds") or []
            found = [user(a) for a in wanted if a in config["users"]]
            return self.answer(200, {"data": found, "links": {}})
        if method == "GET" and url.path == f"/admin/v2/orgs/{org}/directories":
            account = parse_qs(url.query).get("accountId", [""])[0]
            dirs = config["users"].get(account, {}).get("directories", [])
            return self.answer(200, {"data": [{"directoryId": d, "name": d} for d in dirs], "links": {}})
        known = lambda a, d: a in config["users"] and d in config["users"][a]["directories"]
        # /admin/v2/orgs/{org}/directories/{d}/users/{a}
        if method == "GET" and len(parts) == 8 and parts[:4] == ["admin", "v2", "orgs", org]:
            directory, account = parts[5], parts[7]
            if not known(account, directory):
                return self.answer(404, {"code": 404})
            return self.answer(200, in_directory(account, directory))
        # /admin/v2/orgs/{org}/directories/{d}/users/{a}/{suspend|restore}
        if method == "POST" and len(parts) == 9 and parts[:4] == ["admin", "v2", "orgs", org]:
            return self.act(parts[5], parts[7], parts[8])
        self.answer(404, {"code": 404})

    def act(self, directory, account, action):
        if account not in config["users"] or directory not in config["users"][account]["directories"]:
            return self.answer(404, {"code": 404})
        pair = (account, directory)
        if action == "suspend":
            if config.get("rate_limit_once") and not state["rate_limited"]:
                state["rate_limited"] = True
                return self.answer(429, {"code": 429}, {"Retry-After": "0"})
            if account in config.get("refuse", []):
                return self.answer(403, {"code": 403, "message": "Forbidden"})
            if pair in suspended:
                return self.answer(409, {"code": 409, "message": "The user is already suspended"})
            time.sleep(config.get("slow", {}).get(account, 0))
            with lock:
                suspended.add(pair)
            if account in config.get("drop_after_suspend", []) and account not in state["dropped"]:
                state["dropped"].add(account)
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if account in config.get("error_after_suspend", []) and account not in state["errored"]:
                state["errored"].add(account)
                return self.answer(502, {"code": 502, "message": "Bad Gateway"})
            return self.answer(204)
        if action == "restore":
            if pair not in suspended:
                return self.answer(409, {"code": 409, "message": "The user is not suspended"})
            with lock:
                suspended.discard(pair)
            return self.answer(204)
        self.answer(404, {"code": 404})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
