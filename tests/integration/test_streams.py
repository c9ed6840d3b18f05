"""Streams through berthd, as clients see them: logs followed while they are
written (with since, until, tail and timestamps), every byte value through
logs and attach (with and without a TTY, stdout and stderr kept apart),
100 MB of output arriving whole, `docker run -it` and `docker attach` (and
`berth attach`) driven through a pseudo-terminal, attach_socket (plain and
websocket) and resize, all with the unmodified docker-py and docker CLI.
"""
import fcntl
import hashlib
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

import docker
import pytest
from docker.utils.socket import frames_iter

from conftest import Daemon, _finish
from test_dockerpy import (TS_LINE, api_error, drain_in_thread, trap_script, ts_seconds, wait_for,
                           wait_ready)

ALL_BYTES = bytes(range(256))
# printf arguments (busybox sh's builtin) that write every byte value
PRINTF_ALL = "".join("\\%03o" % i for i in range(256))
PRINTF_REV = "".join("\\%03o" % i for i in reversed(range(256)))


# ---- logs follow -------------------------------------------------------------

def test_follow_receives_each_line_before_the_next_is_written(daemon):
    c = daemon.client.containers.run(
        "busybox", trap_script("trap 'echo second; exit 0' USR1"), detach=True)
    # the script prints "ready" and then waits for our signal
    stream = c.logs(stream=True, follow=True)
    chunks, t = drain_in_thread(stream)
    try:
        wait_for(lambda: b"ready\n" in b"".join(x for x in chunks if isinstance(x, bytes)),
                 what="the first line, while the container waits for us")
        c.reload()
        assert c.status == "running"
        assert b"second" not in b"".join(chunks)
        c.kill(signal="SIGUSR1")  # only now is the second line written
        t.join(20)
        assert not t.is_alive(), "follow did not end when the container exited"
        assert b"".join(chunks) == b"ready\nsecond\n"
    finally:
        stream.close()


def test_follow_honours_tail_since_and_timestamps(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c",
                                      "trap 'echo three; exit 0' USR1; echo one; sleep 1.2; echo two; "
                                      "while true; do sleep 0.05; done"], detach=True)
    wait_for(lambda: c.logs() == b"one\ntwo\n", what="two lines")
    t1, t2 = [ts_seconds(line) for line in c.logs(timestamps=True).splitlines()]
    boundary = int(t1) + 1
    assert t1 < boundary < t2

    tail = c.logs(stream=True, follow=True, tail=1)
    since = c.logs(stream=True, follow=True, since=boundary)
    stamped = c.logs(stream=True, follow=True, timestamps=True)
    got = [drain_in_thread(s) for s in (tail, since, stamped)]
    try:
        wait_for(lambda: all(b"two\n" in b"".join(ch) for ch, _ in got), what="the followed logs")
        c.kill(signal="SIGUSR1")
        for _, t in got:
            t.join(20)
            assert not t.is_alive(), "follow did not end when the container exited"
        assert b"".join(got[0][0]) == b"two\nthree\n"
        assert b"".join(got[1][0]) == b"two\nthree\n"
        lines = b"".join(got[2][0]).splitlines()
        assert [TS_LINE.match(x).group(3) for x in lines] == [b"one", b"two", b"three"]
    finally:
        for s in (tail, since, stamped):
            s.close()


def test_follow_ends_at_until_while_the_container_runs(daemon):
    c = daemon.client.containers.run("busybox", trap_script("trap '' USR2"), detach=True)
    wait_ready(c)
    stream = c.logs(stream=True, follow=True, until=int(time.time()) + 2)
    chunks, t = drain_in_thread(stream)
    try:
        t.join(30)
        assert not t.is_alive(), "follow did not end at until"
        assert b"".join(chunks) == b"ready\n"
        c.reload()
        assert c.status == "running"
    finally:
        stream.close()
        c.remove(force=True)


def test_follow_of_an_exited_container_returns_its_log(daemon):
    c = daemon.client.containers.run("busybox", ["sh", "-c", "echo a; echo b >&2"], detach=True)
    c.wait()
    assert b"".join(c.logs(stream=True, follow=True)) == b"a\nb\n"


# ---- every byte value ---------------------------------------------------------

def raw_attach(c, **params):
    """A hijacked attach socket and its (stream, data) frames reader."""
    p = {"stdout": 1, "stderr": 1, "stream": 1}
    p.update(params)
    s = c.attach_socket(params=p)
    return s, s._sock


def read_frames(sock, tty=False):
    """Every (stream, bytes) until the end, joined per stream."""
    out = {1: b"", 2: b""}
    for stream, data in frames_iter(sock, tty):
        out[stream] += data
    return out


def test_every_byte_survives_logs_and_attach_without_tty(daemon):
    cl = daemon.client
    script = f"read go; printf '{PRINTF_ALL}'; printf '{PRINTF_REV}' >&2; printf '{PRINTF_ALL}'"
    c = cl.containers.create("busybox", ["sh", "-c", script], stdin_open=True)
    c.start()
    s, sock = raw_attach(c, stdin=1)
    sock.sendall(b"go\n")  # the output starts once we are attached
    got = read_frames(sock)
    s.close()
    assert c.wait()["StatusCode"] == 0
    assert got[1] == ALL_BYTES * 2
    assert got[2] == ALL_BYTES[::-1]
    assert c.logs(stdout=True, stderr=False) == ALL_BYTES * 2
    assert c.logs(stdout=False, stderr=True) == ALL_BYTES[::-1]
    streamed = b"".join(c.logs(stream=True, stdout=False, stderr=True))
    assert streamed == ALL_BYTES[::-1]
    # and the replay of an attach with logs=1
    s, sock = raw_attach(c, logs=1, stream=0)
    assert read_frames(sock) == {1: ALL_BYTES * 2, 2: ALL_BYTES[::-1]}
    s.close()


def test_every_byte_survives_stdin_to_stdout(daemon):
    c = daemon.client.containers.create("busybox", ["cat"], stdin_open=True)
    c.start()
    # the default detach keys, ctrl-p ctrl-q (0x10 0x11), are in the data:
    # they would end the attach, as on Docker
    s, sock = raw_attach(c, stdin=1, detachKeys="ctrl-q,ctrl-p")
    data = ALL_BYTES * 64
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)  # stdin EOF: cat ends, the output still arrives
    got = read_frames(sock)
    s.close()
    assert got == {1: data, 2: b""}
    assert c.wait()["StatusCode"] == 0
    assert c.logs() == data


def test_every_byte_survives_a_tty(daemon):
    # -opost: the terminal passes output unchanged (else "\n" becomes "\r\n")
    script = f"stty -opost; read go; printf '{PRINTF_ALL}'; printf '{PRINTF_REV}' >&2"
    c = daemon.client.containers.create("busybox", ["sh", "-c", script], tty=True, stdin_open=True)
    c.start()
    s, sock = raw_attach(c, stdin=1)
    sock.sendall(b"go\r")
    got = b""
    while True:
        d = sock.recv(65536)
        if not d:
            break
        got += d
    s.close()
    assert c.wait()["StatusCode"] == 0
    expected = ALL_BYTES + ALL_BYTES[::-1]  # one terminal for both streams
    assert got.endswith(expected), got[-600:]
    assert c.logs().endswith(expected)
    assert c.logs(stdout=True, stderr=False).endswith(expected)


# ---- 100 MB --------------------------------------------------------------------

SIZE = 100 * 1000 * 1000
# random bytes to stdout; their sha256 (computed in the container) to stderr
BIG_SCRIPT = (f"mkfifo /tmp/p; sha256sum < /tmp/p > /tmp/sum & "
              f"head -c {SIZE} /dev/urandom | tee /tmp/p; wait; cut -d' ' -f1 /tmp/sum >&2")


def test_100_mb_arrive_whole_through_attach_and_logs(daemon):
    cl = daemon.client
    c = cl.containers.create("busybox", ["sh", "-c", BIG_SCRIPT])
    s, sock = raw_attach(c)  # attached before the start: sees every byte
    c.start()
    h, n, err = hashlib.sha256(), 0, b""
    for stream, data in frames_iter(sock, False):
        if stream == 1:
            h.update(data)
            n += len(data)
        else:
            err += data
    s.close()
    assert c.wait()["StatusCode"] == 0
    want = err.decode().strip()
    assert len(want) == 64
    assert (n, h.hexdigest()) == (SIZE, want)

    h, n = hashlib.sha256(), 0
    for chunk in cl.api.logs(c.id, stdout=True, stderr=False, stream=True):
        h.update(chunk)
        n += len(chunk)
    assert (n, h.hexdigest()) == (SIZE, want)
    assert cl.api.logs(c.id, stdout=False, stderr=True).decode().strip() == want


# ---- through a pseudo-terminal --------------------------------------------------

class Pty:
    """A program on a new pseudo-terminal of 30 rows and 100 columns."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
                os.execvpe(argv[0], argv, env or os.environ)
            finally:
                os._exit(127)
        self.out = b""

    def read_until(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while pattern not in self.out and time.time() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    d = os.read(self.fd, 65536)
                except OSError:
                    break
                if not d:
                    break
                self.out += d
        assert pattern in self.out, f"no {pattern!r} in {self.out!r}"
        return self.out

    def type(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:  # keep the terminal drained
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.out += os.read(self.fd, 65536)
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"did not exit: {self.out!r}")


def docker_argv(daemon, *args):
    return ["docker", "-H", daemon.url, *args]


def docker_env(daemon):
    return dict(os.environ, DOCKER_CONFIG=os.path.join(daemon.base, "dcfg"))


def test_docker_run_it_through_a_pty(daemon):
    t = Pty(docker_argv(daemon, "run", "-it", "--name", "itest", "busybox", "sh"), docker_env(daemon))
    t.read_until(b"# ")
    t.type(b"echo hi$((1+1)); stty size\r")
    t.read_until(b"hi2")
    t.read_until(b"30 100")  # the terminal's size reached the container
    t.type(b"exit\r")
    assert t.wait() == 0
    assert daemon.client.containers.get("itest").attrs["State"]["ExitCode"] == 0


def test_docker_attach_through_a_pty_and_detach(daemon):
    daemon.docker("run", "-dit", "--name", "att", "busybox", "sh")
    t = Pty(docker_argv(daemon, "attach", "att"), docker_env(daemon))
    t.type(b"echo hi$((1+1))\r")
    t.read_until(b"hi2")
    t.type(b"\x10\x11")  # ctrl-p ctrl-q: detach, the container runs on
    t.wait()
    c = daemon.client.containers.get("att")
    assert c.status == "running"
    t = Pty(docker_argv(daemon, "attach", "att"), docker_env(daemon))
    t.type(b"echo again$((2+1)); exit 5\r")
    t.read_until(b"again3")
    assert t.wait() == 5
    assert c.wait()["StatusCode"] == 5


def test_berth_attach_through_a_pty(daemon):
    b = daemon.berth
    b("run", "-d", "-it", "--name", "bat", "busybox", "sh")
    t = Pty(b.argv("attach", "--detach-keys", "ctrl-x,x", "bat"))
    t.type(b"echo hi$((1+1)); stty size\r")
    t.read_until(b"hi2")
    t.read_until(b"30 100")
    t.type(b"\x18x")  # the chosen detach keys
    assert t.wait() == 0
    assert b.inspect("bat")["State"]["Running"] is True
    t = Pty(b.argv("attach", "bat"))
    t.type(b"exit 7\r")
    assert t.wait() == 7
    p = b("attach", "bat", check=False)
    assert p.returncode != 0 and "You cannot attach to a stopped container" in p.stderr
    p = b("attach", "--detach-keys", "ctrl-", "bat", check=False)
    assert p.returncode != 0 and "Invalid detach keys" in p.stderr


def test_berth_attach_without_tty_keeps_streams_apart(daemon):
    b = daemon.berth
    b("run", "-d", "-i", "--name", "plain", "busybox", "sh", "-c",
      "read line; echo out:$line; echo err:$line >&2; exit 3")
    p = b("attach", "plain", input="hello\n", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (3, "out:hello\n", "err:hello\n")


# ---- attach_socket ---------------------------------------------------------------

def test_attach_socket_plain(daemon):
    c = daemon.client.containers.run("busybox", ["sh", "-c", "read x; echo got $x; echo e >&2"],
                                      detach=True, stdin_open=True)
    s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    s._sock.sendall(b"hello\n")
    assert read_frames(s._sock) == {1: b"got hello\n", 2: b"e\n"}
    s.close()
    assert c.wait()["StatusCode"] == 0


@pytest.fixture
def tcp_daemon(rootfs_tar):
    """berthd listening on loopback TCP too (docker-py's websocket attach
    needs a ws:// address); the client talks TCP."""
    import tempfile
    base = tempfile.mkdtemp(prefix="berthd-test-", dir="/tmp")
    d = Daemon(base)
    d.berth("import", rootfs_tar, "busybox")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d.start("-H", f"tcp://127.0.0.1:{port}")
    # start() waits for the unix socket; berthd opens its addresses in turn
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.02)
    d.tcp_client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{port}", timeout=60)
    try:
        yield d
    finally:
        d.tcp_client.close()
        d.stop()
        _finish(d.berth)


def test_attach_socket_websocket(tcp_daemon):
    cl = tcp_daemon.tcp_client
    c = cl.containers.run("busybox", ["sh", "-c", f"read x; echo got $x; echo e >&2; read y; "
                                                  f"printf '{PRINTF_ALL}'; echo y=$y"],
                          detach=True, stdin_open=True)
    ws = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}, ws=True)
    try:
        ws.send("hello\n")  # a text frame
        assert ws.recv() == b"got hello\n"  # not multiplexed: raw output, one frame a read
        assert ws.recv() == b"e\n"
        ws.send_binary(b"bin\n")
        got = b""
        while not got.endswith(b"y=bin\n"):
            got += ws.recv()
        assert got == ALL_BYTES + b"y=bin\n"
        assert ws.recv() == ""  # the container exited: a close frame
    finally:
        ws.close()
    assert c.wait()["StatusCode"] == 0


def test_attach_websocket_logs_and_bad_requests(tcp_daemon):
    cl = tcp_daemon.tcp_client
    c = cl.containers.run("busybox", ["sh", "-c", "echo before; echo err >&2"], detach=True)
    c.wait()

    def replay(client):
        ws = client.api.attach_socket(c.id, params={"logs": 1, "stdout": 1, "stderr": 0, "stream": 0},
                                      ws=True)
        try:
            got = b""
            while True:
                d = ws.recv()
                if not d:
                    return got
                got += d
        finally:
            ws.close()

    # before API 1.42 the websocket takes every stream (moby), since then the query says
    for version, want in (("1.41", b"before\nerr\n"), ("1.44", b"before\n")):
        client = docker.DockerClient(base_url=cl.api.base_url.replace("http://", "tcp://"),
                                     version=version)
        try:
            assert replay(client) == want, version
        finally:
            client.close()
    # not a websocket handshake: 400; an unknown container: 404
    r = cl.api._get(cl.api._url("/containers/{0}/attach/ws", c.id))
    assert r.status_code == 400 and "websocket" in r.json()["message"]
    r = cl.api._get(cl.api._url("/containers/{0}/attach/ws", "nope"),
                    headers={"Upgrade": "websocket", "Connection": "Upgrade",
                             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                             "Sec-WebSocket-Version": "13"})
    assert r.status_code == 404 and r.json()["message"] == "No such container: nope"


# ---- resize ---------------------------------------------------------------------------

def test_resize_through_dockerpy(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", trap_script("trap 'stty size' USR1"), tty=True, detach=True)
    wait_for(lambda: b"ready\r\n" in c.logs(), what="the container's trap to be set")
    c.resize(height=41, width=133)
    c.kill(signal="SIGUSR1")
    wait_for(lambda: b"41 133" in c.logs(), what="stty size to show the new size")
    c.resize(height=12, width=34)
    c.kill(signal="SIGUSR1")
    wait_for(lambda: b"12 34" in c.logs(), what="the second size")

    # bad sizes: 400; an unknown container: 404; not running: 409
    for h, w in (("x", 80), (24, ""), (-1, 80), (24, 70000)):
        r = cl.api._post(cl.api._url("/containers/{0}/resize", c.id), params={"h": h, "w": w})
        assert r.status_code == 400 and "invalid resize" in r.json()["message"], (h, w, r.text)
    with pytest.raises(docker.errors.NotFound):
        cl.api.resize("nope", 24, 80)
    stopped = cl.containers.create("busybox", ["true"], tty=True)
    with pytest.raises(docker.errors.APIError) as e:
        stopped.resize(24, 80)
    assert api_error(e) == (409, f"Container {stopped.id} is not running")
    # without a TTY there is nothing to size, and that is no error (Docker's answer)
    plain = cl.containers.run("busybox", ["sleep", "100"], detach=True)
    plain.resize(24, 80)
    plain.remove(force=True)
    c.remove(force=True)


# ---- docker-py 7 ------------------------------------------------------------------------

def test_dockerpy7_follow_resize_and_attach_socket(daemon):
    from test_dockerpy import _py7, run_py7
    r = run_py7(_py7(), daemon, f"""
        import docker, json, sys, threading, time
        from docker.utils.socket import frames_iter
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        r = {{"version": docker.__version__}}
        c = cl.containers.run("busybox", ["sh", "-c", "trap 'echo second; exit 0' USR1; echo first; "
                                          "while true; do sleep 0.05; done"], detach=True)
        chunks = []
        s = c.logs(stream=True, follow=True)
        t = threading.Thread(target=lambda: chunks.extend(s), daemon=True)
        t.start()
        deadline = time.time() + 20
        while chunks != [b"first\\n"] and time.time() < deadline:
            time.sleep(0.05)
        r["before"] = [x.decode() for x in chunks]
        c.kill(signal="SIGUSR1")
        t.join(20)
        r["ended"] = not t.is_alive()
        r["after"] = [x.decode() for x in chunks]

        tty = cl.containers.run("busybox", ["sh", "-c", "trap 'stty size' USR1; echo ready; "
                                            "while true; do sleep 0.05; done"], tty=True, detach=True)
        while b"ready" not in tty.logs() and time.time() < deadline:
            time.sleep(0.05)
        tty.resize(height=27, width=91)
        tty.kill(signal="SIGUSR1")
        while b"27 91" not in tty.logs() and time.time() < deadline:
            time.sleep(0.05)
        r["size"] = tty.logs().decode().split("\\r\\n")[1]
        tty.remove(force=True)

        b = cl.containers.run("busybox", ["sh", "-c", "read x; printf '{PRINTF_ALL.replace(chr(92), chr(92) * 2)}'; printf $x >&2"],
                              detach=True, stdin_open=True)
        sock = b.attach_socket(params={{"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}})
        sock._sock.sendall(b"err\\n")
        got = {{1: b"", 2: b""}}
        for stream, data in frames_iter(sock._sock, False):
            got[stream] += data
        r["bytes"] = got[1] == bytes(range(256)) and got[2] == b"err"
        r["code"] = b.wait()["StatusCode"]
        print(json.dumps(r))
    """)
    assert r["version"].startswith("7.")
    assert r["before"] == ["first\n"] and r["ended"] and r["after"] == ["first\n", "second\n"]
    assert r["size"] == "27 91"
    assert r["bytes"] is True and r["code"] == 0
