"""berthd driven by the unmodified docker-py, asserting what a docker-py
user sees: every ContainerCollection method (run in all its forms, create,
get, list with each option and filter, prune), the lifecycle methods and
properties of Container, images, and the errors (Docker's messages and
status codes). Options are checked by their effect inside the container
(its output), not only by the API's answer.

Most tests use Debian's python3-docker (5.0.3, the version closest to the
seed, docker-py's models/containers.py); the last ones run scripts under
docker-py 7.1.0 (the pyenv python3 on PATH) against the same daemon.
"""
import datetime
import glob
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import textwrap
import threading
import time

import docker
import pytest
import requests

ID64 = re.compile(r"^[0-9a-f]{64}$")
# Docker's RFC3339NanoFixed: always nine digits of fraction
TS_LINE = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z (.*)$")
DOCKER_DEFAULT_CAPS = 0xA80425FB  # Docker's default capability set
CAP_CHOWN, CAP_SYS_ADMIN = 0, 21


# ---- helpers ---------------------------------------------------------------

def wait_for(cond, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def api_error(excinfo):
    """(status code, message) of a docker.errors.APIError."""
    e = excinfo.value
    return e.response.status_code, e.explanation


def ts_seconds(line):
    """Unix time (float) of a `logs(timestamps=True)` line; asserts the format."""
    m = TS_LINE.match(line)
    assert m, f"not an RFC3339Nano-prefixed line: {line!r}"
    base = datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%S")
    base = base.replace(tzinfo=datetime.timezone.utc).timestamp()
    return base + int(m.group(2)) / 1e9


def rfc3339_seconds(text):
    """Unix time of an inspect time ("2024-01-01T00:00:00.123456789Z")."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", text)
    assert m, text
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = float("0." + m.group(2)) if m.group(2) else 0.0
    return base.replace(tzinfo=datetime.timezone.utc).timestamp() + frac


def cap_eff(output):
    """The CapEff mask of a `grep CapEff /proc/self/status` output."""
    return int(output.split()[1], 16)


def drain_in_thread(gen):
    """Reads a docker-py stream in a thread: returns (chunks, thread)."""
    chunks = []

    def run():
        try:
            for chunk in gen:
                chunks.append(chunk)
        except Exception as e:  # a closed stream ends with an error
            chunks.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return chunks, t


def names(containers):
    return [c.name for c in containers]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# Prints "ready" once its traps are set, then idles until a signal.
def trap_script(*traps):
    return ["sh", "-c", "; ".join(traps) + "; echo ready; while true; do sleep 0.05; done"]


def wait_ready(c):
    wait_for(lambda: b"ready\n" in c.logs(), what="the container's traps to be set")


# ---- run: its forms --------------------------------------------------------

def test_run_foreground_returns_output_and_leaves_an_exited_container(daemon):
    cl = daemon.client
    out = cl.containers.run("busybox", ["echo", "hi"], name="fg")
    assert out == b"hi\n"
    c = cl.containers.get("fg")
    assert c.status == "exited" and c.attrs["State"]["ExitCode"] == 0


def test_run_remove_leaves_nothing(daemon):
    cl = daemon.client
    assert cl.containers.run("busybox", ["echo", "gone"], remove=True, name="rm1") == b"gone\n"
    assert cl.containers.list(all=True) == []
    with pytest.raises(docker.errors.NotFound):
        cl.containers.get("rm1")


def test_run_detach_returns_a_running_container(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo up; sleep 100"], detach=True)
    assert isinstance(c, docker.models.containers.Container)
    assert ID64.match(c.id)
    c.reload()
    assert c.status == "running" and c.attrs["State"]["Pid"] > 0
    assert pid_alive(c.attrs["State"]["Pid"])
    wait_for(lambda: c.logs() == b"up\n", what="the detached container's output")
    c.kill()
    assert c.wait()["StatusCode"] == 137


def test_run_detach_with_remove_is_auto_remove(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "sleep 0.3; exit 4"], detach=True, remove=True)
    assert c.attrs["HostConfig"]["AutoRemove"] is True
    assert c.wait(condition="removed")["StatusCode"] == 4
    with pytest.raises(docker.errors.NotFound):
        c.reload()
    assert cl.containers.list(all=True) == []


def test_run_stream_yields_chunks(daemon):
    cl = daemon.client
    out = cl.containers.run("busybox", ["sh", "-c", "echo one; sleep 0.2; echo two; sleep 0.2; echo three"],
                            stream=True, remove=True)
    assert not isinstance(out, (bytes, str))
    chunks = list(out)
    assert b"".join(chunks) == b"one\ntwo\nthree\n"
    assert len(chunks) >= 3, chunks  # one per write, not one blob
    assert cl.containers.list(all=True) == []


def test_run_nonzero_exit_raises_container_error(daemon):
    cl = daemon.client
    cmd = ["sh", "-c", "echo out; echo bad >&2; exit 3"]
    with pytest.raises(docker.errors.ContainerError) as e:
        cl.containers.run("busybox", cmd, name="failing")
    assert e.value.exit_status == 3
    assert e.value.stderr == b"bad\n"
    assert e.value.command == cmd and e.value.image == "busybox"
    assert e.value.container.name == "failing"
    c = cl.containers.get("failing")
    assert c.status == "exited" and c.attrs["State"]["ExitCode"] == 3

    # with remove=True: still raised, and the container is gone
    with pytest.raises(docker.errors.ContainerError) as e:
        cl.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 2"], remove=True, name="failrm")
    assert e.value.exit_status == 2 and e.value.stderr == b"oops\n"
    with pytest.raises(docker.errors.NotFound):
        cl.containers.get("failrm")

    # with auto_remove: docker-py cannot read stderr any more (None); the
    # sleep lets docker-py inspect it before the engine removes it
    with pytest.raises(docker.errors.ContainerError) as e:
        cl.containers.run("busybox", ["sh", "-c", "echo x >&2; sleep 1; exit 5"], auto_remove=True,
                          name="failauto")
    assert e.value.exit_status == 5 and e.value.stderr is None
    wait_for(lambda: cl.containers.list(all=True, filters={"name": "failauto"}) == [],
             what="the auto-remove container to go")


def test_run_stdout_stderr_selection(daemon):
    run = daemon.client.containers.run
    cmd = ["sh", "-c", "echo out; sleep 0.1; echo err >&2"]
    assert run("busybox", cmd, remove=True) == b"out\n"  # docker-py's default: stdout only
    assert run("busybox", cmd, stdout=False, stderr=True, remove=True) == b"err\n"
    assert run("busybox", cmd, stdout=True, stderr=True, remove=True) == b"out\nerr\n"


def test_run_missing_image_raises_image_not_found(daemon):
    cl = daemon.client
    with pytest.raises(docker.errors.ImageNotFound):
        cl.containers.run("nosuchimage", ["true"])
    with pytest.raises(docker.errors.ImageNotFound) as e:
        cl.containers.create("nosuchimage:v2", ["true"])
    assert e.value.response.status_code == 404
    assert "No such image: nosuchimage:v2" in e.value.explanation
    assert cl.containers.list(all=True) == []


# ---- run: options, checked inside the container ----------------------------

def test_run_environment_workdir_user(daemon):
    run = daemon.client.containers.run
    out = run("busybox", ["env"], environment={"FOO": "1", "SPACED": "x y"}, remove=True)
    env = out.decode().splitlines()
    assert "FOO=1" in env and "SPACED=x y" in env
    assert run("busybox", ["sh", "-c", "echo $A-$B"], environment=["A=a", "B=b c"], remove=True) == b"a-b c\n"
    assert run("busybox", ["pwd"], working_dir="/tmp", remove=True) == b"/tmp\n"
    assert run("busybox", ["pwd"], working_dir="/does/not/exist", remove=True) == b"/does/not/exist\n"
    assert run("busybox", ["id", "-u"], user="tester", remove=True) == b"1000\n"
    assert run("busybox", ["sh", "-c", "id -u; id -g"], user="1000:1001", remove=True) == b"1000\n1001\n"
    assert run("busybox", ["id", "-un"], user="nobody", remove=True) == b"nobody\n"


def test_run_entrypoint_and_command_forms(daemon):
    run = daemon.client.containers.run
    assert run("busybox", ["a", "b"], entrypoint=["echo", "ep"], remove=True) == b"ep a b\n"
    assert run("busybox", "x", entrypoint="echo from-string", remove=True) == b"from-string x\n"
    # a string command is split like a shell would (docker-py's shlex)
    assert run("busybox", "sh -c 'echo \"a  b\"'", remove=True) == b"a  b\n"
    assert run("busybox", ["sh", "-c", "echo \"$0\" \"$1\"", "x y", "z"], remove=True) == b"x y z\n"


def test_run_name_hostname_labels(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "hostname; cat /etc/hostname"], name="named",
                          hostname="myhost", labels={"app": "web", "tier": ""}, detach=True)
    assert c.wait()["StatusCode"] == 0
    assert c.logs() == b"myhost\nmyhost\n"
    assert c.name == "named" and c.attrs["Name"] == "/named"
    assert c.labels == {"app": "web", "tier": ""}
    assert cl.containers.get("named").id == c.id
    assert names(cl.containers.list(all=True, filters={"label": "app=web"})) == ["named"]
    # the default hostname is the short id
    out = cl.containers.run("busybox", ["hostname"], name="defhost")
    assert out.decode().strip() == cl.containers.get("defhost").id[:12]


def test_run_tty_and_stdin_open(daemon):
    run = daemon.client.containers.run
    assert run("busybox", ["sh", "-c", "tty; true"], remove=True) == b"not a tty\n"
    out = run("busybox", ["sh", "-c", "tty; echo x"], tty=True, name="withtty")
    assert out == b"/dev/pts/0\r\nx\r\n"  # a terminal's line endings: raw, unframed
    assert daemon.client.containers.get("withtty").attrs["Config"]["Tty"] is True
    assert run("busybox", ["readlink", "/proc/self/fd/0"], remove=True) == b"/dev/null\n"
    out = run("busybox", ["readlink", "/proc/self/fd/0"], stdin_open=True, name="withstdin")
    assert out.startswith(b"pipe:"), out
    assert daemon.client.containers.get("withstdin").attrs["Config"]["OpenStdin"] is True


def test_run_read_only(daemon):
    run = daemon.client.containers.run
    script = "touch /probe 2>&1; echo rc=$?; awk '$2 == \"/\" {print $4}' /proc/mounts"
    out = run("busybox", ["sh", "-c", script], read_only=True, remove=True).decode().splitlines()
    assert "Read-only file system" in out[0] and out[1] == "rc=1"
    assert out[2].split(",")[0] == "ro"
    out = run("busybox", ["sh", "-c", script], remove=True).decode().splitlines()
    assert out[0] == "rc=0" and out[1].split(",")[0] == "rw"


def test_run_cap_add_cap_drop(daemon):
    run = daemon.client.containers.run
    default = cap_eff(run("busybox", ["grep", "CapEff", "/proc/self/status"], remove=True))
    assert default == DOCKER_DEFAULT_CAPS
    c = run("busybox", ["grep", "CapEff", "/proc/self/status"], cap_add=["SYS_ADMIN"], cap_drop=["CHOWN"],
            detach=True)
    c.wait()
    caps = cap_eff(c.logs())
    assert caps == (DOCKER_DEFAULT_CAPS | 1 << CAP_SYS_ADMIN) & ~(1 << CAP_CHOWN)
    assert c.attrs["HostConfig"]["CapAdd"] == ["SYS_ADMIN"]
    assert c.attrs["HostConfig"]["CapDrop"] == ["CHOWN"]
    # the effect: root cannot chown without CAP_CHOWN
    out = run("busybox", ["sh", "-c", "touch /f; chown 1000 /f 2>&1; echo rc=$?"], cap_drop=["CHOWN"],
              remove=True)
    assert out.endswith(b"rc=1\n") and b"Operation not permitted" in out


def test_run_extra_hosts(daemon):
    out = daemon.client.containers.run("busybox", ["cat", "/etc/hosts"],
                                       extra_hosts={"foo.example": "1.2.3.4", "bar": "10.0.0.9"},
                                       remove=True)
    lines = [line.split() for line in out.decode().splitlines()]
    assert ["1.2.3.4", "foo.example"] in lines and ["10.0.0.9", "bar"] in lines
    assert ["127.0.0.1", "localhost"] in lines


def test_run_network_none_and_host(daemon):
    cl = daemon.client
    out = cl.containers.run("busybox", ["ls", "/sys/class/net"], network_mode="none", name="nonet")
    assert out == b"lo\n"
    assert cl.containers.get("nonet").attrs["HostConfig"]["NetworkMode"] == "none"
    out = cl.containers.run("busybox", ["sh", "-c", "ls /sys/class/net; echo --; hostname"],
                            network_mode="host", name="hostnet").decode()
    ifaces, host = out.split("--\n")
    assert sorted(ifaces.split()) == sorted(os.listdir("/sys/class/net"))
    assert host.strip() == socket.gethostname()
    assert cl.containers.get("hostnet").attrs["HostConfig"]["NetworkMode"] == "host"


def test_run_runtime_runc(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo under-runc; sleep 100"], runtime="runc", detach=True)
    assert c.attrs["HostConfig"]["Runtime"] == "runc"
    # runc's own state for this container, not crun's
    state_dir = os.path.join(daemon.berth.runroot, "runtime", "runc", c.id)
    wait_for(lambda: os.path.isdir(state_dir), what="runc's state directory")
    assert not os.path.exists(os.path.join(daemon.berth.runroot, "runtime", "crun", c.id))
    wait_for(lambda: c.logs() == b"under-runc\n", what="output under runc")
    c.remove(force=True)
    with pytest.raises(docker.errors.APIError) as e:
        cl.containers.run("busybox", ["true"], runtime="nosuchruntime")
    status, msg = api_error(e)
    assert status == 400 and "nosuchruntime" in msg


def test_run_init(daemon):
    """init=True either runs an init as PID 1 or is refused with a clear 400,
    never silently ignored."""
    cl = daemon.client
    try:
        out = cl.containers.run("busybox", ["cat", "/proc/1/comm"], init=True, remove=True)
    except docker.errors.APIError as e:
        assert e.response.status_code == 400
        assert "Init" in e.explanation, e.explanation
        assert cl.containers.list(all=True) == []  # refused: nothing created
    else:
        assert out.strip() not in (b"cat", b""), "init=True accepted but PID 1 is the command itself"


def test_other_options_take_effect_or_are_refused(daemon):
    """Options beyond the issue's list: refused with a clear 400 (and nothing
    created), or, once supported, seen inside the container."""
    cl = daemon.client
    with open("/proc/self/status") as f:
        host_bnd = int([line for line in f if line.startswith("CapBnd:")][0].split()[1], 16)
    memory = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
    cases = [
        ({"privileged": True}, ["grep", "CapEff", "/proc/self/status"], lambda out: cap_eff(out) == host_bnd),
        ({"mem_limit": "64m"}, ["sh", "-c", memory], lambda out: out == b"67108864\n"),
    ]
    for kwargs, cmd, effect in cases:
        try:
            out = cl.containers.run("busybox", cmd, remove=True, **kwargs)
        except docker.errors.APIError as e:
            assert e.response.status_code == 400, kwargs
            assert "not supported" in e.explanation, e.explanation
            assert cl.containers.list(all=True) == [], kwargs
        else:
            assert effect(out), f"{kwargs} accepted without effect: {out!r}"


# ---- create, get, list, prune ----------------------------------------------

def test_create_does_not_start(daemon):
    cl = daemon.client
    c = cl.containers.create("busybox", ["echo", "later"], name="made")
    assert c.status == "created" and c.attrs["State"]["Running"] is False
    assert c.logs() == b""
    c.start()
    assert c.wait()["StatusCode"] == 0
    assert c.logs() == b"later\n"
    c.reload()
    assert c.status == "exited"


def test_get_by_name_id_prefix_and_missing(daemon):
    cl = daemon.client
    c = cl.containers.create("busybox", ["true"], name="findme")
    for key in ("findme", "/findme", c.id, c.id[:12], c.id[:5], c.short_id):
        assert cl.containers.get(key).id == c.id, key
    with pytest.raises(docker.errors.NotFound) as e:
        cl.containers.get("nosuch")
    assert api_error(e) == (404, "No such container: nosuch")


def test_list_all_limit_before_since(daemon):
    cl = daemon.client
    first = cl.containers.create("busybox", ["true"], name="first")
    second = cl.containers.run("busybox", ["true"], name="second", detach=True)
    second.wait()
    third = cl.containers.run("busybox", ["sleep", "100"], name="third", detach=True)
    assert names(cl.containers.list()) == ["third"]  # running only
    assert names(cl.containers.list(all=True)) == ["third", "second", "first"]  # newest first
    assert names(cl.containers.list(limit=2)) == ["third", "second"]  # limit includes stopped ones
    assert names(cl.containers.list(limit=1)) == ["third"]
    assert names(cl.containers.list(before="third")) == ["second", "first"]
    assert names(cl.containers.list(before=second.id)) == ["first"]
    assert names(cl.containers.list(since="first")) == ["third", "second"]
    assert names(cl.containers.list(since=second.id[:12])) == ["third"]
    assert names(cl.containers.list(all=True, filters={"before": "third", "since": "first"})) == ["second"]
    assert first.id and third.id


def test_list_filters(daemon):
    cl = daemon.client
    created = cl.containers.create("busybox", ["true"], name="f-created", labels={"k": "1"})
    exited = cl.containers.run("busybox", ["sh", "-c", "exit 3"], name="f-exited", labels={"k": "2", "o": ""},
                               detach=True)
    exited.wait()
    ok = cl.containers.run("busybox", ["true"], name="f-ok", detach=True)
    ok.wait()
    running = cl.containers.run("busybox", ["sleep", "100"], name="f-running", detach=True)

    def ls(**filters):
        return sorted(names(cl.containers.list(all=True, filters=filters)))

    assert ls(status="running") == ["f-running"]
    assert ls(status="exited") == ["f-exited", "f-ok"]
    assert ls(status="created") == ["f-created"]
    assert ls(status=["created", "running"]) == ["f-created", "f-running"]
    assert ls(exited=3) == ["f-exited"]
    assert ls(exited=0) == ["f-ok"]
    assert ls(label="k") == ["f-created", "f-exited"]
    assert ls(label="k=2") == ["f-exited"]
    assert ls(label=["k", "o"]) == ["f-exited"]  # every label must match
    assert ls(label="k=3") == []
    assert ls(id=exited.id) == ["f-exited"]
    assert ls(id=running.id[:10]) == ["f-running"]
    assert ls(name="f-ok") == ["f-ok"]
    assert ls(name="^/f-(ok|created)$") == ["f-created", "f-ok"]
    assert ls(name="f-") == ["f-created", "f-exited", "f-ok", "f-running"]
    img = cl.images.get("busybox")
    for ref in ("busybox", "busybox:latest", img.id, img.id.split(":")[1][:12]):
        assert len(ls(ancestor=ref)) == 4, ref
    assert ls(ancestor="nosuchimage") == []
    # without all=True a filter still sees only running ones, unless it asks for status
    assert sorted(names(cl.containers.list(filters={"label": "k"}))) == []
    for bad in ({"bogus": "x"}, {"status": "sleeping"}):
        with pytest.raises(docker.errors.APIError) as e:
            cl.containers.list(all=True, filters=bad)
        assert e.value.response.status_code == 400, bad
    assert created.id


def test_list_sparse(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sleep", "100"], name="sparse1", labels={"a": "b"}, detach=True)
    (s,) = cl.containers.list(sparse=True)
    assert s.id == c.id
    assert s.attrs["Names"] == ["/sparse1"] and s.attrs["Image"] == "busybox"
    assert s.attrs["State"] == "running" and s.status == "running"
    assert s.attrs["Labels"] == {"a": "b"}
    assert s.attrs["Command"] == "sleep 100"
    assert s.attrs["Status"].startswith("Up")
    assert "Config" not in s.attrs  # sparse: not inspected
    s.reload()
    assert s.name == "sparse1" and s.attrs["Config"]["Cmd"] == ["sleep", "100"]


def test_list_ignore_removed(daemon, monkeypatch):
    """A container removed (here by the berth CLI on the same root) between
    the list and docker-py's inspect of it: NotFound, or skipped with
    ignore_removed=True."""
    cl = daemon.client
    keep = cl.containers.run("busybox", ["sleep", "100"], name="keep", detach=True)
    real = cl.api.containers
    victim = {}

    def racing(*args, **kwargs):
        listed = real(*args, **kwargs)
        daemon.berth("rm", "-f", victim["name"])
        return listed

    monkeypatch.setattr(cl.api, "containers", racing)
    victim["name"] = cl.containers.create("busybox", ["true"], name="victim1").name
    with pytest.raises(docker.errors.NotFound):
        cl.containers.list(all=True)
    victim["name"] = cl.containers.create("busybox", ["true"], name="victim2").name
    assert [c.id for c in cl.containers.list(all=True, ignore_removed=True)] == [keep.id]


def test_prune_with_label_and_until(daemon):
    cl = daemon.client
    old = cl.containers.run("busybox", ["true"], labels={"age": "old"}, detach=True)
    old.wait()
    # "until" has a resolution of seconds: a whole second after old's creation
    cut = int(rfc3339_seconds(old.attrs["Created"])) + 1
    while time.time() < cut + 0.1:
        time.sleep(0.05)
    new = cl.containers.run("busybox", ["true"], labels={"age": "new"}, detach=True)
    new.wait()
    created = cl.containers.create("busybox", ["true"], labels={"age": "new", "keep": "yes"})
    running = cl.containers.run("busybox", ["sleep", "100"], labels={"age": "old"}, detach=True)

    report = cl.containers.prune(filters={"until": cut})
    assert report["ContainersDeleted"] == [old.id] and report["SpaceReclaimed"] >= 0
    report = cl.containers.prune(filters={"label": "keep=yes"})
    assert report["ContainersDeleted"] == [created.id]
    report = cl.containers.prune(filters={"label": "age=old"})
    assert not report["ContainersDeleted"]  # the running one stays
    report = cl.containers.prune()
    assert report["ContainersDeleted"] == [new.id]
    assert [c.id for c in cl.containers.list(all=True)] == [running.id]
    with pytest.raises(docker.errors.APIError) as e:
        cl.containers.prune(filters={"bogus": "1"})
    assert e.value.response.status_code == 400


# ---- Container: properties and attrs ---------------------------------------

def test_container_properties_and_inspect_shape(daemon):
    cl = daemon.client
    img = cl.images.get("busybox")
    c = cl.containers.create("busybox", ["sh", "-c", "echo hi; sleep 100"], name="props", labels={"l": "v"})
    assert c.name == "props" and ID64.match(c.id)
    assert c.short_id == c.id[:len(c.short_id)] and len(c.short_id) >= 10
    assert c.image.id == img.id and c.image.tags == ["busybox:latest"]
    assert c.labels == {"l": "v"}
    assert c.status == "created"
    assert c.ports == {}
    a = c.attrs
    assert a["Id"] == c.id and a["Name"] == "/props"
    assert a["Path"] == "sh" and a["Args"] == ["-c", "echo hi; sleep 100"]
    assert a["Image"] == img.id
    assert a["Driver"] == "overlay2" and a["Platform"] == "linux" and a["RestartCount"] == 0
    rfc3339_seconds(a["Created"])
    st = a["State"]
    for key in ("Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode", "Error",
                "StartedAt", "FinishedAt"):
        assert key in st, key
    assert st["Status"] == "created" and st["Running"] is False and st["Pid"] == 0
    cfg = a["Config"]
    assert cfg["Image"] == "busybox" and cfg["Cmd"] == ["sh", "-c", "echo hi; sleep 100"]
    assert cfg["Labels"] == {"l": "v"} and cfg["Tty"] is False
    assert a["HostConfig"]["LogConfig"]["Type"] == "json-file"  # what makes run() return output
    assert isinstance(a["Mounts"], list)
    ns = a["NetworkSettings"]
    assert "Ports" in ns and "Networks" in ns

    c.start()
    c.reload()
    st = c.attrs["State"]
    assert c.status == "running" and st["Running"] is True and pid_alive(st["Pid"])
    started = rfc3339_seconds(st["StartedAt"])
    c.kill()
    c.wait()
    c.reload()
    st = c.attrs["State"]
    assert c.status == "exited" and st["ExitCode"] == 137 and st["Pid"] == 0
    assert rfc3339_seconds(st["FinishedAt"]) >= started


def test_reload_sees_changes_made_elsewhere(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sleep", "100"], name="reloaded", detach=True)
    assert c.status == "created"  # docker-py's run(detach=True) returns the object made before the start
    c.reload()
    assert c.status == "running"
    daemon.berth("kill", "reloaded")  # another client
    daemon.berth("rename", "reloaded", "renamed")
    assert c.status == "running" and c.name == "reloaded"  # cached until reload
    c.reload()
    assert c.status == "exited" and c.name == "renamed"
    assert c.attrs["State"]["ExitCode"] == 137


# ---- lifecycle -------------------------------------------------------------

def test_stop_exit_codes(daemon):
    cl = daemon.client
    # ignores SIGTERM: killed after the timeout
    deaf = cl.containers.run("busybox", trap_script("trap '' TERM"), detach=True)
    # exits on SIGTERM through its trap
    polite = cl.containers.run("busybox", trap_script("trap 'echo bye; exit 143' TERM"), detach=True)
    wait_ready(deaf)
    wait_ready(polite)
    deaf.stop(timeout=1)
    assert deaf.wait()["StatusCode"] == 137
    polite.stop(timeout=30)
    assert polite.wait()["StatusCode"] == 143
    assert polite.logs() == b"ready\nbye\n"
    polite.reload()
    assert polite.status == "exited" and polite.attrs["State"]["ExitCode"] == 143
    polite.stop()  # stopping a stopped container is no error (304)
    polite.start()
    polite.start()  # nor is starting a started one
    polite.reload()
    assert polite.status == "running"


def test_kill_default_and_with_a_signal(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", trap_script("trap 'echo got USR1' USR1"), detach=True)
    wait_ready(c)
    c.kill(signal="SIGUSR1")
    wait_for(lambda: c.logs() == b"ready\ngot USR1\n", what="the trap's output")
    c.reload()
    assert c.status == "running"  # USR1 was handled, not fatal
    # by name without SIG, and by number; one at a time (pending signals merge)
    for n, sig in enumerate(("USR1", 10), start=2):
        c.kill(signal=sig)
        wait_for(lambda: c.logs().count(b"got USR1") == n, what=f"USR1 sent as {sig!r}")
    c.kill()
    assert c.wait()["StatusCode"] == 137
    with pytest.raises(docker.errors.APIError) as e:
        c.kill()
    assert e.value.response.status_code == 409 and "is not running" in e.value.explanation
    d = cl.containers.run("busybox", ["sleep", "100"], detach=True)
    with pytest.raises(docker.errors.APIError) as e:
        d.kill(signal="SIGBOGUS")
    assert e.value.response.status_code == 400
    d.reload()
    assert d.status == "running"


def test_wait_conditions(daemon):
    cl = daemon.client
    # no condition
    c = cl.containers.run("busybox", ["sh", "-c", "sleep 0.3; exit 6"], detach=True)
    assert c.wait() == {"Error": None, "StatusCode": 6}
    # a created container is not running: the default wait returns at once
    assert cl.containers.create("busybox", ["true"]).wait()["StatusCode"] == 0

    # next-exit, registered before the start, from another thread
    nx = cl.containers.create("busybox", ["sh", "-c", "sleep 0.2; exit 5"])
    result = {}
    t = threading.Thread(target=lambda: result.update(nx.wait(condition="next-exit")), daemon=True)
    t.start()
    time.sleep(0.5)
    assert t.is_alive(), f"next-exit answered before any exit: {result}"
    nx.start()
    t.join(20)
    assert not t.is_alive() and result["StatusCode"] == 5

    # removed, with an auto-remove container
    ar = cl.containers.run("busybox", ["sh", "-c", "sleep 0.3; exit 4"], detach=True, auto_remove=True)
    assert ar.wait(condition="removed")["StatusCode"] == 4
    with pytest.raises(docker.errors.NotFound):
        ar.reload()

    with pytest.raises(docker.errors.APIError) as e:
        c.wait(condition="bogus")
    assert e.value.response.status_code == 400

    # timeout: docker-py's request times out, the daemon stays fine
    slow = cl.containers.run("busybox", ["sleep", "100"], detach=True)
    with pytest.raises((requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        slow.wait(timeout=1)
    slow.kill()
    assert slow.wait(timeout=30)["StatusCode"] == 137


LOG_SCRIPT = "for i in 1 2 3; do echo out$i; sleep 0.05; echo err$i >&2; sleep 0.05; done"


def test_logs_streams_tail_and_timestamps(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", LOG_SCRIPT], detach=True)
    assert c.wait()["StatusCode"] == 0
    both = b"out1\nerr1\nout2\nerr2\nout3\nerr3\n"
    assert c.logs() == both
    assert c.logs(stdout=True, stderr=False) == b"out1\nout2\nout3\n"
    assert c.logs(stdout=False, stderr=True) == b"err1\nerr2\nerr3\n"
    assert c.logs(tail=2) == b"out3\nerr3\n"
    assert c.logs(tail=1, stdout=False) == b"err3\n"
    assert c.logs(tail=0) == b""
    assert c.logs(tail="all") == both
    assert c.logs(tail=100) == both

    s = c.logs(stream=True)  # follow=False: ends with the log
    assert b"".join(s) == both
    s.close()

    lines = c.logs(timestamps=True).splitlines()
    assert [TS_LINE.match(line).group(3) for line in lines] == both.splitlines()
    times = [ts_seconds(line) for line in lines]
    assert times == sorted(times)
    c.reload()
    start = rfc3339_seconds(c.attrs["State"]["StartedAt"])
    end = rfc3339_seconds(c.attrs["State"]["FinishedAt"])
    assert start - 1 <= times[0] and times[-1] <= end + 1, (start, times, end)
    # timestamps with tail and one stream
    (last,) = c.logs(timestamps=True, tail=1, stdout=False).splitlines()
    assert last == lines[-1]


def test_logs_of_a_tty_container_are_raw(daemon):
    c = daemon.client.containers.run("busybox", ["sh", "-c", "echo one; echo two >&2"], tty=True, detach=True)
    c.wait()
    assert c.logs() == b"one\r\ntwo\r\n"


def test_logs_since_and_until(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo first; sleep 1.2; echo second"], detach=True)
    c.wait()
    t1, t2 = [ts_seconds(line) for line in c.logs(timestamps=True).splitlines()]
    boundary = int(t1) + 1  # a whole second strictly between the two lines
    assert t1 < boundary < t2
    assert c.logs(since=boundary) == b"second\n"
    assert c.logs(until=boundary) == b"first\n"
    dt = datetime.datetime.utcfromtimestamp(boundary)  # docker-py 5 reads naive datetimes as UTC
    assert c.logs(since=dt) == b"second\n"
    assert c.logs(until=dt) == b"first\n"
    assert c.logs(since=int(t1) - 5) == b"first\nsecond\n"
    assert c.logs(until=int(t2) + 5) == b"first\nsecond\n"
    assert c.logs(since=int(t2) + 5) == b""
    assert c.logs(until=int(t1) - 5) == b""
    assert c.logs(since=boundary, until=boundary + 60, timestamps=True).endswith(b" second\n")


def test_logs_follow_streams_lines_as_they_are_written(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "i=0; while true; do i=$((i+1)); echo line$i; sleep 0.3; done"],
                          detach=True)
    stream = c.logs(stream=True, follow=True)
    chunks, t = drain_in_thread(stream)
    try:
        wait_for(lambda: len(chunks) >= 2, what="two followed lines")
        assert chunks[:2] == [b"line1\n", b"line2\n"]
        c.reload()
        assert c.status == "running"  # read while the container is still writing
        c.kill()
        t.join(20)
        assert not t.is_alive(), "follow did not end when the container exited"
        assert all(isinstance(x, bytes) for x in chunks), chunks
        got = b"".join(chunks).decode().split()
        assert got == [f"line{i}" for i in range(1, len(got) + 1)]
    finally:
        stream.close()


def test_remove_force_and_conflict(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sleep", "100"], name="busy", detach=True)
    with pytest.raises(docker.errors.APIError) as e:
        c.remove()
    status, msg = api_error(e)
    assert status == 409 and "running" in msg and "force" in msg
    c.reload()
    assert c.status == "running"
    pid = c.attrs["State"]["Pid"]
    c.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        cl.containers.get("busy")
    wait_for(lambda: not pid_alive(pid), what="the removed container's process to end")
    s = cl.containers.run("busybox", ["true"], detach=True)
    s.wait()
    s.remove(v=True)
    assert cl.containers.list(all=True) == []
    with pytest.raises(docker.errors.NotFound) as e:
        s.remove()
    assert e.value.response.status_code == 404


def test_rename(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sleep", "100"], name="before", detach=True)
    other = cl.containers.create("busybox", ["true"], name="taken")
    c.rename("after")
    c.reload()
    assert c.name == "after" and c.status == "running"
    assert cl.containers.get("after").id == c.id
    with pytest.raises(docker.errors.NotFound):
        cl.containers.get("before")
    assert names(cl.containers.list(filters={"name": "after"})) == ["after"]
    with pytest.raises(docker.errors.APIError) as e:
        c.rename("taken")
    assert api_error(e) == (409, f'Conflict. The container name "/taken" is already in use by container '
                                 f'"{other.id}". You have to remove (or rename) that container to be able '
                                 f'to reuse that name.')
    with pytest.raises(docker.errors.APIError) as e:
        c.rename("bad name!")
    assert e.value.response.status_code == 400
    c.reload()
    assert c.name == "after"


def test_restart(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo started; sleep 100"], detach=True)
    wait_for(lambda: c.logs() == b"started\n", what="the first start")
    c.reload()
    pid1, started1 = c.attrs["State"]["Pid"], c.attrs["State"]["StartedAt"]
    c.restart(timeout=0)
    wait_for(lambda: c.logs() == b"started\nstarted\n", what="the second start")
    c.reload()
    assert c.status == "running"
    assert c.attrs["State"]["Pid"] not in (0, pid1) and c.attrs["State"]["StartedAt"] != started1
    assert not pid_alive(pid1)
    # restart of an exited container starts it
    e = cl.containers.run("busybox", ["echo", "again"], detach=True)
    e.wait()
    e.restart()
    e.wait()
    assert e.logs() == b"again\nagain\n"


def test_pause_unpause_freezes_processes(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done"],
                          detach=True)
    wait_for(lambda: len(c.logs().split()) >= 3, what="the counter to run")
    c.pause()
    c.reload()
    assert c.status == "paused" and c.attrs["State"]["Paused"] is True and c.attrs["State"]["Running"] is True
    assert names(cl.containers.list(filters={"status": "paused"})) == [c.name]
    n = len(c.logs().split())
    time.sleep(0.5)
    assert len(c.logs().split()) == n, "a paused container's counter moved"
    with pytest.raises(docker.errors.APIError) as e:
        c.pause()
    assert e.value.response.status_code == 409
    c.unpause()
    c.reload()
    assert c.status == "running" and c.attrs["State"]["Paused"] is False
    wait_for(lambda: len(c.logs().split()) > n + 2, what="the counter to move again")
    with pytest.raises(docker.errors.APIError) as e:
        c.unpause()
    assert e.value.response.status_code == 409
    c.pause()
    c.remove(force=True)  # a paused container can be removed by force
    with pytest.raises(docker.errors.NotFound):
        c.reload()


def test_attach_stream_receives_live_output(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", trap_script("trap 'echo got; echo on-stderr >&2; exit 0' USR1"), detach=True)
    wait_ready(c)
    stream = c.attach(stream=True, logs=False)
    chunks, t = drain_in_thread(stream)
    try:
        c.kill(signal="SIGUSR1")  # only now does it write
        t.join(20)
        assert not t.is_alive(), "the attach stream did not end with the container"
        assert b"".join(chunks) == b"got\non-stderr\n"
        assert c.wait()["StatusCode"] == 0
    finally:
        stream.close()


def test_attach_with_logs_replays_earlier_output(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo early; while true; do sleep 0.1; echo tick; done"],
                          detach=True)
    wait_for(lambda: c.logs().startswith(b"early\n"), what="the first line")
    firsts = []
    for _ in range(30):
        stream = c.attach(stream=True, logs=True)
        try:
            firsts.append(next(stream))  # the first tick comes within 0.1 s if the replay is lost
        finally:
            stream.close()
        if not firsts[-1].startswith(b"early\n"):
            break
    assert all(f.startswith(b"early\n") for f in firsts), \
        f"attempt {len(firsts)}: the replayed log was lost, first chunk {firsts[-1]!r}"


# ---- images ----------------------------------------------------------------

def test_images_list_get_tag_remove(daemon):
    cl = daemon.client
    (img,) = cl.images.list()
    assert img.tags == ["busybox:latest"] and img.id.startswith("sha256:")
    assert cl.images.get("busybox").id == img.id
    assert cl.images.get(img.id).id == img.id
    assert cl.images.get(img.id.split(":")[1][:12]).id == img.id
    assert img.tag("myrepo/bb", "v1") is True
    assert cl.images.get("myrepo/bb:v1").id == img.id
    assert sorted(cl.images.get("busybox").tags) == ["busybox:latest", "myrepo/bb:v1"]
    assert [i.id for i in cl.images.list(name="myrepo/bb")] == [img.id]
    assert cl.images.list(name="nosuchrepo") == []
    # the new name runs containers
    assert cl.containers.run("myrepo/bb:v1", ["echo", "tagged"], remove=True) == b"tagged\n"
    cl.images.remove("myrepo/bb:v1")
    with pytest.raises(docker.errors.ImageNotFound) as e:
        cl.images.get("myrepo/bb:v1")
    assert e.value.response.status_code == 404
    assert cl.images.get("busybox").tags == ["busybox:latest"]
    with pytest.raises(docker.errors.ImageNotFound):
        cl.images.remove("myrepo/bb:v1")
    # in use by a container: refused without force
    cl.containers.create("busybox", ["true"])
    with pytest.raises(docker.errors.APIError) as e:
        cl.images.remove("busybox")
    assert e.value.response.status_code == 409
    assert cl.images.get("busybox").id == img.id


def test_image_save_and_load_round_trip(daemon):
    cl = daemon.client
    img = cl.images.get("busybox")
    data = b"".join(img.save(named="busybox:latest"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["busybox:latest"]
    cl.images.remove("busybox")
    assert cl.images.list() == []
    (loaded,) = cl.images.load(data)
    assert loaded.id == img.id and loaded.tags == ["busybox:latest"]
    assert cl.containers.run("busybox", ["echo", "reloaded"], remove=True) == b"reloaded\n"
    # an archive written by `berth save` loads through the API too
    path = os.path.join(daemon.base, "cli-save.tar")
    daemon.berth("tag", "busybox", "fromcli:1")
    daemon.berth("save", "-o", path, "fromcli:1")
    daemon.berth("rmi", "fromcli:1")
    with open(path, "rb") as f:
        (loaded,) = cl.images.load(f.read())
    assert "fromcli:1" in loaded.tags and loaded.id == img.id
    with pytest.raises(docker.errors.ImageLoadError):
        cl.images.load(b"not a tar archive")


def test_images_load_of_an_archive_with_two_images(daemon):
    cl = daemon.client
    daemon.berth("tag", "busybox", "second:1")
    path = os.path.join(daemon.base, "two.tar")
    daemon.berth("save", "-o", path, "busybox", "second:1")
    daemon.berth("rmi", "second:1")
    with open(path, "rb") as f:
        loaded = cl.images.load(f.read())
    # one "Loaded image" line per name; both name the same image here
    assert len(loaded) == 2 and loaded[0].id == loaded[1].id
    assert sorted(loaded[0].tags) == ["busybox:latest", "second:1"]


def test_images_pull_fails_cleanly(daemon):
    cl = daemon.client
    with pytest.raises((docker.errors.ImageNotFound, docker.errors.APIError)):
        cl.images.pull("nosuchimage", tag="1.0")
    with pytest.raises((docker.errors.ImageNotFound, docker.errors.APIError)):
        cl.images.pull("example.invalid/some/image")
    assert cl.ping() is True
    assert [i.tags for i in cl.images.list()] == [["busybox:latest"]]


def test_low_level_pull_reports_the_error_in_the_stream(daemon):
    lines = list(daemon.client.api.pull("nosuchimage", tag="latest", stream=True, decode=True))
    assert any("errorDetail" in line for line in lines), lines


# ---- errors ----------------------------------------------------------------

def test_errors_carry_dockers_messages_and_status_codes(daemon):
    cl = daemon.client
    api = cl.api
    for call in (api.inspect_container, api.start, api.stop, api.kill, api.restart, api.pause, api.unpause,
                 api.remove_container, api.wait, lambda x: api.rename(x, "newname")):
        with pytest.raises(docker.errors.NotFound) as e:
            call("nosuch")
        assert api_error(e) == (404, "No such container: nosuch"), call
    with pytest.raises(docker.errors.ImageNotFound) as e:
        cl.images.get("nosuch:1.0")
    assert api_error(e) == (404, "No such image: nosuch:1.0")

    first = cl.containers.create("busybox", ["true"], name="dup")
    with pytest.raises(docker.errors.APIError) as e:
        cl.containers.create("busybox", ["true"], name="dup")
    assert api_error(e) == (409, f'Conflict. The container name "/dup" is already in use by container '
                                 f'"{first.id}". You have to remove (or rename) that container to be able '
                                 f'to reuse that name.')
    with pytest.raises(docker.errors.APIError) as e:
        cl.containers.create("busybox", ["true"], name="x")
    status, msg = api_error(e)
    assert status == 400 and msg.startswith("Invalid container name (x)")
    assert [c.id for c in cl.containers.list(all=True)] == [first.id]  # nothing else was made
    assert cl.ping() is True


def test_missing_image_message_names_the_default_tag(daemon):
    with pytest.raises(docker.errors.ImageNotFound) as e:
        daemon.client.images.get("nosuch")
    assert api_error(e) == (404, "No such image: nosuch:latest")


# ---- docker-py 7.1.0 -------------------------------------------------------

def _py7():
    """An interpreter with docker-py 7 (the pyenv python3 on PATH), or skip."""
    candidates = []
    for c in [shutil.which("python3")] + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3"))):
        if c and c not in candidates:
            candidates.append(c)
    seen = []
    for c in candidates:
        try:
            p = subprocess.run([c, "-c", "import docker; print(docker.__version__)"], capture_output=True,
                               text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            seen.append(f"{c}: {e}")
            continue
        version = p.stdout.strip()
        if p.returncode == 0 and version.startswith("7."):
            return c
        seen.append(f"{c}: {version or p.stderr.strip().splitlines()[-1:]}")
    pytest.skip("no python3 with docker-py 7 found: " + "; ".join(seen))


@pytest.fixture(scope="module")
def py7():
    return _py7()


def run_py7(py7, daemon, script):
    p = subprocess.run([py7, "-c", textwrap.dedent(script), daemon.url], capture_output=True, text=True,
                       timeout=90)
    assert p.returncode == 0, f"docker-py 7 script failed:\n{p.stdout}\n{p.stderr}"
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_dockerpy7_run_detach_logs_wait_remove_list(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        C = cl.containers
        r = {"version": docker.__version__, "api": cl.api._version}
        r["fg"] = C.run("busybox", ["sh", "-c", "echo hello; echo err >&2"], remove=True, stderr=True).decode()
        r["stream"] = [x.decode() for x in C.run("busybox", ["sh", "-c", "echo a; sleep 0.2; echo b"],
                                                 stream=True, remove=True)]
        d = C.run("busybox", ["sh", "-c", "echo one; sleep 0.1; echo two >&2; exit 7"], detach=True,
                  name="py7", labels={"via": "seven"})
        r["wait"] = d.wait()
        r["logs"] = d.logs().decode()
        r["logs_err"] = d.logs(stdout=False).decode()
        r["tail"] = d.logs(tail=1).decode()
        r["ts"] = d.logs(timestamps=True).decode()
        long = C.run("busybox", ["sleep", "100"], detach=True, name="py7-long")
        r["list"] = [x.name for x in C.list()]
        r["list_all"] = [x.name for x in C.list(all=True)]
        r["by_label"] = [x.name for x in C.list(all=True, filters={"label": "via=seven"})]
        r["exited7"] = [x.name for x in C.list(all=True, filters={"exited": 7})]
        r["limit"] = [x.name for x in C.list(limit=1)]
        r["prefix"] = C.get(d.id[:8]).name
        r["status"] = C.get("py7").status
        long.stop(timeout=1)
        r["stopped"] = long.wait()["StatusCode"]
        try:
            C.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
        except docker.errors.ContainerError as e:
            r["cerr"] = [e.exit_status, e.stderr.decode()]
        try:
            C.get("nosuch")
        except docker.errors.NotFound as e:
            r["notfound"] = [e.response.status_code, e.explanation]
        try:
            C.create("busybox", ["true"], name="py7")
        except docker.errors.APIError as e:
            r["conflict"] = [e.response.status_code, e.explanation]
        try:
            C.run("nosuchimage", ["true"])
        except docker.errors.ImageNotFound as e:
            r["noimage"] = e.response.status_code
        d.remove()
        long.remove()
        r["after"] = [x.name for x in C.list(all=True)]
        print(json.dumps(r))
    """)
    assert r["version"].startswith("7.") and r["api"] == "1.44"
    assert r["fg"] == "hello\nerr\n"
    assert r["stream"] == ["a\n", "b\n"]
    assert r["wait"] == {"Error": None, "StatusCode": 7}
    assert r["logs"] == "one\ntwo\n" and r["logs_err"] == "two\n" and r["tail"] == "two\n"
    ts = r["ts"].encode().splitlines()
    assert [TS_LINE.match(line).group(3) for line in ts] == [b"one", b"two"]
    assert r["list"] == ["py7-long"] and r["list_all"] == ["py7-long", "py7"]
    assert r["by_label"] == ["py7"] and r["exited7"] == ["py7"] and r["limit"] == ["py7-long"]
    assert r["prefix"] == "py7" and r["status"] == "exited"
    assert r["stopped"] == 137
    assert r["cerr"] == [3, "bad\n"]
    assert r["notfound"] == [404, "No such container: nosuch"]
    assert r["conflict"][0] == 409 and r["conflict"][1].startswith('Conflict. The container name "/py7" is already')
    assert r["noimage"] == 404
    assert r["after"] == []


def test_dockerpy7_follow_kill_wait_pause_prune(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys, threading, time
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        C = cl.containers
        r = {}
        c = C.run("busybox", ["sh", "-c", "trap 'echo usr1' USR1; i=0; while true; do i=$((i+1)); "
                                          "echo n$i; sleep 0.3; done"], detach=True)
        s = c.logs(stream=True, follow=True)
        r["first"] = next(s).decode()
        c.reload()
        r["running_after_first"] = c.status
        c.pause()
        c.reload()
        r["paused"] = c.status
        c.unpause()
        c.kill(signal="SIGUSR1")
        rest = []
        for chunk in s:
            rest.append(chunk.decode())
            if "usr1" in chunk.decode():
                break
        r["saw_usr1"] = any("usr1" in x for x in rest)
        c.kill()
        r["killed"] = c.wait()["StatusCode"]
        s.close()
        nx = C.create("busybox", ["sh", "-c", "sleep 0.2; exit 9"])
        out = {}
        t = threading.Thread(target=lambda: out.update(nx.wait(condition="next-exit")))
        t.start()
        time.sleep(0.5)
        r["early"] = not t.is_alive()
        nx.start()
        t.join(20)
        r["next_exit"] = out.get("StatusCode")
        ar = C.run("busybox", ["sh", "-c", "sleep 0.3; exit 2"], detach=True, auto_remove=True)
        r["removed"] = ar.wait(condition="removed")["StatusCode"]
        C.run("busybox", ["true"], detach=True, labels={"p": "1"}).wait()
        r["prune"] = len(C.prune(filters={"label": "p=1"})["ContainersDeleted"] or [])
        r["left"] = sorted(x.id for x in C.list(all=True))
        r["expected_left"] = sorted([c.id, nx.id])
        print(json.dumps(r))
    """)
    assert r["first"] == "n1\n" and r["running_after_first"] == "running"
    assert r["paused"] == "paused" and r["saw_usr1"] is True and r["killed"] == 137
    assert r["early"] is False and r["next_exit"] == 9
    assert r["removed"] == 2
    assert r["prune"] == 1 and r["left"] == r["expected_left"]


def test_dockerpy7_images(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        r = {}
        img = cl.images.get("busybox")
        r["list"] = [i.tags for i in cl.images.list()]
        img.tag("seven", "1")
        r["tagged"] = sorted(cl.images.get(img.id).tags)
        data = b"".join(cl.images.get("seven:1").save(named="seven:1"))
        cl.images.remove("seven:1")
        r["after_rm"] = sorted(cl.images.get(img.id).tags)
        r["loaded"] = [i.tags for i in cl.images.load(data)]
        try:
            cl.images.pull("nosuchimage", tag="2")
            r["pull"] = "no error"
        except docker.errors.ImageNotFound:
            r["pull"] = "ImageNotFound"
        except docker.errors.APIError as e:
            r["pull"] = "APIError %d" % e.response.status_code
        print(json.dumps(r))
    """)
    assert r["list"] == [["busybox:latest"]]
    assert r["tagged"] == ["busybox:latest", "seven:1"]
    assert r["after_rm"] == ["busybox:latest"]
    assert r["loaded"] == [["busybox:latest", "seven:1"]] or r["loaded"] == [["seven:1", "busybox:latest"]]
    assert r["pull"] in ("ImageNotFound", "APIError 404", "APIError 500", "APIError 400")


def test_dockerpy7_attach_with_logs(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys, time
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        c = cl.containers.run("busybox", ["sh", "-c", "echo early; while true; do sleep 0.1; echo tick; done"],
                              detach=True)
        while not c.logs().startswith(b"early"):
            time.sleep(0.05)
        firsts = []
        for _ in range(30):
            s = c.attach(stream=True, logs=True)
            firsts.append(next(s).decode())
            s.close()
            if not firsts[-1].startswith("early"):
                break
        c.remove(force=True)
        print(json.dumps(firsts))
    """)
    assert all(f.startswith("early\n") for f in r), [f[:20] for f in r]
