"""exec through berthd, driven by docker-py (5.0.3 and 7.1.0), the docker CLI
(also interactively, through a pty) and the berth CLI: every mode of the
seed's Container.exec_run, exit codes recorded exactly, binary-safe streams
in both directions, 100 MB through one exec, and Docker's errors.
"""
import hashlib
import json
import os
import pty
import select
import socket
import struct
import subprocess
import time

import docker
import pytest

from test_dockerpy import api_error, run_py7, wait_for

DOCKER_DEFAULT_CAPS = 0xA80425FB


@pytest.fixture(scope="module")
def py7():
    from test_dockerpy import _py7
    return _py7()


@pytest.fixture
def box(daemon):
    """A running container to exec in."""
    return daemon.client.containers.run("busybox", ["sleep", "1000"], detach=True, name="box")


def read_frames(sock):
    """Reads Docker's multiplexed frames until EOF: {1: stdout, 2: stderr}."""
    out = {1: b"", 2: b""}
    buf = b""
    while True:
        d = sock.recv(65536)
        if not d:
            break
        buf += d
    while buf:
        assert len(buf) >= 8, f"truncated frame header: {buf!r}"
        stream, size = buf[0], struct.unpack(">I", buf[4:8])[0]
        assert stream in (1, 2) and buf[1:4] == b"\0\0\0", f"bad frame header {buf[:8]!r}"
        out[stream] += buf[8:8 + size]
        assert len(buf) >= 8 + size, "truncated frame"
        buf = buf[8 + size:]
    return out


def raw_socket(sock_output):
    """The socket under what exec_run(socket=True) returns (docker-py 5)."""
    return getattr(sock_output, "_sock", sock_output)


# ---- docker-py: the modes of exec_run --------------------------------------

def test_exec_run_output_and_exit_codes(box):
    r = box.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert r.exit_code == 3
    assert r.output == b"out\nerr\n"
    for code in (0, 1, 42, 255):
        assert box.exec_run(["sh", "-c", f"exit {code}"]).exit_code == code
    # killed by a signal: 128 + the signal, as a shell reports it
    assert box.exec_run(["sh", "-c", "kill -9 $$"]).exit_code == 137
    # only the streams asked for
    assert box.exec_run(["sh", "-c", "echo out; echo err >&2"], stderr=False).output == b"out\n"
    assert box.exec_run(["sh", "-c", "echo out; echo err >&2"], stdout=False).output == b"err\n"


def test_exec_run_demux_separates_interleaved_streams(box):
    script = "i=0; while [ $i -lt 300 ]; do echo o$i; echo e$i >&2; i=$((i+1)); done"
    r = box.exec_run(["sh", "-c", script], demux=True)
    assert r.exit_code == 0
    out, err = r.output
    assert out == b"".join(b"o%d\n" % i for i in range(300))
    assert err == b"".join(b"e%d\n" % i for i in range(300))


def test_exec_run_stream_delivers_output_as_it_is_written(box):
    r = box.exec_run(["sh", "-c", "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second"],
                     stream=True)
    it = iter(r.output)
    assert next(it) == b"first\n"  # before the process may go on
    assert box.exec_run(["touch", "/tmp/go"]).exit_code == 0
    assert b"".join(it) == b"second\n"


def test_exec_run_detach_runs_in_background(box):
    r = box.exec_run(["sh", "-c", "sleep 0.3; echo done > /tmp/detached"], detach=True)
    assert r.exit_code is None
    wait_for(lambda: box.exec_run(["cat", "/tmp/detached"]).output == b"done\n", what="detached exec")


def test_exec_run_tty(box):
    r = box.exec_run(["sh", "-c", "tty; echo $TERM; echo x >&2"], tty=True)
    assert r.exit_code == 0
    lines = r.output.split(b"\r\n")
    assert lines[0].startswith(b"/dev/pts/"), r.output
    assert lines[1:] == [b"xterm", b"x", b""]


def test_exec_run_environment_workdir_user(box):
    r = box.exec_run(["sh", "-c", "echo $A,$B,$HOSTNAME; pwd; id"], environment={"A": "1", "B": "two words"},
                     workdir="/tmp", user="nobody")
    assert r.exit_code == 0
    env, cwd, ident = r.output.decode().splitlines()
    assert env == "1,two words," + box.attrs["Config"]["Hostname"]
    assert cwd == "/tmp"
    assert ident.startswith("uid=65534(nobody) gid=65534(nogroup)")
    r = box.exec_run(["id", "-u"], user="1234:5678")
    assert r.output == b"1234\n"
    assert box.exec_run(["id", "-g"], user="1234:5678").output == b"5678\n"
    # the list form of environment, and an override of the container's PATH
    r = box.exec_run(["sh", "-c", "echo $PATH"], environment=["PATH=/bin:/sbin"])
    assert r.output == b"/bin:/sbin\n"


def test_exec_run_privileged_gets_every_host_capability(box):
    def capeff(**kw):
        out = box.exec_run(["grep", "CapEff", "/proc/self/status"], **kw).output.decode()
        return int(out.split()[1], 16)
    assert capeff() == DOCKER_DEFAULT_CAPS
    with open("/proc/self/status") as f:
        host_bnd = int([l for l in f if l.startswith("CapBnd")][0].split()[1], 16)
    assert capeff(privileged=True) == host_bnd


def test_exec_run_socket_with_stdin(box):
    r = box.exec_run(["sh", "-c", "cat; echo bye >&2"], stdin=True, socket=True)
    s = raw_socket(r.output)
    s.sendall(b"hello via the socket\n")
    s.shutdown(socket.SHUT_WR)  # stdin EOF must not cut the output
    out = read_frames(s)
    s.close()
    assert out == {1: b"hello via the socket\n", 2: b"bye\n"}


def test_every_byte_value_survives_exec_streams(daemon, box):
    data = bytes(range(256)) * 4
    api = daemon.client.api
    # client -> stdin -> stdout and stderr; the detach keys (ctrl-p ctrl-q by
    # default, which the data holds in a row) set to a pair it never has
    for target, stream in (("cat", 1), ("cat >&2", 2)):
        eid = api.exec_create(box.id, ["sh", "-c", target], stdin=True, detach_keys="b,a")["Id"]
        s = raw_socket(api.exec_start(eid, socket=True))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = read_frames(s)
        s.close()
        assert out[stream] == data and out[3 - stream] == b""
    # written by the process itself (printf with octal escapes)
    esc = "".join("\\%03o" % b for b in range(256))
    r = box.exec_run(["sh", "-c", f"printf '{esc}'; printf '{esc}' >&2"], demux=True)
    assert r.output == (bytes(range(256)), bytes(range(256)))


def test_100mb_through_exec_arrive_complete(box):
    r = box.exec_run(["sh", "-c", "head -c 100000000 /dev/urandom > /tmp/big && sha256sum /tmp/big"])
    assert r.exit_code == 0
    want = r.output.split()[0].decode()
    h = hashlib.sha256()
    n = 0
    for chunk in box.exec_run(["cat", "/tmp/big"], stream=True).output:
        h.update(chunk)
        n += len(chunk)
    assert n == 100000000
    assert h.hexdigest() == want


def test_exec_inspect_and_resize(daemon, box):
    api = daemon.client.api
    eid = api.exec_create(box.id, ["sh", "-c", "while [ ! -e /tmp/r ]; do sleep 0.05; done; stty size"],
                          tty=True)["Id"]
    x = api.exec_inspect(eid)
    assert x["ID"] == eid and x["ContainerID"] == box.id
    assert x["Running"] is False and x["ExitCode"] is None
    assert x["ProcessConfig"] == {"arguments": ["-c", "while [ ! -e /tmp/r ]; do sleep 0.05; done; stty size"],
                                  "entrypoint": "sh", "privileged": False, "tty": True, "user": ""}
    sock = api.exec_start(eid, tty=True, socket=True)
    s = raw_socket(sock)
    wait_for(lambda: api.exec_inspect(eid)["Running"], what="exec running")
    x = api.exec_inspect(eid)
    assert x["Pid"] > 0
    # the exec's process is in the container: same pid namespace as its init
    box.reload()
    init = box.attrs["State"]["Pid"]
    for ns in ("pid", "mnt", "net", "uts", "ipc"):
        assert os.readlink(f"/proc/{x['Pid']}/ns/{ns}") == os.readlink(f"/proc/{init}/ns/{ns}"), ns
    # and in its cgroups
    assert open(f"/proc/{x['Pid']}/cgroup").read() == open(f"/proc/{init}/cgroup").read()
    api.exec_resize(eid, height=31, width=97)
    box.exec_run(["touch", "/tmp/r"])
    out = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
    s.close()
    assert out.strip() == b"31 97"
    wait_for(lambda: api.exec_inspect(eid)["ExitCode"] == 0, what="exit code recorded")
    assert api.exec_inspect(eid)["Running"] is False


def test_exec_under_runc(daemon):
    c = daemon.client.containers.run("busybox", ["sleep", "1000"], detach=True, runtime="runc")
    assert c.attrs["HostConfig"]["Runtime"] == "runc"
    r = c.exec_run(["sh", "-c", "echo o; echo e >&2; id -u; exit 5"], demux=True, user="nobody")
    assert r == (5, (b"o\n65534\n", b"e\n"))
    assert c.exec_run("tty", tty=True).output.startswith(b"/dev/pts/")
    assert c.exec_run("nosuchcmd").exit_code == 127


def test_exec_errors(daemon, box):
    api = daemon.client.api
    with pytest.raises(docker.errors.NotFound) as e:
        api.exec_create("nosuchcontainer", "true")
    assert api_error(e) == (404, "No such container: nosuchcontainer")
    for call in (lambda: api.exec_inspect("0" * 64), lambda: api.exec_start("0" * 64),
                 lambda: api.exec_resize("0" * 64, height=1, width=1)):
        with pytest.raises(docker.errors.NotFound) as e:
            call()
        assert api_error(e) == (404, "No such exec instance: " + "0" * 64)
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_create(box.id, [])
    assert api_error(e) == (400, "No exec command specified")
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_create(box.id, "true", workdir="relative")
    assert api_error(e)[0] == 400
    # an exec runs once
    eid = api.exec_create(box.id, "true")["Id"]
    api.exec_start(eid)
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_start(eid)
    assert api_error(e) == (409, f"Error: Exec command {eid} has already run")
    # a command that cannot run: Docker's message in the stream, 126/127 recorded
    r = box.exec_run("/no/such/cmd")
    assert r.exit_code == 127
    assert b'exec: "/no/such/cmd"' in r.output
    assert box.exec_run("/etc/passwd").exit_code == 126
    # paused and stopped containers
    box.pause()
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_create(box.id, "true")
    assert api_error(e) == (409, f"Container {box.id} is paused, unpause the container before exec")
    box.unpause()
    pending = api.exec_create(box.id, "true")["Id"]
    box.kill()
    box.wait()
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_create(box.id, "true")
    assert api_error(e) == (409, f"Container {box.id} is not running")
    with pytest.raises(docker.errors.APIError) as e:
        api.exec_start(pending)
    assert api_error(e) == (409, f"Container {box.id} is not running")
    # the daemon is fine
    assert daemon.client.ping()


def test_exec_exit_code_outlives_berthd(daemon, box):
    """The exec's own monitor records the exit, whatever happens to berthd."""
    api = daemon.client.api
    eid = api.exec_create(box.id, ["sh", "-c", "sleep 1; exit 5"])["Id"]
    api.exec_start(eid, detach=True)
    daemon.stop()
    time.sleep(1.5)
    daemon.start()
    wait_for(lambda: daemon.client.api.exec_inspect(eid)["ExitCode"] == 5, what="exit code 5")


def test_exec_instances_go_with_their_container(daemon, box):
    api = daemon.client.api
    eid = api.exec_create(box.id, "true")["Id"]
    box.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        api.exec_inspect(eid)


def test_exec_start_without_upgrade_streams_the_output(daemon, box):
    """A client that does not ask for the upgrade gets the stream as a 200 body."""
    api = daemon.client.api
    eid = api.exec_create(box.id, ["sh", "-c", "echo plain; echo err >&2"])["Id"]
    res = api._post_json(api._url("/exec/{0}/start", eid), data={"Detach": False, "Tty": False})
    assert res.status_code == 200
    body = res.content
    frames, buf = {1: b"", 2: b""}, body
    while buf:
        size = struct.unpack(">I", buf[4:8])[0]
        frames[buf[0]] += buf[8:8 + size]
        buf = buf[8 + size:]
    assert frames == {1: b"plain\n", 2: b"err\n"}


# ---- docker-py 7 -----------------------------------------------------------

def test_dockerpy7_exec_run(daemon, box, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        c = cl.containers.get("box")
        r = {}
        x = c.exec_run(["sh", "-c", "echo o; echo e >&2; exit 9"], demux=True)
        r["demux"] = [x.exit_code, x.output[0].decode(), x.output[1].decode()]
        x = c.exec_run("sh -c 'echo $V'", environment={"V": "seven"}, user="nobody", workdir="/tmp")
        r["env"] = [x.exit_code, x.output.decode()]
        r["stream"] = b"".join(c.exec_run("sh -c 'echo a; echo b'", stream=True).output).decode()
        print(json.dumps(r))
    """)
    assert r == {"demux": [9, "o\n", "e\n"], "env": [0, "seven\n"], "stream": "a\nb\n"}


# ---- the docker CLI --------------------------------------------------------

def test_docker_cli_exec(daemon, box):
    p = daemon.docker("exec", "box", "sh", "-c", "echo hi; echo oops >&2; exit 4", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (4, "hi\n", "oops\n")
    p = daemon.docker("exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", "echo $X; pwd; id -u")
    assert p.stdout == "1\n/tmp\n65534\n"
    p = daemon.docker("exec", "-i", "box", "tr", "a-z", "A-Z", input="piped in\n")
    assert p.stdout == "PIPED IN\n"
    daemon.docker("exec", "-d", "box", "sh", "-c", "echo bg > /tmp/bg")
    wait_for(lambda: daemon.docker("exec", "box", "cat", "/tmp/bg", check=False).stdout == "bg\n",
             what="docker exec -d")
    p = daemon.docker("exec", "box", "nosuchcmd", check=False)
    assert p.returncode == 127 and "executable file not found" in p.stdout + p.stderr


def _pty_session(argv, steps, timeout=30):
    """Runs argv on a pty; for each (expect, send) waits for expect in the
    output, then sends. Returns (exit status, all output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = b""
    try:
        for expect, send in steps:
            deadline = time.time() + timeout
            while expect not in out:
                assert time.time() < deadline, f"waiting for {expect!r}, got {out!r}"
                r, _, _ = select.select([fd], [], [], 0.5)
                if r:
                    try:
                        d = os.read(fd, 4096)
                    except OSError:
                        d = b""
                    if not d:
                        break
                    out += d
            if send:
                os.write(fd, send)
        deadline = time.time() + timeout
        while True:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid:
                return os.waitstatus_to_exitcode(status), out
            assert time.time() < deadline, f"did not exit: {out!r}"
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    pass
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def test_docker_cli_exec_it_through_a_pty(daemon, box):
    env_cfg = os.path.join(daemon.base, "dcfg")
    argv = ["env", f"DOCKER_CONFIG={env_cfg}", "docker", "-H", daemon.url, "exec", "-it", "box", "sh"]
    code, out = _pty_session(argv, [(b"# ", b"echo hi$((1+1))\r"), (b"hi2", b"stty size; exit 3\r")])
    assert b"hi2" in out
    assert code == 3


# ---- the berth CLI ---------------------------------------------------------

def test_berth_cli_exec(daemon, box):
    b = daemon.berth
    p = b("exec", "box", "sh", "-c", "echo out; echo err >&2; exit 6", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (6, "out\n", "err\n")
    p = b("exec", "-e", "Y=2", "-w", "/tmp", "-u", "nobody", "box", "sh", "-c", "echo $Y; pwd; id -u")
    assert p.stdout == "2\n/tmp\n65534\n"
    p = b("exec", "-i", "box", "cat", input="from the cli\n")
    assert p.stdout == "from the cli\n"
    p = b("exec", "box", "nosuch", check=False)
    assert p.returncode == 127 and 'exec: "nosuch": executable file not found' in p.stderr
    p = b("exec", "nosuchbox", "true", check=False)
    assert p.returncode != 0 and "No such container: nosuchbox" in p.stderr


def test_exec_events(daemon, box):
    since = time.time()
    r = box.exec_run(["sh", "-c", "exit 3"])
    assert r.exit_code == 3
    # ExecIDs lists the execs that have not ended, as they run
    r = box.exec_run(["sh", "-c", "while [ ! -e /tmp/end ]; do sleep 0.05; done"], detach=True)
    wait_for(lambda: daemon.client.api.inspect_container(box.id)["ExecIDs"], what="ExecIDs")
    running = daemon.client.api.inspect_container(box.id)["ExecIDs"]
    assert len(running) == 1 and daemon.client.api.exec_inspect(running[0])["Running"] is True
    box.exec_run(["touch", "/tmp/end"])
    wait_for(lambda: daemon.client.api.inspect_container(box.id)["ExecIDs"] is None, what="ExecIDs null")
    evs = list(daemon.client.events(decode=True, since=since, until=time.time() + 1,
                                    filters={"container": box.id}))
    ex = [(e["Action"], e["Actor"]["Attributes"]) for e in evs if e["Action"].startswith("exec_")][:3]
    assert [a for a, _ in ex] == ["exec_create: sh -c exit 3", "exec_start: sh -c exit 3", "exec_die"]
    ids = {attrs["execID"] for _, attrs in ex}
    assert len(ids) == 1
    assert ex[2][1]["exitCode"] == "3"
    for _, attrs in ex:
        assert attrs["name"] == "box" and attrs["image"] == "busybox"


def test_a_schema_1_database_is_migrated(bb):
    """A state root from before exec and events (schema 1) is brought to
    schema 2 on open: its containers stay, exec and events work."""
    import sqlite3
    bb("create", "--name", "old", "busybox", "sleep", "1000")
    db = sqlite3.connect(os.path.join(bb.root, "berth.db"))
    db.executescript("DROP TABLE execs; DROP TABLE events; UPDATE schema_version SET version = 1;")
    db.close()
    bb("start", "old")
    assert bb("exec", "old", "echo", "migrated").stdout == "migrated\n"
    db = sqlite3.connect(os.path.join(bb.root, "berth.db"))
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    actions = [a for (a,) in db.execute("SELECT action FROM events ORDER BY seq")]
    db.close()
    assert actions[:2] == ["start", "exec_create: echo migrated"]
    bb("rm", "-f", "old")


# ---- who records the exit; berthd's monitor server -------------------------

def _exec_dies(daemon, box, since, eid):
    evs = daemon.client.events(decode=True, since=since, until=time.time() + 1,
                               filters={"container": box.id, "event": "exec_die"})
    return [e["Actor"]["Attributes"]["exitCode"] for e in evs
            if e["Actor"]["Attributes"].get("execID") == eid]


def test_exec_exit_recorded_once_by_its_starter(daemon, box):
    """An attached exec's exit is recorded by the engine that started it
    (the monitor is told and spares itself the database): the code is there
    as soon as the stream ends, exec_die comes once, and the exec's run
    directory goes."""
    api = daemon.client.api
    since = time.time()
    eid = api.exec_create(box.id, ["sh", "-c", "echo out; exit 3"])["Id"]
    assert api.exec_start(eid) == b"out\n"
    x = api.exec_inspect(eid)
    assert (x["ExitCode"], x["Running"]) == (3, False)
    rundir = os.path.join(daemon.berth.runroot, "execs", eid)
    wait_for(lambda: not os.path.exists(rundir), what="the exec's run directory gone")
    assert _exec_dies(daemon, box, since, eid) == ["3"]


def test_exec_exit_recorded_when_its_client_vanishes(daemon, box):
    """The client of an attached exec goes away before the exit: nobody is
    there to record it, so the monitor does, once."""
    api = daemon.client.api
    since = time.time()
    eid = api.exec_create(box.id, ["sh", "-c", "sleep 0.5; exit 4"])["Id"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.sock)
    body = b'{"Detach": false, "Tty": false}'
    s.sendall(b"POST /v1.44/exec/%s/start HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (eid.encode(), len(body), body))
    assert s.recv(4096).startswith(b"HTTP/1.1 101")
    s.close()
    wait_for(lambda: api.exec_inspect(eid)["ExitCode"] == 4, what="exit code 4")
    rundir = os.path.join(daemon.berth.runroot, "execs", eid)
    wait_for(lambda: not os.path.exists(rundir), what="the exec's run directory gone")
    assert _exec_dies(daemon, box, since, eid) == ["4"]


def _monitor_server(daemon):
    pid = daemon.proc.pid
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        kids = [int(k) for k in f.read().split()]
    servers = [k for k in kids
               if open(f"/proc/{k}/cmdline", "rb").read().split(b"\0")[:2]
               == [b"berth-monitor", b"--serve"]]
    assert len(servers) == 1, kids
    return servers[0]


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(k) for k in f.read().split()]


def test_berthd_forks_monitors_from_its_server(daemon, box):
    """berthd keeps one berth-monitor --serve that forks the monitors of
    its starts and execs; each shows its own command line. It goes when
    berthd stops, and the containers run on."""
    server = _monitor_server(daemon)
    mons = _children(server)
    assert mons, "the container's monitor is the server's child"
    argv = open(f"/proc/{mons[0]}/cmdline", "rb").read().split(b"\0")
    assert argv[0] == b"berth-monitor" and box.id.encode() in argv
    assert box.exec_run(["sh", "-c", "exit 6"]).exit_code == 6
    daemon.stop()
    wait_for(lambda: not os.path.exists(f"/proc/{server}"), what="the server gone")
    assert daemon.berth.inspect("box")["State"]["Running"] is True
    daemon.start()
    assert daemon.client.containers.get("box").exec_run("echo on").output == b"on\n"


def test_berthd_works_on_without_its_monitor_server(daemon, box):
    """Should the server die, monitors are spawned one by one."""
    server = _monitor_server(daemon)
    os.kill(server, 9)
    wait_for(lambda: server not in _children(daemon.proc.pid)
             or open(f"/proc/{server}/stat").read().split()[2] == "Z", what="the server dead")
    r = box.exec_run(["sh", "-c", "echo still; exit 2"])
    assert (r.exit_code, r.output) == (2, b"still\n")
    out = daemon.client.containers.run("busybox", ["echo", "run"], remove=True)
    assert out == b"run\n"
