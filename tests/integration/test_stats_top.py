"""Container stats and top through berthd (docker-py 5.0.3 and 7.1.0, the
docker CLI) and the berth CLI: the documents' keys and values read from the
container's cgroup (memory it holds, processes it runs, CPU it burns), the
stream's samples chained through precpu_stats, one-shot, the zeroed
document of a stopped container, top's rows (the container's processes,
never the host's) with the default and custom ps arguments, and the
errors (unknown container 404, top of a stopped container 409, bad ps
arguments 500 with ps's message)."""
import json
import os
import re

import docker
import pytest

from test_dockerpy import py7, run_py7, wait_for  # noqa: F401 (py7 is a fixture)

ZERO_TIME = "0001-01-01T00:00:00Z"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# three processes: the shell and two sleeps
THREE_PROCS = ["sh", "-c", "sleep 1000 & sleep 1001 & wait"]
# 24 MiB in a tmpfs file: memory charged to the container's cgroup (shmem,
# never "inactive file" cache that stats leave out)
HOLD_24M = ["sh", "-c", "head -c 25165824 /dev/zero > /dev/shm/f; exec sleep 1000"]
BURN = ["sh", "-c", "while :; do :; done"]


def api_error(excinfo):
    e = excinfo.value
    return e.response.status_code, e.explanation


def cpu_total(doc, key="cpu_stats"):
    return doc[key]["cpu_usage"]["total_usage"]


def check_running_doc(doc, container):
    assert doc["id"] == container.id
    assert doc["name"] == "/" + container.name
    assert RFC3339.match(doc["read"]) and doc["read"] != ZERO_TIME
    cpu = doc["cpu_stats"]
    assert cpu["cpu_usage"]["total_usage"] > 0
    assert cpu["system_cpu_usage"] > 0
    assert cpu["online_cpus"] == os.cpu_count()
    assert set(cpu["throttling_data"]) == {"periods", "throttled_periods", "throttled_time"}
    assert {"usage_in_kernelmode", "usage_in_usermode"} <= set(cpu["cpu_usage"])
    mem = doc["memory_stats"]
    assert mem["usage"] > 0
    with open("/proc/meminfo") as f:
        host_mem = int(f.readline().split()[1]) * 1024
    # no limit set: the host's memory, as Docker reports it
    assert mem["limit"] == host_mem
    assert isinstance(mem["stats"], dict) and mem["stats"]
    assert "io_service_bytes_recursive" in doc["blkio_stats"]
    assert doc["num_procs"] == 0


def test_stats_not_streamed(daemon):
    c = daemon.client.containers.run("busybox", THREE_PROCS, detach=True, name="three")
    wait_for(lambda: len(c.top()["Processes"]) == 3, what="three processes")
    doc = c.stats(stream=False)
    check_running_doc(doc, c)
    assert doc["pids_stats"]["current"] == 3
    # a second sample was taken: precpu is the first one, a second earlier
    assert doc["preread"] != ZERO_TIME
    assert doc["precpu_stats"]["system_cpu_usage"] < doc["cpu_stats"]["system_cpu_usage"]
    assert cpu_total(doc, "precpu_stats") <= cpu_total(doc)
    # the container has no network of its own: no interfaces but loopback
    assert "networks" not in doc


def test_stats_memory_held(daemon):
    c = daemon.client.containers.run("busybox", HOLD_24M, detach=True)
    wait_for(lambda: any("sleep" in p[-1] for p in c.top()["Processes"]), what="the file written")
    doc = c.stats(stream=False)
    assert doc["memory_stats"]["usage"] >= 24 << 20
    # and the docker CLI shows it
    out = daemon.docker("stats", "--no-stream", c.id).stdout
    row = out.splitlines()[1]
    m = re.search(r"([\d.]+)MiB / ([\d.]+)GiB\s+([\d.]+)%", row)
    assert m, out
    assert 24 <= float(m.group(1)) < 100


def test_stats_cpu_grows_while_burning(daemon):
    c = daemon.client.containers.run("busybox", BURN, detach=True, name="burn")
    first = c.stats(stream=False)
    second = c.stats(stream=False)
    assert cpu_total(second) > cpu_total(first)
    # a second of burning between precpu and cpu
    assert cpu_total(second) > cpu_total(second, "precpu_stats")
    out = daemon.docker("stats", "--no-stream", "burn").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/",
                                "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    fields = lines[1].split()
    assert fields[0] == c.id[:12] and fields[1] == "burn"
    assert float(fields[2].rstrip("%")) > 1.0, out
    assert fields[-1] == "1"  # the shell looping: one process


def test_stats_stream_chains_samples(daemon):
    c = daemon.client.containers.run("busybox", BURN, detach=True)
    samples = []
    stream = c.stats(stream=True, decode=True)
    for doc in stream:
        samples.append(doc)
        if len(samples) == 3:
            break
    stream.close()
    for doc in samples:
        check_running_doc(doc, c)
    # the first has no previous sample
    assert samples[0]["preread"] == ZERO_TIME
    assert cpu_total(samples[0], "precpu_stats") == 0
    for prev, cur in zip(samples, samples[1:]):
        assert cur["precpu_stats"] == prev["cpu_stats"]
        assert cur["preread"] == prev["read"]
        assert cpu_total(cur) > cpu_total(prev)


def test_stats_stream_through_stop_until_removal(daemon):
    """As dockerd: a stream goes on with zeroed documents while the
    container does not run, and ends when it is removed."""
    c = daemon.client.containers.run("busybox", ["sleep", "2"], detach=True)
    running, stopped = [], []
    for doc in c.stats(stream=True, decode=True):
        assert doc["id"] == c.id
        if doc["read"] != ZERO_TIME:
            assert not stopped, "a sample of a stopped container"
            running.append(doc)
            continue
        stopped.append(doc)
        assert doc["memory_stats"] == {} and cpu_total(doc) == 0
        if len(stopped) == 2:
            c.remove()
    assert running, "no sample before the container stopped"
    assert len(stopped) == 2


def test_stats_one_shot_and_stopped(daemon):
    api = daemon.client.api
    c = daemon.client.containers.run("busybox", THREE_PROCS, detach=True)
    url = api._url("/containers/{0}/stats", c.id)
    doc = api._result(api._get(url, params={"stream": False, "one-shot": True}), json=True)
    check_running_doc(doc, c)
    assert doc["preread"] == ZERO_TIME
    assert cpu_total(doc, "precpu_stats") == 0
    # stream and one-shot together is a bad request
    r = api._get(url, params={"stream": True, "one-shot": True})
    assert r.status_code == 400
    assert "one-shot" in r.json()["message"]

    created = daemon.client.containers.create("busybox", ["true"], name="idle")
    stream = created.stats(decode=True)
    for d in (created.stats(stream=False), next(stream), next(stream)):
        assert d["id"] == created.id and d["name"] == "/idle"
        assert d["read"] == ZERO_TIME and d["preread"] == ZERO_TIME
        assert d["memory_stats"] == {} and d["pids_stats"] == {}
        assert cpu_total(d) == 0
    stream.close()
    out = daemon.docker("stats", "--no-stream", "idle").stdout
    assert out.splitlines()[1].split()[1:3] == ["idle", "0.00%"]


def test_stats_top_unknown_container(daemon):
    for fn in (lambda: daemon.client.api.stats("nosuch", stream=False),
               lambda: daemon.client.api.top("nosuch")):
        with pytest.raises(docker.errors.NotFound) as ei:
            fn()
        assert api_error(ei) == (404, "No such container: nosuch")


def host_sleep_pid():
    """The PID of the test's own host process: it must never appear in top."""
    return str(os.getpid())


def test_top_default_and_ps_args(daemon):
    c = daemon.client.containers.run("busybox", THREE_PROCS, detach=True)
    wait_for(lambda: len(c.top()["Processes"]) == 3, what="three processes")
    top = c.top()
    assert top["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    cmds = sorted(p[-1] for p in top["Processes"])
    assert cmds == ["sh -c sleep 1000 & sleep 1001 & wait", "sleep 1000", "sleep 1001"]
    pids = {p[1] for p in top["Processes"]}
    assert host_sleep_pid() not in pids
    # the container's init is the PID inspect reports
    c.reload()
    assert str(c.attrs["State"]["Pid"]) in pids
    aux = c.top(ps_args="aux")
    assert aux["Titles"][:2] == ["USER", "PID"] and aux["Titles"][-1] == "COMMAND"
    assert sorted(p[-1] for p in aux["Processes"]) == cmds
    custom = c.top(ps_args="-o pid,comm")
    assert custom["Titles"] == ["PID", "COMMAND"]
    assert sorted(p[1] for p in custom["Processes"]) == ["sh", "sleep", "sleep"]
    # the docker CLI
    out = daemon.docker("top", c.id).stdout
    assert "sleep 1000" in out and "sleep 1001" in out
    out = daemon.docker("top", c.id, "aux").stdout.splitlines()
    assert out[0].split()[:2] == ["USER", "PID"] and len(out) == 4


def test_top_errors(daemon):
    c = daemon.client.containers.create("busybox", ["true"])
    with pytest.raises(docker.errors.APIError) as ei:
        c.top()
    assert api_error(ei) == (409, f"Container {c.id} is not running")
    r = daemon.client.containers.run("busybox", ["sleep", "1000"], detach=True)
    with pytest.raises(docker.errors.APIError) as ei:
        r.top(ps_args="--no-such-option")
    status, msg = api_error(ei)
    assert status == 500 and msg.startswith("ps: ") and "option" in msg
    # output without a PID column
    with pytest.raises(docker.errors.APIError) as ei:
        r.top(ps_args="-o comm")
    assert api_error(ei) == (500, "Couldn't find PID field in ps output")
    # another column may not be called PID (moby's validatePSArgs)
    with pytest.raises(docker.errors.APIError) as ei:
        r.top(ps_args="-o comm=PID")
    assert api_error(ei) == (500, 'specifying "comm=PID" is not allowed')
    p = daemon.docker("top", c.id, check=False)
    assert p.returncode != 0 and "is not running" in p.stderr


def test_dockerpy7_stats_top(daemon, py7):  # noqa: F811 (py7 is a fixture)
    r = run_py7(py7, daemon, """
        import docker, json, sys
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        c = cl.containers.run("busybox", ["sh", "-c", "sleep 1000 & sleep 1001 & wait"],
                              detach=True, name="seven")
        import time
        while len(c.top()["Processes"]) < 3:
            time.sleep(0.05)
        r = {"version": docker.__version__}
        r["one_shot"] = c.stats(stream=False, one_shot=True)
        r["full"] = c.stats(stream=False)
        s = c.stats(decode=True)
        r["stream"] = [next(s), next(s)]
        s.close()
        r["top"] = c.top(ps_args="aux")
        print(json.dumps(r))
    """)
    assert r["version"].startswith("7.")
    one, full, stream = r["one_shot"], r["full"], r["stream"]
    assert one["name"] == "/seven" and one["preread"] == ZERO_TIME
    assert one["pids_stats"]["current"] == 3 and one["memory_stats"]["usage"] > 0
    assert full["preread"] != ZERO_TIME and full["pids_stats"]["current"] == 3
    assert stream[1]["precpu_stats"] == stream[0]["cpu_stats"]
    assert stream[1]["preread"] == stream[0]["read"]
    assert sorted(p[-1] for p in r["top"]["Processes"]) == [
        "sh -c sleep 1000 & sleep 1001 & wait", "sleep 1000", "sleep 1001"]


# ---- the berth CLI -----------------------------------------------------------

def test_cli_stats_and_top(bb):
    cid = bb.out("run", "-d", "--name", "three", "busybox", *THREE_PROCS).strip()
    wait_for(lambda: len(bb.out("top", "three").splitlines()) == 4, what="three processes")
    out = bb.out("stats", "--no-stream").splitlines()
    assert out[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/",
                              "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    assert len(out) == 2
    f = out[1].split()
    assert f[0] == cid[:12] and f[1] == "three" and f[-1] == "3"
    assert re.match(r"^[\d.]+(B|KiB|MiB)$", f[3]) and f[3] != "0B"
    assert f[4] == "/" and f[5].endswith("GiB")
    bb("create", "--name", "idle", "busybox", "true")
    # --all adds the stopped one, with zeros; names select
    out = bb.out("stats", "--no-stream", "-a").splitlines()
    assert sorted(l.split()[1] for l in out[1:]) == ["idle", "three"]
    out = bb.out("stats", "--no-stream", "--no-trunc", "three").splitlines()
    assert len(out) == 2 and out[1].split()[0] == cid
    # the live table redraws itself each second
    p = bb.popen("stats", "three", stdout=__import__("subprocess").PIPE)
    try:
        buf = b""
        while buf.count(b"\033[2J\033[H") < 3:
            chunk = p.stdout.read1(4096)
            assert chunk, "berth stats ended"
            buf += chunk
    finally:
        p.kill()
        p.wait()
    assert b"three" in buf

    top = bb.out("top", "three").splitlines()
    assert top[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert sorted(l.split(None, 7)[7] for l in top[1:]) == [
        "sh -c sleep 1000 & sleep 1001 & wait", "sleep 1000", "sleep 1001"]
    aux = bb.out("top", "three", "aux").splitlines()
    assert aux[0].split()[:2] == ["USER", "PID"] and len(aux) == 4

    p = bb("top", "idle", check=False)
    assert p.returncode == 1 and "is not running" in p.stderr
    p = bb("stats", "--no-stream", "nosuch", check=False)
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    p = bb("top", check=False)
    assert p.returncode == 1


def test_cli_stats_top_each_runtime(rt_berth):
    """Both runtimes put the container in the cgroup berth reads."""
    rt_berth("run", "-d", "--name", "three", "busybox", *THREE_PROCS)
    wait_for(lambda: len(rt_berth.out("top", "three").splitlines()) == 4, what="three processes")
    f = rt_berth.out("stats", "--no-stream", "three").splitlines()[1].split()
    assert f[1] == "three" and f[-1] == "3" and f[3] != "0B"
