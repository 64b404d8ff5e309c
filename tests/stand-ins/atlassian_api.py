"""A stand-in for Atlassian's Organizations REST API on loopback, for the
tests of `org-insights pull`. It serves what a scenario file says, in the
shapes of Atlassian's published spec, and logs every request it gets.

    python3 atlassian_api.py SCENARIO.json LOG.jsonl

It listens on 127.0.0.1 on a free port and prints the port on its first
line of standard output. The scenario:

    {"key": "the key a request must carry as Bearer (else 401)",
     "routes": [{"method": "POST", "path": "/admin/v2/orgs/o1/directories/-/users/search",
                 "cursor": null,                      # body or query cursor to match
                 "responses": [{"status": 429, "headers": {"Retry-After": "1"}},
                               {"status": 200, "json": {...}},
                               {"status": 200, "raw": "not json"},
                               {"status": 200, "size": 40000000},
                               {"status": 200, "chunked": 40000000}]}]}

"size" sends that many bytes with a Content-Length, "chunked" streams them
without one. Each request to a route takes its next response; the last one
repeats. A
request no route matches gets 404. "{base}" in a JSON response is this
server's own address, for links.next given as a whole URL.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

scenario = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
served = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self, method):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        cursor = (body or {}).get("cursor") if method == "POST" else None
        if cursor is None:
            cursor = parse_qs(url.query).get("cursor", [None])[0]
        authorized = self.headers.get("Authorization") == "Bearer " + scenario["key"]
        with open(log_path, "a") as log:
            log.write(json.dumps({"method": method, "path": url.path, "query": url.query,
                                  "cursor": cursor, "body": body,
                                  "authorized": authorized}) + "\n")
        if not authorized:
            return self.send(401, {}, json.dumps({"code": 401, "message": "Unauthorized"}).encode())
        for index, route in enumerate(scenario["routes"]):
            if (route["method"] == method and route["path"] == url.path
                    and route.get("cursor") == cursor):
                with lock:
                    n = served.get(index, 0)
                    served[index] = n + 1
                response = route["responses"][min(n, len(route["responses"]) - 1)]
                if "json" in response:
                    text = json.dumps(response["json"])
                    payload = text.replace("{base}", "http://127.0.0.1:%d" % PORT).encode()
                elif "size" in response:
                    payload = b" " * response["size"]
                elif "chunked" in response:
                    return self.stream(response["status"], response["chunked"])
                else:
                    payload = response.get("raw", "").encode()
                return self.send(response["status"], response.get("headers", {}), payload)
        self.send(404, {}, json.dumps({"code": 404, "message": "Not Found"}).encode())

    def send(self, status, headers, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def stream(self, status, size):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b" " * (1024 * 1024)
        try:
            while size > 0:
                part = chunk[:size]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                size -= len(part)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what a size limit does

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
PORT = server.server_address[1]
print(PORT, flush=True)
server.serve_forever()
