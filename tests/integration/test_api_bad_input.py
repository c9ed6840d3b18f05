"""Bad input and hostile clients against berthd's HTTP API, as raw HTTP over
its unix socket: each case checks the status code and, where Docker sends
one, the JSON {"message": ...} body; after each, /_ping must still answer.

Most cases share one berthd (module scope) with a few fixed containers that
the cases do not change; the robustness cases (threads, memory, slow and
vanishing clients) get a berthd of their own and read its /proc entries.
"""
import http.client
import json
import socket
import tempfile
import threading
import time
import urllib.parse

import pytest

from conftest import Daemon, _finish

NOT_SWARM = ('This node is not a swarm manager. Use "docker swarm init" or '
             '"docker swarm join" to connect this node to swarm and try again.')


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def message(self):
        assert self.headers.get("Content-Type", "").startswith("application/json"), \
            (self.status, self.headers, self.body)
        doc = self.json()
        assert isinstance(doc, dict) and isinstance(doc.get("message"), str), doc
        return doc["message"]

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def call(sock, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection; returns Resp."""
    h = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    conn = UnixHTTPConnection(sock, timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return Resp(r.status, dict(r.getheaders()), r.read())
    finally:
        conn.close()


def q(doc):
    return urllib.parse.quote(json.dumps(doc))


def raw(sock, data, timeout=10):
    """Sends bytes on a new connection and reads until the server closes it
    or timeout seconds pass. Returns (bytes read, closed by the server)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    out = b""
    closed = False
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading and close: that is an answer
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not d:
                closed = True
                break
            out += d
    finally:
        s.close()
    return out, closed


def alive(sock):
    r = call(sock, "GET", "/_ping", timeout=10)
    assert (r.status, r.body) == (200, b"OK")
    assert r.headers.get("Api-Version") == "1.44"


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def settle_threads(pid, limit, timeout=10):
    """Waits until the daemon runs at most limit threads; returns the count."""
    deadline = time.time() + timeout
    n = proc_status(pid, "Threads")
    while n > limit and time.time() < deadline:
        time.sleep(0.05)
        n = proc_status(pid, "Threads")
    return n


def idle_threads(pid):
    """The thread count once it has stopped falling (a quiet daemon)."""
    n = proc_status(pid, "Threads")
    for _ in range(40):
        time.sleep(0.05)
        m = proc_status(pid, "Threads")
        if m == n:
            return n
        n = m
    return n


@pytest.fixture(scope="module")
def api(rootfs_tar):
    """One berthd for the cases that change nothing, with a running
    container "run1" and a created one "made"."""
    d = Daemon(tempfile.mkdtemp(prefix="berthd-test-", dir="/tmp"))
    d.berth("import", rootfs_tar, "busybox")
    d.start()
    try:
        d.run1 = d.berth.out("run", "-d", "--name", "run1", "busybox", "sleep", "1000").strip()
        d.made = d.berth.out("create", "--name", "made", "busybox", "true").strip()
        yield d
    finally:
        d.stop()
        _finish(d.berth)


@pytest.fixture
def sock(api):
    """The shared daemon's socket; checks it still answers after the test."""
    yield api.sock
    alive(api.sock)


# ---- bodies of /containers/create ---------------------------------------------


def test_invalid_json_is_400(sock, api):
    for body in ['{"Image": "busybox", ', "{bad", "", "[]", "null", '"busybox"',
                 '{"Image":"busybox","Cmd":["true"]} trailing', b'{"Image":"\xff"}']:
        r = call(sock, "POST", "/containers/create", body=body)
        assert r.status == 400, (body, r)
        assert r.message, body
    # nothing was created
    assert {c["Id"] for c in call(sock, "GET", "/containers/json?all=1").json()} == \
        {api.run1, api.made}


@pytest.mark.parametrize("field, value, kind", [
    ("Env", "x", "string"),
    ("Cmd", 5, "number"),
    ("HostConfig", [], "array"),
    ("Labels", {"a": 1}, "number"),
    ("Tty", "yes", "string"),
    ("Entrypoint", {"a": "b"}, "object"),
])
def test_wrong_json_types_are_400_naming_the_field(sock, field, value, kind):
    body = {"Image": "busybox", "Cmd": ["true"]}
    body[field] = value
    r = call(sock, "POST", "/containers/create", body=body)
    assert r.status == 400, r
    assert field in r.message


def test_unknown_image_is_404(sock):
    r = call(sock, "POST", "/containers/create", body={"Image": "nosuch", "Cmd": ["true"]})
    assert r.status == 404 and r.message.startswith("No such image: nosuch")
    r = call(sock, "POST", "/containers/create?name=xx", body={"Image": "nosuch:v9"})
    assert r.status == 404 and r.message.startswith("No such image: nosuch:v9")
    for method, path in [("GET", "/images/nosuch/json"), ("DELETE", "/images/nosuch"),
                         ("POST", "/images/nosuch/tag?repo=a"), ("GET", "/images/nosuch/get")]:
        r = call(sock, method, path)
        assert r.status == 404 and r.message.startswith("No such image: nosuch"), (path, r)


def test_an_invalid_image_reference_is_400(sock):
    for image in ["UPPER", "a b", "busybox@sha256:zzz"]:
        r = call(sock, "POST", "/containers/create", body={"Image": image, "Cmd": ["true"]})
        assert r.status == 400, (image, r)
        assert "invalid reference format" in r.message


def test_a_create_body_not_declared_as_json_is_400(sock, api):
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]})
    r = call(sock, "POST", "/containers/create", body=body,
             headers={"Content-Type": "text/plain"})
    if r.status == 201:
        call(sock, "DELETE", "/containers/" + r.json()["Id"])
    assert r.status == 400, r
    assert "Content-Type" in r.message


@pytest.mark.parametrize("method, path", [
    ("GET", "/containers/x/json"),
    ("POST", "/containers/x/start"),
    ("POST", "/containers/x/stop"),
    ("POST", "/containers/x/restart"),
    ("POST", "/containers/x/kill"),
    ("POST", "/containers/x/wait"),
    ("GET", "/containers/x/logs?stdout=1"),
    ("POST", "/containers/x/rename?name=other"),
    ("DELETE", "/containers/x"),
    ("DELETE", "/containers/x?force=1"),
    ("POST", "/containers/x/attach?stream=1&stdout=1"),
    ("POST", "/containers/x/pause"),
    ("POST", "/containers/x/unpause"),
])
def test_unknown_container_is_404_on_every_endpoint(sock, method, path):
    r = call(sock, method, path)
    assert r.status == 404, r
    assert r.message == "No such container: x"


def test_name_conflict_is_409(sock, api):
    r = call(sock, "POST", "/containers/create?name=run1", body={"Image": "busybox",
                                                                 "Cmd": ["true"]})
    assert r.status == 409 and "/run1" in r.message and api.run1 in r.message
    r = call(sock, "POST", "/containers/made/rename?name=run1")
    assert r.status == 409 and "/run1" in r.message


def test_state_conflicts(sock, api):
    r = call(sock, "DELETE", "/containers/run1")
    assert r.status == 409 and "running" in r.message
    r = call(sock, "POST", "/containers/run1/start")
    assert (r.status, r.body) == (304, b"")
    r = call(sock, "POST", "/containers/made/stop")
    assert (r.status, r.body) == (304, b"")
    r = call(sock, "POST", "/containers/made/kill")
    assert r.status == 409 and "not running" in r.message
    r = call(sock, "POST", "/containers/made/pause")
    assert r.status == 409 and r.message
    r = call(sock, "POST", "/containers/run1/unpause")
    assert r.status == 409 and r.message
    state = call(sock, "GET", "/containers/run1/json").json()["State"]
    assert state["Running"] is True and state["Pid"] > 0
    assert call(sock, "GET", "/containers/made/json").json()["State"]["Status"] == "created"


@pytest.mark.parametrize("hostconfig, field", [
    ({"Memory": 1048576}, "Memory"),
    ({"Privileged": True}, "Privileged"),
    ({"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}, "PortBindings"),
    ({"Binds": ["/tmp:/x"]}, "Binds"),
    ({"RestartPolicy": {"Name": "always"}}, "RestartPolicy"),
    ({"NetworkMode": "bridge"}, "NetworkMode"),
])
def test_unsupported_hostconfig_is_400_naming_the_field(sock, api, hostconfig, field):
    r = call(sock, "POST", "/containers/create",
             body={"Image": "busybox", "Cmd": ["true"], "HostConfig": hostconfig})
    assert r.status == 400, r
    assert field in r.message
    assert len(call(sock, "GET", "/containers/json?all=1").json()) == 2


def test_unsupported_hostconfig_fields_at_their_defaults_are_accepted(sock):
    r = call(sock, "POST", "/containers/create",
             body={"Image": "busybox", "Cmd": ["true"],
                   "HostConfig": {"Memory": 0, "Privileged": False, "PortBindings": {},
                                  "Binds": None, "RestartPolicy": {"Name": ""}}})
    assert r.status == 201, r
    cid = r.json()["Id"]
    assert call(sock, "DELETE", f"/containers/{cid}").status == 204


def test_bad_arguments_are_400(sock):
    cases = [
        ("POST", "/containers/run1/kill?signal=SIGNOPE", "SIGNOPE"),
        ("POST", "/containers/run1/kill?signal=999", "999"),
        ("POST", "/containers/run1/stop?signal=NOPE", "NOPE"),
        ("POST", "/containers/run1/wait?condition=bogus", "bogus"),
        ("GET", "/containers/run1/logs", "stream"),
        ("GET", "/containers/run1/logs?stdout=0&stderr=false", "stream"),
        ("GET", "/containers/run1/logs?stdout=1&tail=abc", "abc"),
        ("GET", "/containers/run1/logs?stdout=1&since=yesterday", "yesterday"),
        ("POST", "/containers/run1/stop?t=abc", "abc"),
        ("GET", "/containers/json?limit=abc", "abc"),
        ("GET", "/containers/json?filters=notjson", ""),
        ("GET", "/containers/json?filters=" + q({"bogus": ["x"]}), "bogus"),
        ("POST", "/containers/made/rename?name=", ""),
        ("POST", "/containers/made/rename?name=bad%20name", "bad name"),
        ("POST", "/containers/create?name=bad%20name", "bad name"),
    ]
    for method, path, word in cases:
        r = call(sock, method, path,
                 body={"Image": "busybox", "Cmd": ["true"]} if "create" in path else None)
        assert r.status == 400, (path, r)
        assert word in r.message, (path, r)
    # the running container was not touched by any of it
    assert call(sock, "GET", "/containers/run1/json").json()["State"]["Running"] is True


def test_unknown_path_and_wrong_method(sock):
    for path in ["/nope", "/v1.44/nope", "/containers", "/containers/run1/nope",
                 "/" + "a" * 10000]:
        r = call(sock, "GET", path)
        assert r.status == 404, (path, r)
        assert r.message
    for method, path in [("DELETE", "/version"), ("PUT", "/containers/json"),
                         ("GET", "/containers/create"), ("PATCH", "/_ping"),
                         ("GET", "/containers/run1/start")]:
        r = call(sock, method, path)
        assert r.status in (404, 405), (method, path, r)
        assert r.message


def test_swarm_endpoints_are_503_not_a_swarm_manager(sock):
    for method, path in [("GET", "/swarm"), ("GET", "/services"), ("GET", "/nodes"),
                         ("GET", "/tasks"), ("GET", "/secrets"), ("GET", "/configs"),
                         ("POST", "/swarm/leave?force=1"), ("GET", "/v1.44/services")]:
        r = call(sock, method, path, timeout=10)
        assert r.status == 503, (path, r)
        assert r.message == NOT_SWARM


def test_unserved_families_are_501(sock):
    for method, path in [("GET", "/networks"), ("POST", "/volumes/create"), ("POST", "/build"),
                         ("GET", "/system/df"), ("POST", "/containers/x/update")]:
        r = call(sock, method, path, timeout=10)
        assert r.status == 501, (path, r)
        assert r.message


def test_lookups_of_objects_berth_has_none_of_are_404(sock):
    # berth has no plugins and no network objects; lookups find nothing
    r = call(sock, "GET", "/plugins")
    assert r.status == 200 and r.json() == []
    r = call(sock, "GET", "/plugins/foo/json")
    assert (r.status, r.message) == (404, 'plugin "foo" not found')
    r = call(sock, "GET", "/networks/bar")
    assert (r.status, r.message) == (404, "network bar not found")
    r = call(sock, "GET", "/volumes/baz")
    assert (r.status, r.message) == (404, "get baz: no such volume")


def test_api_versions(sock):
    for v in ["1.12", "1.23", "1.99", "2.0"]:
        r = call(sock, "GET", f"/v{v}/version")
        assert r.status == 400, (v, r)
        assert v in r.message
    v = call(sock, "GET", "/version")
    assert v.status == 200
    assert (v.json()["ApiVersion"], v.json()["MinAPIVersion"]) == ("1.44", "1.24")
    assert call(sock, "GET", "/v1.24/version").json()["ApiVersion"] == "1.44"
    assert call(sock, "GET", "/v1.44/version").json() == v.json()
    ids = {c["Id"] for c in call(sock, "GET", "/v1.44/containers/json?all=1").json()}
    assert ids == {c["Id"] for c in call(sock, "GET", "/containers/json?all=1").json()}
    assert call(sock, "GET", "/v1.41/containers/run1/json").json()["Name"] == "/run1"
    for path in ["/_ping", "/v1.44/_ping"]:
        for method in ["GET", "HEAD"]:
            r = call(sock, method, path)
            assert r.status == 200, (method, path, r)
            for h in ["Api-Version", "Ostype", "Docker-Experimental", "Builder-Version"]:
                assert h.lower() in {k.lower() for k in r.headers}, (h, r.headers)


def test_query_booleans_limit_filters_and_prefixes(sock, api):
    def ids(query):
        r = call(sock, "GET", "/containers/json" + query)
        assert r.status == 200, (query, r)
        return {c["Id"] for c in r.json()}

    both = {api.run1, api.made}
    for v in ["1", "true", "True"]:
        assert ids("?all=" + v) == both, v
    for v in ["0", "false", "False"]:
        assert ids("?all=" + v) == {api.run1}, v
    assert ids("") == {api.run1}
    assert ids("?all=1&limit=-1") == both
    assert ids("?all=1&limit=0") == both
    assert len(ids("?all=1&limit=1")) == 1
    assert ids("?all=1&filters=%7B%7D") == both
    assert ids("?all=1&filters=") == both
    assert ids("?all=1&filters=" + q({"id": [api.made[:7]]})) == {api.made}
    assert ids("?all=1&size=True") == both
    for n in [64, 12, 5]:
        r = call(sock, "GET", f"/containers/{api.run1[:n]}/json")
        assert r.status == 200 and r.json()["Id"] == api.run1, n
    # logs' stream booleans take the same forms
    for v in ["1", "true", "True"]:
        r = call(sock, "GET", f"/containers/made/logs?stdout={v}&stderr=False")
        assert r.status == 200, (v, r)


def test_signals_by_name_and_number(sock, api):
    cid = api.berth.out("run", "-d", "busybox", "sh", "-c",
                        'trap "exit 10" USR1; trap "exit 12" USR2; trap "exit 15" TERM; '
                        "echo ready; while :; do sleep 0.1; done").strip()
    starts = 1

    def traps_set():
        # as PID 1 the shell ignores a signal that comes before its trap
        out = api.berth.out("logs", cid)
        return out.count("ready") >= starts
    try:
        for sig, code in [("SIGUSR1", 10), ("USR1", 10), ("10", 10), ("SIGUSR2", 12),
                          ("12", 12), ("TERM", 15), ("sigterm", 15), ("KILL", 137), ("9", 137)]:
            if not call(sock, "GET", f"/containers/{cid}/json").json()["State"]["Running"]:
                assert call(sock, "POST", f"/containers/{cid[:10]}/start").status == 204
                starts += 1
            deadline = time.time() + 30
            while not traps_set():
                assert time.time() < deadline, "the container never set its traps"
                time.sleep(0.05)
            r = call(sock, "POST", f"/containers/{cid[:10]}/kill?signal={sig}")
            assert r.status == 204, (sig, r)
            r = call(sock, "POST", f"/containers/{cid}/wait", timeout=30)
            assert r.status == 200 and r.json()["StatusCode"] == code, (sig, r)
    finally:
        call(sock, "DELETE", f"/containers/{cid}?force=1")


# ---- robustness: each on a berthd of its own ------------------------------------


def test_a_1mib_header_gets_431_or_a_closed_connection(daemon):
    req = (b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    out, closed = raw(daemon.sock, req, timeout=20)
    assert out.startswith(b"HTTP/1.1 431 ") or (out == b"" and closed), out[:200]
    # many headers that add up to more than a MiB
    req = b"GET /_ping HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%d: %s\r\n" % (i, b"c" * 100) for i in range(10000)) + b"\r\n"
    out, closed = raw(daemon.sock, req, timeout=20)
    assert out.startswith(b"HTTP/1.1 431 ") or (out == b"" and closed), out[:200]
    alive(daemon.sock)


def test_garbage_gets_400_or_a_closed_connection(daemon):
    for junk in [b"GARBAGE\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # TLS
                 b"\xff\xfe\xfd\r\n\r\n", b"A\x00B C D\r\n\r\n",
                 b"GET /_ping HTTP/9.9\r\n\r\n", b"GET /_ping HTTP/1.1\r\nno colon\r\n\r\n",
                 b"GET /_ping HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                 b"POST /containers/create HTTP/1.1\r\nHost: x\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n"]:
        out, closed = raw(daemon.sock, junk, timeout=10)
        status = out.split(b" ", 2)[1] if out.startswith(b"HTTP/1.") else b""
        assert (status[:1] == b"4" or status == b"505") or (out == b"" and closed), (junk, out)
    alive(daemon.sock)


def test_a_slow_client_does_not_hold_up_others(daemon):
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.settimeout(20)
    slow.connect(daemon.sock)
    try:
        slow.sendall(b"GET /_pi")
        t0 = time.time()
        results = []

        def one():
            try:
                results.append(call(daemon.sock, "GET", "/containers/json?all=1",
                                    timeout=10).status)
            except Exception as e:  # noqa: BLE001 - reported below
                results.append(repr(e))

        threads = [threading.Thread(target=one) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        # all answered while the slow one still has sent half a request line
        assert results == [200] * 20
        time.sleep(max(0, 2 - (time.time() - t0)))
        # the slow client finishes its request and is answered too
        slow.sendall(b"ng HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            d = slow.recv(65536)
            if not d:
                break
            out += d
        assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"OK")
    finally:
        slow.close()
    alive(daemon.sock)


def test_50_concurrent_connections(daemon):
    cid = daemon.berth.out("create", "--name", "c1", "busybox", "true").strip()
    errors = []
    done = []
    go = threading.Barrier(50)

    def client(i):
        try:
            conn = UnixHTTPConnection(daemon.sock, timeout=30)
            conn.connect()
            go.wait(20)
            for method, path in [("GET", "/_ping"), ("GET", "/version"),
                                 ("GET", "/containers/json?all=1"), ("GET", "/images/json"),
                                 ("GET", "/containers/c1/json"), ("GET", "/info"),
                                 ("POST", "/containers/nosuch/start")]:
                conn.request(method, path)  # keep-alive: all on one connection
                r = conn.getresponse()
                body = r.read()
                want = 404 if "nosuch" in path else 200
                if r.status != want:
                    errors.append((i, path, r.status, body[:200]))
                if path == "/containers/c1/json" and json.loads(body)["Id"] != cid:
                    errors.append((i, path, body[:200]))
            conn.close()
            done.append(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert sorted(done) == list(range(50))
    alive(daemon.sock)


def test_clients_that_vanish_mid_follow_and_mid_wait_free_their_threads(daemon):
    pid = daemon.proc.pid
    cid = daemon.berth.out("run", "-d", "busybox", "sh", "-c",
                           "while :; do echo tick; sleep 0.2; done").strip()
    alive(daemon.sock)
    idle = idle_threads(pid)
    socks = []
    try:
        for i in range(10):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(daemon.sock)
            if i % 2:
                s.sendall(f"GET /containers/{cid}/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                          "Host: x\r\n\r\n".encode())
            else:
                s.sendall(f"POST /containers/{cid}/wait HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head = s.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 "), head  # the headers come at once
            socks.append(s)
        busy = proc_status(pid, "Threads")
    finally:
        for s in socks:
            s.close()
    n = settle_threads(pid, idle + 1, timeout=5)
    assert n <= idle + 1, f"threads: idle {idle}, with 10 streams {busy}, after they left {n}"
    # still serving, and the container did not notice
    alive(daemon.sock)
    assert call(daemon.sock, "GET", f"/containers/{cid}/json").json()["State"]["Running"]
    r = call(daemon.sock, "GET", f"/containers/{cid}/logs?stdout=1&tail=1")
    assert r.status == 200 and r.body.endswith(b"tick\n")
    # and a wait that stays does get its answer
    result = []
    waiter = threading.Thread(target=lambda: result.append(
        call(daemon.sock, "POST", f"/containers/{cid}/wait", timeout=30)))
    waiter.start()
    time.sleep(0.2)
    assert call(daemon.sock, "POST", f"/containers/{cid}/kill").status == 204
    waiter.join(30)
    assert result and result[0].status == 200 and result[0].json()["StatusCode"] == 137


def test_an_enormous_body_gets_413(daemon):
    _send_huge_create(daemon)
    alive(daemon.sock)
    assert call(daemon.sock, "GET", "/containers/json?all=1").json() == []


def _send_huge_create(daemon, size=100 << 20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(daemon.sock)
    try:
        s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % size)
        chunk = b" " * (1 << 20)
        try:
            for _ in range(size // len(chunk)):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: the answer should be waiting
        out = b""
        while b"\r\n\r\n" not in out or not out.rstrip().endswith(b"}"):
            try:
                d = s.recv(65536)
            except ConnectionResetError:
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    assert out.startswith(b"HTTP/1.1 413 "), out[:300]
    body = json.loads(out.split(b"\r\n\r\n", 1)[1])
    assert body["message"]
    return out


def test_an_enormous_body_does_not_grow_the_daemon(daemon):
    pid = daemon.proc.pid
    alive(daemon.sock)
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM, the peak resident set
    before = proc_status(pid, "VmRSS")
    _send_huge_create(daemon)
    peak = proc_status(pid, "VmHWM")
    assert peak - before <= 8 * 1024, f"VmRSS {before} kB before, peak {peak} kB during"
