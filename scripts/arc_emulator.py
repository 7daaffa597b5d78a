"""A small, test-only emulator of the Route 53 ARC cluster data plane.

moto has no route53-recovery-cluster. This stands in for a cluster's five
regional endpoints: awsJson1_0 on loopback ports, `X-Amz-Target:
ToggleCustomerAPI.*`, holding routing-control states in memory.

What it proves about the handler: its client contract. The endpoints are
tried in turn and the failover goes on when some refuse connections, hang,
or answer EndpointTemporarilyUnavailableException; each request is signed
for its endpoint's own region (a request signed for another region is
refused, as AWS does); the change is ONE UpdateRoutingControlStates; ARC's
errors map to the documented names.

What it does not prove: ARC's quorum and consistency across endpoints, real
safety-rule evaluation (one rule kind is imitated: "at least N of these
controls On"), the exact wording of AWS's errors, or the DNS effect of a
routing control (its health check flipping the records).

Usage: arc_emulator.py --regions us-east-1,us-west-2,... --control-port P
Prints one JSON line: {"endpoints": {region: url}, "control": url}. The
control endpoint (plain HTTP, JSON):
  POST /reset    {"states": {arn: "On"|"Off"}, "rules": [{"arn", "controls", "min_on"}]}
  POST /behave   {"region": "normal"|"refuse"|"hang"|"unavailable"|"conflict"|"throttle"|"gateway"}
                 (gateway: a 502 with an HTML body, as a broken proxy answers)
  GET  /states   current states
  GET  /requests every data-plane request: {"region", "target", "signed_for", "body"}
"""

import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATES = {}
RULES = []
REQUESTS = []
BEHAVIOUR = {}
SERVERS = {}


def error(kind, message, status=400):
    return status, {"__type": kind, "message": message}


def signed_region(auth):
    # AWS4-HMAC-SHA256 Credential=AKID/20261122/<region>/<service>/aws4_request, ...
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        return scope[2], scope[3]
    except IndexError:
        return None, None


def data_plane(region):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            target = self.headers.get("X-Amz-Target", "")
            signed, service = signed_region(self.headers.get("Authorization", ""))
            with LOCK:
                REQUESTS.append({"region": region, "target": target, "signed_for": signed, "body": body})
                behaviour = BEHAVIOUR.get(region, "normal")
            if behaviour == "hang":
                time.sleep(60)
                return
            if behaviour == "gateway":
                page = b"<html><body>502 Bad Gateway</body></html>"
                self.send_response(502)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            status, answer = self.answer(behaviour, target, body, signed, service)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def answer(self, behaviour, target, body, signed, service):
            if signed != region or service != "route53-recovery-cluster":
                return error(
                    "InvalidSignatureException",
                    f"Credential should be scoped to a valid region, not '{signed}' ({service})",
                    403,
                )
            if behaviour == "unavailable":
                return error("EndpointTemporarilyUnavailableException", "The cluster endpoint isn't available. Try another cluster endpoint.", 503)
            if behaviour == "throttle":
                return error("ThrottlingException", "Rate exceeded", 429)
            if behaviour == "conflict":
                return error("ConflictException", "There was a conflict with this request. Try again.", 409)
            operation = target.removeprefix("ToggleCustomerAPI.")
            with LOCK:
                if operation == "GetRoutingControlState":
                    arn = body.get("RoutingControlArn")
                    if arn not in STATES:
                        return error("ResourceNotFoundException", f"routing control {arn} not found", 404)
                    return 200, {"RoutingControlArn": arn, "RoutingControlState": STATES[arn]}
                if operation in ("UpdateRoutingControlStates", "UpdateRoutingControlState"):
                    entries = body.get("UpdateRoutingControlStateEntries") or [
                        {"RoutingControlArn": body.get("RoutingControlArn"),
                         "RoutingControlState": body.get("RoutingControlState")}
                    ]
                    after = dict(STATES)
                    for entry in entries:
                        if entry["RoutingControlArn"] not in STATES:
                            return error("ResourceNotFoundException", f"routing control {entry['RoutingControlArn']} not found", 404)
                        after[entry["RoutingControlArn"]] = entry["RoutingControlState"]
                    overridden = set(body.get("SafetyRulesToOverride") or [])
                    for rule in RULES:
                        on = sum(1 for arn in rule["controls"] if after.get(arn) == "On")
                        if on < rule["min_on"] and rule["arn"] not in overridden:
                            return error(
                                "ConflictException",
                                f"The update would violate safety rule {rule['arn']}: at least "
                                f"{rule['min_on']} routing controls must be On.",
                                409,
                            )
                    STATES.clear()
                    STATES.update(after)
                    return 200, {}
            return error("UnknownOperationException", f"unknown operation {target}")

    return Handler


def serve(region, port):
    server = ThreadingHTTPServer(("127.0.0.1", port), data_plane(region))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SERVERS[region] = server


class Control(BaseHTTPRequestHandler):
    ports = {}

    def log_message(self, *args):
        pass

    def reply(self, answer):
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        with LOCK:
            self.reply(dict(STATES) if self.path == "/states" else list(REQUESTS))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/reset":
            with LOCK:
                STATES.clear()
                STATES.update(body.get("states", {}))
                RULES[:] = body.get("rules", [])
                REQUESTS.clear()
                behaviours = dict(BEHAVIOUR)
                BEHAVIOUR.clear()
            for region, behaviour in behaviours.items():
                if behaviour == "refuse":
                    serve(region, self.ports[region])
        elif self.path == "/behave":
            for region, behaviour in body.items():
                with LOCK:
                    before = BEHAVIOUR.get(region, "normal")
                    BEHAVIOUR[region] = behaviour
                if behaviour == "refuse" and before != "refuse":
                    # Closing the listening socket: connections are refused.
                    SERVERS[region].shutdown()
                    SERVERS[region].server_close()
                elif before == "refuse" and behaviour != "refuse":
                    serve(region, self.ports[region])
        self.reply({"ok": True})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    endpoints = {}
    for region in args.regions.split(","):
        port = free_port()
        Control.ports[region] = port
        serve(region, port)
        endpoints[region] = f"http://127.0.0.1:{port}"
    control = ThreadingHTTPServer(("127.0.0.1", args.control_port), Control)
    print(json.dumps({"endpoints": endpoints, "control": f"http://127.0.0.1:{args.control_port}"}), flush=True)
    control.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
