"""berth logs (tail, since, until, follow, timestamps) and berth ps
(table, filters), compared with what docker prints."""
import json
import re
import subprocess
import time
from datetime import datetime, timezone

import pytest


def _wait_exit(b, cid):
    b("wait", cid)


def test_logs_tail(rt_berth):
    cid = rt_berth.out("run", "-d", "busybox", "sh", "-c",
                       "for i in 1 2 3 4 5; do echo line$i; done; echo err >&2").strip()
    _wait_exit(rt_berth, cid)
    p = rt_berth("logs", cid)
    assert p.stdout == "line1\nline2\nline3\nline4\nline5\n" and p.stderr == "err\n"
    p = rt_berth("logs", "--tail", "2", cid)
    assert (p.stdout, p.stderr) == ("line5\n", "err\n")
    p = rt_berth("logs", "--tail", "3", cid)
    assert (p.stdout, p.stderr) == ("line4\nline5\n", "err\n")
    p = rt_berth("logs", "-n", "0", cid)
    assert (p.stdout, p.stderr) == ("", "")
    assert rt_berth.out("logs", "--tail", "all", cid) == "line1\nline2\nline3\nline4\nline5\n"


def test_logs_without_trailing_newline(bb):
    cid = bb.out("run", "-d", "busybox", "sh", "-c", "printf 'a\\nb'").strip()
    _wait_exit(bb, cid)
    assert bb.out("logs", cid) == "a\nb"
    assert bb.out("logs", "--tail", "1", cid) == "b"


def _parse_ts(s):
    # 2024-01-01T00:00:00.123456789Z -> unix seconds (float)
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$", s)
    assert m, s
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return base.timestamp() + int(m.group(2)) / 1e9


def test_logs_timestamps_since_until(rt_berth):
    cid = rt_berth.out("run", "-d", "busybox", "sh", "-c",
                       "echo early; sleep 1.2; echo late").strip()
    _wait_exit(rt_berth, cid)
    lines = rt_berth.out("logs", "-t", cid).splitlines()
    assert len(lines) == 2 and lines[0].endswith(" early") and lines[1].endswith(" late")
    t_early = _parse_ts(lines[0].split(" ")[0])
    t_late = _parse_ts(lines[1].split(" ")[0])
    assert 1.0 < t_late - t_early < 5
    between = f"{(t_early + t_late) / 2:.9f}"
    assert rt_berth.out("logs", "--since", between, cid) == "late\n"
    assert rt_berth.out("logs", "--until", between, cid) == "early\n"
    assert rt_berth.out("logs", "--since", lines[1].split(" ")[0], cid) == "late\n"
    assert rt_berth.out("logs", "--since", "1h", cid) == "early\nlate\n"
    p = rt_berth("logs", "--since", "not-a-time", cid, check=False)
    assert p.returncode != 0 and "since" in p.stderr


def test_logs_follow_streams_until_the_container_exits(rt_berth):
    cid = rt_berth.out("run", "-d", "busybox", "sh", "-c",
                       "echo first; sleep 1; echo second; sleep 1; echo third >&2").strip()
    p = rt_berth.popen("logs", "-f", cid, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    t0 = time.time()
    first = p.stdout.readline()
    assert first == "first\n"
    assert time.time() - t0 < 1.0  # before the container went on
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0
    assert out == "second\n" and err == "third\n"


def test_logs_follow_tail(bb):
    cid = bb.out("run", "-d", "busybox", "sh", "-c",
                 "echo a; echo b; sleep 1; echo c").strip()
    time.sleep(0.5)
    p = bb("logs", "-f", "--tail", "1", cid, timeout=20)
    assert p.stdout == "b\nc\n"


def test_logs_of_created_container_is_empty(bb):
    bb("create", "--name", "ctr", "busybox", "echo", "x")
    assert bb.out("logs", "ctr") == ""


def test_ps_table(bb):
    bb("run", "-d", "--name", "web", "busybox", "sleep", "1000")
    bb("create", "--name", "idle", "busybox", "echo", "a long command line that is cut")
    lines = bb.out("ps").splitlines()
    assert re.split(r"\s{3,}", lines[0]) == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                             "STATUS", "PORTS", "NAMES"]
    assert len(lines) == 2
    cols = re.split(r"\s{3,}", lines[1])
    assert cols[1] == "busybox"
    assert cols[2] == '"sleep 1000"'
    assert re.match(r"(Less than a second|1 second|\d+ seconds) ago", cols[3])
    assert re.match(r"Up (Less than a second|\d+ seconds?)", cols[4])
    assert cols[-1] == "web"
    lines = bb.out("ps", "-a").splitlines()
    assert len(lines) == 3
    idle = [l for l in lines if l.endswith("idle")][0]
    # an argument with spaces is quoted, as Docker shows it, and cut at 20
    assert '"echo \'a long comman…"' in idle and "   Created   " in idle


def test_ps_filters(bb):
    a = bb.out("run", "-d", "--name", "alpha", "-l", "team=a", "busybox", "sleep", "1000").strip()
    b = bb.out("run", "-d", "--name", "beta", "busybox", "sh", "-c", "exit 3").strip()
    c = bb.out("create", "--name", "gamma", "-l", "team=c", "busybox", "true").strip()
    bb("wait", b)

    def q(*f):
        args = []
        for x in f:
            args += ["--filter", x]
        return set(bb.out("ps", "-aq", "--no-trunc", *args).split())

    assert q("status=running") == {a}
    assert q("status=exited") == {b}
    assert q("status=created") == {c}
    assert q("status=running", "status=created") == {a, c}
    assert q("exited=3") == {b}
    assert q("exited=0") == set()
    assert q("name=alp") == {a}
    assert q("name=^/gamma$") == {c}
    assert q("label=team") == {a, c}
    assert q("label=team=c") == {c}
    assert q("id=" + b[:6]) == {b}
    assert q("ancestor=busybox") == {a, b, c}
    assert q("ancestor=busybox:latest") == {a, b, c}
    assert q("before=gamma") == {a, b}
    assert q("since=alpha") == {b, c}
    # without -a only running ones, unless a status filter is given
    assert set(bb.out("ps", "-q", "--no-trunc").split()) == {a}
    assert set(bb.out("ps", "-q", "--no-trunc", "--filter", "status=exited").split()) == {b}
    assert bb.out("ps", "-q", "-n", "1", "--no-trunc").split() == [c]
    p = bb("ps", "--filter", "status=sleeping", check=False)
    assert p.returncode != 0 and "Invalid filter 'status=sleeping'" in p.stderr
    p = bb("ps", "--filter", "color=red", check=False)
    assert p.returncode != 0 and "Invalid filter" in p.stderr


def test_inspect_shape(bb):
    cid = bb.out("run", "-d", "--name", "shape", "busybox", "sh", "-c", "exit 2").strip()
    bb("wait", cid)
    doc = bb.inspect("shape")
    for key in ["Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount",
                "Driver", "Platform", "HostConfig", "Config", "Mounts", "NetworkSettings",
                "LogPath", "GraphDriver"]:
        assert key in doc, key
    assert doc["Id"] == cid and doc["Name"] == "/shape"
    assert doc["Path"] == "sh" and doc["Args"] == ["-c", "exit 2"]
    assert doc["Image"].startswith("sha256:")
    assert doc["Config"]["Image"] == "busybox"
    assert doc["HostConfig"]["LogConfig"]["Type"] == "json-file"
    assert doc["Driver"] == "overlay2"
    st = doc["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 2 and st["Pid"] == 0
    assert st["Running"] is False and st["OOMKilled"] is False
    assert bb.out("inspect", "-f", "{{.State.ExitCode}} {{.Name}}", "shape") == "2 /shape\n"
    assert json.loads(bb.out("inspect", "-f", "{{json .Config.Cmd}}", "shape")) == ["sh", "-c", "exit 2"]
    p = bb("inspect", "nothing-here", check=False)
    assert p.returncode != 0 and "No such object: nothing-here" in p.stderr


def test_prefix_and_name_lookup(bb):
    cid = bb.out("create", "--name", "lookup", "busybox", "true").strip()
    assert bb.inspect(cid[:5])["Id"] == cid
    assert bb.inspect("/lookup")["Id"] == cid
    p = bb("inspect", "--type", "container", "zzzz", check=False)
    assert p.returncode != 0
