"""Cold start, latency, memory and size of the handlers, side by side with a
hello-world Rust function (the floor) and the seeds made real with boto3.

Everything runs on this machine through a minimal Lambda Runtime API that
this script serves, against a fast local AWS stub (canned answers, no moto).
scripts/bench builds the binaries first and calls this with their paths.

Measured per function:
  init        exec -> first GET /runtime/invocation/next (Lambda's Init Duration)
  first       exec -> first response posted (a cold invocation end to end)
  warm        one process, N invocations: p50 and p99 of event -> response
  peak RSS    VmHWM of the process after the warm invocations
  over TLS    init and first invoke again, against the stub served over TLS
              with a throwaway CA made here (so the first invoke pays a
              handshake, as on AWS), for each trust: the compiled-in roots
              (a bench build that also trusts the CA), the system bundle, and
              boto3's
  AWS calls   requests the stub received for one invocation of each scenario
"""

import argparse
import datetime
import ipaddress
import json
import os
import platform
import queue
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOW = "2025-05-13T21:48:00Z"

class QuietServer(ThreadingHTTPServer):
    """Killing a measured process resets its open connections: not an error here."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


# ------------------------------------------------------------ the AWS stub

RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"
R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"

DB_INSTANCE = (
    "<DBInstance><DBInstanceIdentifier>{id}</DBInstanceIdentifier>"
    "<DBInstanceClass>db.r6g.large</DBInstanceClass><Engine>postgres</Engine>"
    "<DBInstanceStatus>{status}</DBInstanceStatus><MultiAZ>true</MultiAZ>"
    "<StorageType>gp3</StorageType><DeletionProtection>true</DeletionProtection>"
    "<PubliclyAccessible>false</PubliclyAccessible>"
    "<VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-0a1b2c3d4e5f60718</VpcSecurityGroupId>"
    "<Status>active</Status></VpcSecurityGroupMembership></VpcSecurityGroups>"
    "<TagList><Tag><Key>team</Key><Value>orders</Value></Tag></TagList></DBInstance>"
)


def rds_answer(form):
    action = form.get("Action", [""])[0]
    if action == "DescribeDBInstances":
        wanted = form.get("DBInstanceIdentifier", [""])[0]
        if wanted != "ecommerce-db":
            return 404, (
                "<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code>"
                f"<Message>DBInstance {wanted} not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            )
        body = DB_INSTANCE.format(id=wanted, status="available")
        return 200, (
            f'<DescribeDBInstancesResponse xmlns="{RDS_NS}"><DescribeDBInstancesResult><DBInstances>'
            f"{body}</DBInstances></DescribeDBInstancesResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBInstancesResponse>"
        )
    if action == "DescribeDBSnapshots":
        return 200, (
            f'<DescribeDBSnapshotsResponse xmlns="{RDS_NS}"><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>'
            "<DBSnapshotIdentifier>snapshot-2025-05-12</DBSnapshotIdentifier>"
            "<DBInstanceIdentifier>ecommerce-db</DBInstanceIdentifier><Status>available</Status>"
            f"<SnapshotCreateTime>{NOW}</SnapshotCreateTime></DBSnapshot></DBSnapshots></DescribeDBSnapshotsResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBSnapshotsResponse>"
        )
    if action == "RestoreDBInstanceFromDBSnapshot":
        wanted = form.get("DBInstanceIdentifier", [""])[0]
        body = DB_INSTANCE.format(id=wanted, status="creating")
        return 200, (
            f'<RestoreDBInstanceFromDBSnapshotResponse xmlns="{RDS_NS}"><RestoreDBInstanceFromDBSnapshotResult>'
            f"{body}</RestoreDBInstanceFromDBSnapshotResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></RestoreDBInstanceFromDBSnapshotResponse>"
        )
    if action == "DescribeDBSubnetGroups":
        return 200, (
            f'<DescribeDBSubnetGroupsResponse xmlns="{RDS_NS}"><DescribeDBSubnetGroupsResult><DBSubnetGroups>'
            "<DBSubnetGroup><DBSubnetGroupName>ecommerce-dr-subnets</DBSubnetGroupName>"
            "<DBSubnetGroupDescription>recovery VPC</DBSubnetGroupDescription><VpcId>vpc-0bench</VpcId>"
            "<SubnetGroupStatus>Complete</SubnetGroupStatus></DBSubnetGroup></DBSubnetGroups>"
            "</DescribeDBSubnetGroupsResult>"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBSubnetGroupsResponse>"
        )
    if action == "DescribeSecurityGroups":
        # EC2 (check-readiness): the same query protocol, its own namespace.
        return 200, (
            '<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            "<requestId>r</requestId><securityGroupInfo><item><ownerId>123456789012</ownerId>"
            "<groupId>sg-0a1b2c3d4e5f60718</groupId><groupName>orders-db</groupName>"
            "<groupDescription>orders database</groupDescription><vpcId>vpc-0bench</vpcId></item>"
            "</securityGroupInfo></DescribeSecurityGroupsResponse>"
        )
    return 400, f"<ErrorResponse><Error><Code>InvalidAction</Code><Message>{action}</Message></Error></ErrorResponse>"


HEALTH_CHECK = "abcdef01-2345-6789-abcd-ef0123456789"


def weighted_set(name, region, weight, ip, health=None):
    check = f"<HealthCheckId>{health}</HealthCheckId>" if health else ""
    return (
        f"<ResourceRecordSet><Name>{name}</Name><Type>A</Type>"
        f"<SetIdentifier>{region}</SetIdentifier><Weight>{weight}</Weight><TTL>60</TTL>"
        f"<ResourceRecords><ResourceRecord><Value>{ip}</Value></ResourceRecord></ResourceRecords>{check}"
        "</ResourceRecordSet>"
    )


def route53_answer(method, path, query):
    if method == "GET" and path.endswith("/rrset"):
        # The weighted pair of whichever name was asked for.
        name = query.get("name", ["shop.example.com."])[0].rstrip(".") + "."
        sets = weighted_set(name, "us-east-1", 100, "10.1.0.10") + weighted_set(
            name, "us-west-2", 0, "10.2.0.10", HEALTH_CHECK
        )
        return 200, (
            f'<ListResourceRecordSetsResponse xmlns="{R53_NS}"><ResourceRecordSets>{sets}</ResourceRecordSets>'
            "<IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>"
        )
    if method == "GET" and path.endswith(f"/healthcheck/{HEALTH_CHECK}"):
        return 200, (
            f'<GetHealthCheckResponse xmlns="{R53_NS}"><HealthCheck><Id>{HEALTH_CHECK}</Id>'
            "<CallerReference>bench</CallerReference><HealthCheckConfig><Type>HTTPS</Type>"
            "<FullyQualifiedDomainName>origin-usw2.shop.example.com</FullyQualifiedDomainName>"
            "<Inverted>false</Inverted><Disabled>false</Disabled></HealthCheckConfig>"
            "<HealthCheckVersion>1</HealthCheckVersion></HealthCheck></GetHealthCheckResponse>"
        )
    if method == "GET" and path.endswith("/status"):
        observation = (
            "<HealthCheckObservation><Region>us-east-1</Region><IPAddress>192.0.2.1</IPAddress>"
            f"<StatusReport><Status>Success: HTTP Status Code 200, OK</Status><CheckedTime>{NOW}</CheckedTime>"
            "</StatusReport></HealthCheckObservation>"
        )
        return 200, (
            f'<GetHealthCheckStatusResponse xmlns="{R53_NS}"><HealthCheckObservations>{observation * 3}'
            "</HealthCheckObservations></GetHealthCheckStatusResponse>"
        )
    if method == "POST" and path.rstrip("/").endswith("/rrset"):
        return 200, (
            f'<ChangeResourceRecordSetsResponse xmlns="{R53_NS}"><ChangeInfo><Id>/change/C0BENCH</Id>'
            f"<Status>PENDING</Status><SubmittedAt>{NOW}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>"
        )
    return 404, "<ErrorResponse><Error><Code>NoSuchResource</Code><Message>stub</Message></Error></ErrorResponse>"


class AwsStub(BaseHTTPRequestHandler):
    """Canned AWS answers; counts the requests (see calls_per_scenario)."""

    calls = 0
    calls_lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and
    # the client's delayed ACK would add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with AwsStub.calls_lock:
            AwsStub.calls += 1
        url = urllib.parse.urlparse(self.path)
        path = url.path
        if path.startswith("/2013-04-01/"):
            status, text = route53_answer(self.command, path, urllib.parse.parse_qs(url.query))
        else:
            status, text = rds_answer(urllib.parse.parse_qs(body))
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "bench")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


# ------------------------------------------------------ the Runtime API


class Runtime:
    """A minimal Lambda Runtime API: hands out queued events, records times."""

    def __init__(self):
        self.events = queue.Queue()
        self.first_next = threading.Event()
        self.first_next_at = None
        self.responses = {}
        self.lock = threading.Lock()
        runtime = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status, data=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.endswith("/runtime/invocation/next"):
                    if not runtime.first_next.is_set():
                        runtime.first_next_at = time.perf_counter_ns()
                        runtime.first_next.set()
                    request_id, body, done = runtime.events.get()
                    deadline = int(time.time() * 1000) + 60_000
                    self._send(
                        200,
                        body,
                        [
                            ("Lambda-Runtime-Aws-Request-Id", request_id),
                            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                            ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench"),
                            ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000"),
                            ("Content-Type", "application/json"),
                        ],
                    )
                    return
                self._send(404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("/")
                if "invocation" in parts and parts[-1] in ("response", "error"):
                    request_id = parts[-2]
                    with runtime.lock:
                        entry = runtime.responses.get(request_id)
                    if entry:
                        entry["at"] = time.perf_counter_ns()
                        entry["kind"] = parts[-1]
                        entry["body"] = body
                        entry["done"].set()
                    self._send(202, b'{"status":"OK"}')
                    return
                if self.path.endswith("/runtime/init/error"):
                    print(f"    init error: {body[:300]!r}", file=sys.stderr)
                    self._send(202, b'{"status":"OK"}')
                    return
                self._send(404)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event):
        """Queues one event; returns (sent_at, entry) to wait on."""
        request_id = str(uuid.uuid4())
        entry = {"done": threading.Event()}
        with self.lock:
            self.responses[request_id] = entry
        sent = time.perf_counter_ns()
        self.events.put((request_id, json.dumps(event).encode(), entry))
        return sent, entry


# ------------------------------------------------------------ measuring


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def start(command, env):
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc):
    proc.kill()
    proc.wait()


def cold_start(command, env, event, timeout=30):
    runtime = Runtime()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=runtime.address)
    t0 = time.perf_counter_ns()
    proc = start(command, env)
    try:
        if not runtime.first_next.wait(timeout):
            raise RuntimeError(f"{command[0]} never asked for an event: {proc.stderr.read(2000) if proc.poll() is not None else ''}")
        init_ms = (runtime.first_next_at - t0) / 1e6
        _, entry = runtime.invoke(event)
        if not entry["done"].wait(timeout):
            raise RuntimeError(f"{command[0]} never answered")
        if entry["kind"] != "response":
            raise RuntimeError(f"{command[0]} answered an error: {entry['body'][:300]!r}")
        first_ms = (entry["at"] - t0) / 1e6
        return init_ms, first_ms, entry["body"]
    finally:
        stop(proc)
        runtime.server.shutdown()


def warm(command, env, event, count, timeout=30):
    runtime = Runtime()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=runtime.address)
    proc = start(command, env)
    latencies = []
    try:
        if not runtime.first_next.wait(timeout):
            raise RuntimeError(f"{command[0]} never asked for an event")
        for _ in range(count):
            sent, entry = runtime.invoke(event)
            if not entry["done"].wait(timeout):
                raise RuntimeError(f"{command[0]} never answered")
            latencies.append((entry["at"] - sent) / 1e6)
        rss = peak_rss_kib(proc.pid)
        return latencies, rss
    finally:
        stop(proc)
        runtime.server.shutdown()


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def zip_sizes(path):
    """(bootstrap bytes, zip bytes) of a cargo-lambda bootstrap.zip, or None."""
    if not path or not os.path.exists(path):
        return None
    with zipfile.ZipFile(path) as z:
        inner = sum(i.file_size for i in z.infolist())
    return inner, os.path.getsize(path)


def throwaway_ca(directory):
    """A CA made now, and a certificate it signed for 127.0.0.1 and localhost.
    Returns (ca.pem, server.pem, server-key.pem) paths. Lives one day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("dr-lambdas bench throwaway CA"))
        .issuer_name(name("dr-lambdas bench throwaway CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [os.path.join(directory, f) for f in ("ca.pem", "server.pem", "server-key.pem")]
    pem = serialization.Encoding.PEM
    contents = [
        ca.public_bytes(pem),
        cert.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    ]
    for path, content in zip(paths, contents):
        with open(path, "wb") as f:
            f.write(content)
    return paths


def system_bundle():
    """The system CA bundle's path (what rustls-native-certs would read)."""
    for path in (
        ssl.get_default_verify_paths().openssl_cafile,
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
    ):
        if path and os.path.exists(path):
            return path
    raise RuntimeError("no system CA bundle found")


def calls_per_scenario(command, env, event):
    """The AWS requests one cold invocation of `command` makes."""
    with AwsStub.calls_lock:
        before = AwsStub.calls
    cold_start(command, env, event)
    with AwsStub.calls_lock:
        return AwsStub.calls - before


# ------------------------------------------------------------- reporting


def svg_chart(rows, path):
    """A horizontal bar chart of median init and first-invoke times."""
    width, bar_h, gap, left = 760, 16, 14, 190
    scale_max = max(max(r["init_med"], r["first_med"]) for r in rows) * 1.1
    height = 60 + len(rows) * (2 * bar_h + gap)
    x = lambda ms: left + (width - left - 80) * ms / scale_max  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="14" font-weight="bold">Cold start on this machine, median of the cold starts (ms)</text>',
        f'<rect x="{left}" y="30" width="12" height="10" fill="#1f77b4"/><text x="{left + 16}" y="39">init (exec to first /next)</text>',
        f'<rect x="{left + 200}" y="30" width="12" height="10" fill="#ff7f0e"/><text x="{left + 216}" y="39">first invoke (exec to response)</text>',
    ]
    y = 55
    for r in rows:
        out.append(f'<text x="10" y="{y + bar_h + 4}">{r["name"]}</text>')
        for value, colour, dy in ((r["init_med"], "#1f77b4", 0), (r["first_med"], "#ff7f0e", bar_h)):
            out.append(f'<rect x="{left}" y="{y + dy}" width="{max(x(value) - left, 1):.1f}" height="{bar_h - 2}" fill="{colour}"/>')
            out.append(f'<text x="{x(value) + 4:.1f}" y="{y + dy + bar_h - 5}">{value:.1f}</text>')
        y += 2 * bar_h + gap
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


BEGIN, END = "<!-- bench:begin (written by scripts/bench) -->", "<!-- bench:end -->"


def write_between_markers(path, generated):
    """Replaces the generated part of BENCHMARKS.md, keeping what people wrote around it."""
    block = f"{BEGIN}\n{generated}\n{END}"
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = block + "\n" + text
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hello", required=True)
    parser.add_argument("--restore", required=True)
    parser.add_argument("--failover", required=True)
    parser.add_argument("--readiness", required=True)
    parser.add_argument("--restore-tls", help="restore-database built with the bench-extra-root feature")
    parser.add_argument("--failover-tls", help="failover-region built with the bench-extra-root feature")
    parser.add_argument("--python", required=True, help="the .venv-bench python")
    parser.add_argument("--cold", type=int, default=10)
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--zips", default="{}", help="JSON: function -> {arch: bootstrap.zip path}")
    parser.add_argument("--build-seconds", type=float, default=None, help="measured clean debug build time")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE added to every function's environment")
    parser.add_argument("--command", default="scripts/bench")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--chart", default="docs/bench-cold-start.svg")
    args = parser.parse_args()

    stub = QuietServer(("127.0.0.1", 0), AwsStub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{stub.server_address[1]}"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIABENCH",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "WARN",
        "HOSTED_ZONE_ID": "Z0BENCH",
        "RECORD_NAMES": "shop.example.com",
        "PRIMARY_REGION": "us-east-1",
        "SECONDARY_REGION": "us-west-2",
    }
    base_env.update(item.split("=", 1) for item in args.env)
    restore_event = {"db_instance": "ecommerce-db-restored", "snapshot_id": "snapshot-2025-05-12"}
    failover_event = {"primary_region": "us-east-1", "secondary_region": "us-west-2"}
    # The readiness sample, in the stub's one region: both dry runs, then the
    # subnet group, the security group and the snapshot's key.
    readiness_event = {
        "restore": {"db_instance": "ecommerce-db-recovery", "snapshot_id": "latest",
                    "source_db_instance": "ecommerce-db", "db_subnet_group": "ecommerce-dr-subnets",
                    "vpc_security_group_ids": ["sg-0a1b2c3d4e5f60718"]},
        "failover": failover_event,
    }
    py = [args.python, "-m", "awslambdaric"]
    py_env = dict(base_env, PYTHONPATH=os.path.join(root, "bench", "python"), PYTHONDONTWRITEBYTECODE="1")
    functions = [
        ("hello world (Rust floor)", [args.hello], base_env, {}),
        ("restore-database (Rust)", [args.restore], base_env, restore_event),
        ("failover-region (Rust)", [args.failover], base_env, failover_event),
        ("check-readiness (Rust)", [args.readiness], base_env, readiness_event),
        ("restore seed (boto3)", py + ["seed_functions.restore_database"], py_env, restore_event),
        ("failover seed (boto3)", py + ["seed_functions.failover_to_secondary"], py_env, failover_event),
    ]

    # Cold starts round-robin across the functions, so that the machine's
    # ups and downs fall on every row alike.
    inits = {name: [] for name, *_ in functions}
    firsts = {name: [] for name, *_ in functions}
    answers = {}
    print(f"  {args.cold} rounds of cold starts", file=sys.stderr)
    for _ in range(args.cold):
        for name, command, env, event in functions:
            init_ms, first_ms, body = cold_start(command, env, event)
            inits[name].append(init_ms)
            firsts[name].append(first_ms)
            answers[name] = body
    rows = []
    for name, command, env, event in functions:
        print(f"  {name}: {args.warm} warm invocations", file=sys.stderr)
        latencies, rss = warm(command, env, event, args.warm)
        rows.append(
            {
                "name": name,
                "init_med": statistics.median(inits[name]),
                "init_min": min(inits[name]),
                "init_max": max(inits[name]),
                "first_med": statistics.median(firsts[name]),
                "warm_p50": percentile(latencies, 50),
                "warm_p99": percentile(latencies, 99),
                "rss_mib": rss / 1024,
                "answer": answers[name].decode()[:120],
            }
        )

    print("  AWS calls per scenario", file=sys.stderr)
    latest_event = {"db_instance": "ecommerce-db-latest", "snapshot_id": "latest", "source_db_instance": "ecommerce-db"}
    three = "shop.example.com,api.shop.example.com,www.shop.example.com"
    scenarios = [
        ("restore by name", [args.restore], base_env, restore_event),
        ("restore of `latest`", [args.restore], base_env, latest_event),
        ("failover of 1 record name", [args.failover], base_env, failover_event),
        ("failover of 3 record names", [args.failover], dict(base_env, RECORD_NAMES=three), failover_event),
        ("readiness check of the sample (both halves)", [args.readiness], base_env, readiness_event),
        ("restore seed (boto3)", py + ["seed_functions.restore_database"], py_env, restore_event),
        ("failover seed (boto3)", py + ["seed_functions.failover_to_secondary"], py_env, failover_event),
    ]
    calls = [(name, calls_per_scenario(command, env, event)) for name, command, env, event in scenarios]
    stub.shutdown()

    print(f"  {args.cold} rounds of cold starts over TLS", file=sys.stderr)
    tls_dir = tempfile.mkdtemp(prefix="dr-bench-tls-")
    ca, server_cert, server_key = throwaway_ca(tls_dir)
    bundle = os.path.join(tls_dir, "bundle.pem")
    with open(bundle, "wb") as out, open(system_bundle(), "rb") as system, open(ca, "rb") as extra:
        out.write(system.read() + b"\n" + extra.read())
    tls_stub = QuietServer(("127.0.0.1", 0), AwsStub)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert, server_key)
    tls_stub.socket = context.wrap_socket(tls_stub.socket, server_side=True)
    threading.Thread(target=tls_stub.serve_forever, daemon=True).start()
    tls_endpoint = f"https://127.0.0.1:{tls_stub.server_address[1]}"
    tls_env = dict(base_env, AWS_ENDPOINT_URL=tls_endpoint)
    system_env = dict(tls_env, TLS_TRUST_ROOTS="system", SSL_CERT_FILE=bundle)
    tls_functions = []
    if args.restore_tls and args.failover_tls:
        compiled_env = dict(tls_env, DR_BENCH_EXTRA_ROOT=ca)
        tls_functions += [
            ("restore-database, compiled-in roots (default)", [args.restore_tls], compiled_env, restore_event),
            ("failover-region, compiled-in roots (default)", [args.failover_tls], compiled_env, failover_event),
        ]
    tls_functions += [
        ("restore-database, system bundle", [args.restore], system_env, restore_event),
        ("failover-region, system bundle", [args.failover], system_env, failover_event),
        ("restore seed (boto3)", py + ["seed_functions.restore_database"],
         dict(py_env, AWS_ENDPOINT_URL=tls_endpoint, AWS_CA_BUNDLE=bundle), restore_event),
        ("failover seed (boto3)", py + ["seed_functions.failover_to_secondary"],
         dict(py_env, AWS_ENDPOINT_URL=tls_endpoint, AWS_CA_BUNDLE=bundle), failover_event),
    ]
    tls_inits = {name: [] for name, *_ in tls_functions}
    tls_firsts = {name: [] for name, *_ in tls_functions}
    for _ in range(args.cold):
        for name, command, env, event in tls_functions:
            init_ms, first_ms, _ = cold_start(command, env, event)
            tls_inits[name].append(init_ms)
            tls_firsts[name].append(first_ms)
    tls_stub.shutdown()
    tls_rows = [
        (name, statistics.median(tls_inits[name]), statistics.median(tls_firsts[name]))
        for name, *_ in tls_functions
    ]

    zips = json.loads(args.zips)
    hello, restore, failover, readiness = rows[:4]
    floor = hello["init_med"]
    rust_rows = [restore, failover, readiness]
    worst_init = max(r["init_med"] for r in rust_rows)
    worst_rss = max(r["rss_mib"] for r in rust_rows)
    size_rows = []
    for fn in ("restore-database", "failover-region", "check-readiness", "drill", "hello-world"):
        for arch in ("x86_64", "arm64"):
            sizes = zip_sizes(zips.get(fn, {}).get(arch))
            if sizes:
                size_rows.append((fn, arch, sizes[0], sizes[1]))
    worst_zip = max((z for f, _, _, z in size_rows if f != "hello-world"), default=None)

    def verdict(ok):
        return "met" if ok else "**missed**"

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    machine = f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}"
    today = datetime.date.today().isoformat()

    lines = [
        f"Measured by `{args.command}` on {today}, on this project's build machine: {machine}.",
        "Every function runs through the same minimal Lambda Runtime API (served by `scripts/bench.py`) and calls",
        "the same fast local AWS stub with canned answers, so that neither moto nor the network dominates.",
        "Numbers are wall-clock times on a shared 2-core machine: compare the rows, not the absolute values with AWS.",
        "",
        f"![Cold start](docs/{os.path.basename(args.chart)})",
        "",
        f"## Cold start, latency and memory ({args.cold} cold starts, {args.warm} warm invocations each)",
        "",
        "| function | init median (min–max) ms | first invoke median ms | warm p50 ms | warm p99 ms | peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['init_med']:.1f} ({r['init_min']:.1f}–{r['init_max']:.1f}) | {r['first_med']:.1f} "
            f"| {r['warm_p50']:.2f} | {r['warm_p99']:.2f} | {r['rss_mib']:.1f} |"
        )
    lines += [
        "",
        "- *init*: exec of the process → its first `GET /2018-06-01/runtime/invocation/next`: what Lambda reports as Init Duration.",
        "- *first invoke*: exec → the first response posted, AWS calls included (how many: *AWS calls per scenario* below;",
        "  the boto3 seeds make their single write call and nothing else), over plain HTTP: see *Over TLS* for the handshake.",
        "- *warm*: one process, the same event again and again, event handed out → response received.",
        "- *peak RSS*: `VmHWM` of the process after the warm invocations.",
        "",
        "## Size",
        "",
        "| function | architecture | bootstrap (bytes) | zip (bytes) |",
        "| --- | --- | --- | --- |",
    ]
    for fn, arch, inner, z in size_rows:
        lines.append(f"| {fn} | {arch} | {inner:,} | {z:,} |")
    if not size_rows:
        lines.append("| (not built in this run) | | | |")
    tls = dict((name, (init, first)) for name, init, first in tls_rows)
    lines += [
        "",
        f"## Over TLS ({args.cold} cold starts each)",
        "",
        "The same stub over HTTPS, its certificate signed by a CA `scripts/bench.py` made for the run: the first invoke",
        "pays a TLS handshake, as on AWS. Each trust is given that CA: the compiled-in roots through a bench build",
        "(cargo feature `bench-extra-root`, never deployed), the system bundle and boto3 through the bundle plus the CA",
        "(`SSL_CERT_FILE`, `AWS_CA_BUNDLE`).",
        "",
        "| function, trust | init median ms | first invoke over TLS median ms |",
        "| --- | --- | --- |",
    ]
    for name, init, first in tls_rows:
        lines.append(f"| {name} | {init:.1f} | {first:.1f} |")
    lines += [
        "",
        "## AWS calls per scenario",
        "",
        "| scenario | AWS requests in one invocation |",
        "| --- | --- |",
    ]
    for name, count in calls:
        lines.append(f"| {name} | {count} |")
    default_rows = [(n, v) for n, v in tls.items() if "(default)" in n]
    tls_ratio = None
    if default_rows and "restore seed (boto3)" in tls and "failover seed (boto3)" in tls:
        pairs = [
            (tls[n][1], tls["restore seed (boto3)" if n.startswith("restore") else "failover seed (boto3)"][1])
            for n, _ in default_rows
        ]
        worst_first, its_boto = max(pairs, key=lambda p: p[0] / p[1])
        tls_ratio = worst_first / its_boto
    lines += [
        "",
        "## Budgets",
        "",
        "| budget | measured | verdict |",
        "| --- | --- | --- |",
        f"| init ≤ 1.5 × the hello-world floor ({1.5 * floor:.1f} ms) | worst handler {worst_init:.1f} ms = {worst_init / floor:.2f} × | {verdict(worst_init <= 1.5 * floor)} |",
    ]
    if tls_ratio is not None:
        lines.append(
            f"| first invoke over TLS ≤ 0.05 × its boto3 seed's | worst handler {worst_first:.1f} ms against {its_boto:.1f} ms "
            f"= {tls_ratio:.3f} × | {verdict(tls_ratio <= 0.05)} |"
        )
    lines.append(f"| peak RSS ≤ 8 MiB | worst handler {worst_rss:.1f} MiB | {verdict(worst_rss <= 8)} |")
    if worst_zip is not None:
        lines.append(f"| zip ≤ 3.0 MB per function | largest {worst_zip / 1e6:.2f} MB | {verdict(worst_zip <= 3.0e6)} |")
    if args.build_seconds is not None:
        lines.append(
            f"| clean debug build ≤ 120 s on 2 cores | {args.build_seconds:.0f} s (`cargo build`, every binary, empty target dir) "
            f"| {verdict(args.build_seconds <= 120)} |"
        )
    lines.append("")
    write_between_markers(args.out, "\n".join(lines))
    os.makedirs(os.path.dirname(args.chart) or ".", exist_ok=True)
    svg_chart(rows, args.chart)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
