"""berth pause/unpause, container prune and image prune, checked by their
effects: a paused container's processes make no progress until it is
unpaused, stop/kill/rm -f of a paused container end it with Docker's exit
codes, and prune removes exactly the containers and images its filters
select, never a running container or an image in use, and reports the
space it really freed."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import _monitor_pids

ID64 = re.compile(r"^[0-9a-f]{64}$")

# Appends a line to /cnt every 50 ms: the number of lines is its progress.
COUNTER = "while true; do echo x >> /cnt; sleep 0.05; done"


# ---- helpers ---------------------------------------------------------------

def wait_for(cond, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def upper_file(b, name, path):
    """A file the container wrote, read from its writable layer."""
    return os.path.join(b.inspect(name)["GraphDriver"]["Data"]["UpperDir"], path.lstrip("/"))


def count_lines(path):
    try:
        with open(path) as f:
            return f.read().count("\n")
    except FileNotFoundError:
        return 0


def state(b, name):
    return b.inspect(name)["State"]


def all_names(b):
    """Names of every container in the root."""
    ids = b.out("ps", "-aq", "--no-trunc").split()
    if not ids:
        return []
    return sorted(d["Name"].lstrip("/") for d in json.loads(b.out("inspect", *ids)))


def parse_size(text):
    """Bytes of a go-units human size ("12.29kB")."""
    m = re.fullmatch(r"([0-9.]+)(B|kB|MB|GB)", text)
    assert m, f"not a size: {text!r}"
    return float(m.group(1)) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]


def prune_output(out, kind):
    """The IDs (or image lines) and the reclaimed bytes docker's prune prints."""
    lines = out.splitlines()
    assert lines[-1].startswith("Total reclaimed space: "), out
    space = parse_size(lines[-1][len("Total reclaimed space: "):])
    if len(lines) == 1:
        return [], space
    assert lines[0] == f"Deleted {kind}:", out
    assert lines[-2] == "", out
    return lines[1:-2], space


def image_ids(b):
    return set(b.out("images", "-q", "--no-trunc").split())


def import_image(b, tar, ref, label):
    return b.out("import", "-c", f"LABEL {label}", tar, ref).strip()


# ---- pause / unpause ---------------------------------------------------------

def test_pause_freezes_the_processes_until_unpause(rt_berth):
    cid = rt_berth.out("run", "-d", "--name", "ctr", "busybox", "sh", "-c", COUNTER).strip()
    cnt = upper_file(rt_berth, cid, "/cnt")
    wait_for(lambda: count_lines(cnt) >= 3, what="the counter to run")

    assert rt_berth.out("pause", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["Paused"], st["Running"]) == ("paused", True, True)
    assert st["Pid"] > 0
    ps = rt_berth.out("ps")
    assert re.search(r"Up .* \(Paused\)", ps), ps
    assert rt_berth.out("ps", "-q", "--filter", "status=paused") == cid[:12] + "\n"

    # a line written just before the freeze may still be on its way
    time.sleep(0.2)
    first = count_lines(cnt)
    time.sleep(0.5)
    assert count_lines(cnt) == first, "a paused container made progress"

    assert rt_berth.out("unpause", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["Paused"], st["Running"]) == ("running", False, True)
    wait_for(lambda: count_lines(cnt) > first + 2, what="the counter to move on after unpause")


def test_pause_and_unpause_errors(rt_berth):
    rt_berth("create", "--name", "created", "busybox", "true")
    p = rt_berth("pause", "created", check=False)
    assert p.returncode == 1 and "is not running" in p.stderr
    cid = rt_berth.out("run", "-d", "--name", "ctr", "busybox", "sleep", "1000").strip()
    p = rt_berth("unpause", "ctr", check=False)
    assert p.returncode == 1 and f"Container {cid} is not paused" in p.stderr
    rt_berth("pause", "ctr")
    p = rt_berth("pause", "ctr", check=False)
    assert p.returncode == 1 and f"Container {cid} is already paused" in p.stderr
    p = rt_berth("start", "ctr", check=False)
    assert p.returncode == 1 and "cannot start a paused container, try unpause instead" in p.stderr
    p = rt_berth("rm", "ctr", check=False)
    assert p.returncode == 1 and "You cannot remove a paused container" in p.stderr
    p = rt_berth("pause", "nosuch", check=False)
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    # the failed calls changed nothing
    assert state(rt_berth, "ctr")["Status"] == "paused"
    rt_berth("unpause", "ctr")
    rt_berth("kill", "ctr")
    p = rt_berth("pause", "ctr", check=False)
    assert p.returncode == 1 and "is not running" in p.stderr
    # several names: each is tried, the status says one failed
    rt_berth("run", "-d", "--name", "two", "busybox", "sleep", "1000")
    p = rt_berth("pause", "two", "nosuch", check=False)
    assert p.returncode == 1 and p.stdout == "two\n"
    assert state(rt_berth, "two")["Status"] == "paused"


def test_stop_of_a_paused_container_kills_it_after_the_timeout(rt_berth):
    # sleep as PID 1 ignores SIGTERM: stop resumes it, waits, then SIGKILLs
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    assert rt_berth.out("stop", "-t", "1", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"], st["Running"], st["Paused"]) == \
        ("exited", 137, False, False)


def test_stop_signal_reaches_a_paused_container(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sh", "-c",
             "trap 'exit 143' TERM; touch /ready; while true; do sleep 0.1; done")
    ready = upper_file(rt_berth, "ctr", "/ready")
    wait_for(lambda: os.path.exists(ready), what="the trap to be set")
    rt_berth("pause", "ctr")
    # a long timeout: only the delivered SIGTERM can end it with 143
    rt_berth("stop", "-t", "60", "ctr")
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"]) == ("exited", 143)


def test_kill_of_a_paused_container_and_wait(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    waiter = rt_berth.popen("wait", "ctr", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(0.5)
    assert waiter.poll() is None, "wait returned while the container was only paused"
    assert rt_berth.out("kill", "ctr") == "ctr\n"
    out, err = waiter.communicate(timeout=60)
    assert (out, waiter.returncode) == ("137\n", 0), err
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"]) == ("exited", 137)


def test_force_remove_of_a_paused_container(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    assert rt_berth.out("rm", "-f", "ctr") == "ctr\n"
    assert rt_berth.out("ps", "-aq") == ""


def test_kill_with_another_signal_leaves_a_paused_container_paused(bb):
    # moby's killWithSignal resumes only for SIGKILL and the stop signal
    # (any signal when the container has none)
    bb("run", "-d", "--name", "ctr", "--stop-signal", "USR1", "busybox", "sh", "-c",
       "trap 'exit 42' USR1; trap 'echo hup' HUP; touch /ready; while true; do sleep 0.1; done")
    ready = upper_file(bb, "ctr", "/ready")
    wait_for(lambda: os.path.exists(ready), what="the traps to be set")
    bb("pause", "ctr")
    bb("kill", "-s", "HUP", "ctr")
    assert state(bb, "ctr")["Status"] == "paused"
    bb("kill", "-s", "USR1", "ctr")
    assert bb.out("wait", "ctr") == "42\n"
    assert state(bb, "ctr")["Status"] == "exited"


def test_a_paused_container_whose_monitor_was_killed_is_repaired(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    pid = state(rt_berth, "ctr")["Pid"]
    rt_berth("pause", "ctr")
    mons = _monitor_pids(rt_berth.root)
    for mon in mons:
        os.kill(mon, signal.SIGKILL)

    def gone():
        return not any(os.path.exists(f"/proc/{m}") for m in mons)
    # the kill is asynchronous: inspect once the monitor is dead and reaped
    wait_for(gone, what="the killed monitor to be gone")
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"], st["Error"]) == \
        ("exited", 255, "berth-monitor exited unexpectedly")

    def ended():
        try:
            with open(f"/proc/{pid}/status") as f:
                return "\nState:\tZ" in f.read()
        except FileNotFoundError:
            return True
    wait_for(ended, what="the frozen process to be killed")


def test_restart_of_a_paused_container(bb):
    bb("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    pid = state(bb, "ctr")["Pid"]
    bb("pause", "ctr")
    bb("restart", "-t", "1", "ctr")
    st = state(bb, "ctr")
    assert (st["Status"], st["Paused"]) == ("running", False)
    assert st["Pid"] != pid


# ---- container prune ---------------------------------------------------------

def test_container_prune_removes_the_stopped_ones_only(bb):
    created = bb.out("create", "--name", "created", "busybox", "true").strip()
    bb("run", "--name", "exited", "busybox", "true")
    exited = bb.inspect("exited")["Id"]
    bb("run", "--name", "failed", "busybox", "sh", "-c", "exit 3", check=False)
    failed = bb.inspect("failed")["Id"]
    bb("run", "-d", "--name", "running", "busybox", "sleep", "1000")
    bb("run", "-d", "--name", "paused", "busybox", "sleep", "1000")
    bb("pause", "paused")

    out = bb.out("container", "prune", "-f")
    ids, _ = prune_output(out, "Containers")
    assert sorted(ids) == sorted([created, exited, failed])
    assert all(ID64.match(i) for i in ids)
    assert all_names(bb) == ["paused", "running"]
    for cid in ids:
        assert not os.path.exists(os.path.join(bb.root, "containers", cid))
    # nothing left to prune
    assert bb.out("container", "prune", "--force") == "Total reclaimed space: 0B\n"


def test_container_prune_reports_the_space_of_the_writable_layers(bb):
    bb("run", "--name", "big", "busybox", "sh", "-c", "head -c 100000 /dev/urandom > /big")
    bb("run", "--name", "small", "busybox", "sh", "-c", "echo hi > /small")
    out = bb.out("container", "prune", "-f")
    ids, space = prune_output(out, "Containers")
    assert len(ids) == 2
    assert 100000 <= space < 200000, out


def test_container_prune_label_filters(bb):
    bb("create", "--name", "dev", "-l", "env=dev", "busybox", "true")
    bb("create", "--name", "prod", "-l", "env=prod", "busybox", "true")
    bb("create", "--name", "nolabel", "busybox", "true")
    bb("create", "--name", "devkeep", "-l", "env=dev", "-l", "keep", "busybox", "true")
    bb("run", "-d", "--name", "runningdev", "-l", "env=dev", "busybox", "sleep", "1000")

    dev = bb.inspect("dev")["Id"]
    ids, _ = prune_output(bb.out("container", "prune", "-f", "--filter", "label=env=dev",
                                 "--filter", "label!=keep"), "Containers")
    assert ids == [dev]
    assert all_names(bb) == ["devkeep", "nolabel", "prod", "runningdev"]

    prune_output(bb.out("container", "prune", "-f", "--filter", "label!=env"), "Containers")
    assert all_names(bb) == ["devkeep", "prod", "runningdev"]

    prune_output(bb.out("container", "prune", "-f", "--filter", "label=env"), "Containers")
    assert all_names(bb) == ["runningdev"]


def test_container_prune_until(bb):
    bb("create", "--name", "old", "busybox", "true")
    bb("create", "--name", "new", "busybox", "true")
    # a container created after the time stays; RFC 3339 with nanoseconds
    old = bb.inspect("old")
    ids, _ = prune_output(bb.out("container", "prune", "-f", "--filter",
                                 f"until={old['Created']}"), "Containers")
    assert ids == [old["Id"]]
    assert all_names(bb) == ["new"]
    # a duration: nothing here is ten minutes old
    out = bb.out("container", "prune", "-f", "--filter", "until=10m")
    assert out == "Total reclaimed space: 0B\n"
    # a Unix time in the future takes everything
    future = str(int(time.time()) + 3600)
    ids, _ = prune_output(bb.out("container", "prune", "-f", "--filter", f"until={future}"),
                          "Containers")
    assert len(ids) == 1 and all_names(bb) == []


@pytest.mark.parametrize("flt,message", [
    (["--filter", "status=exited"], "Invalid filter 'status'"),
    (["--filter", "dangling=true"], "Invalid filter 'dangling'"),
    (["--filter", "until=1h", "--filter", "until=2h"], "more than one until filter specified"),
    (["--filter", "until=someday"], "Invalid filter 'until=someday'"),
    (["--filter", "label"], "bad format of filter"),
])
def test_container_prune_bad_filters_remove_nothing(bb, flt, message):
    bb("create", "--name", "stopped", "busybox", "true")
    p = bb("container", "prune", "-f", *flt, check=False)
    assert p.returncode != 0 and message in p.stderr, p.stderr
    assert p.stdout == ""
    assert all_names(bb) == ["stopped"]


def test_container_prune_asks_first(bb):
    bb("create", "--name", "stopped", "busybox", "true")
    prompt = ("WARNING! This will remove all stopped containers.\n"
              "Are you sure you want to continue? [y/N] ")
    for answer in ["n\n", "\n", "", "yes\n"]:
        p = bb("container", "prune", input=answer)
        assert p.stdout == prompt
        assert all_names(bb) == ["stopped"]
    p = bb("container", "prune", input="Y\n")
    assert p.stdout.startswith(prompt + "Deleted Containers:\n")
    assert all_names(bb) == []


def test_container_prune_never_races_a_start(bb):
    # Start and prune the same created container at once, many times: the
    # container either runs (start won) or is gone (prune won, and start
    # says so); never half removed. The fixture checks that no monitor or
    # mount is left behind.
    for i in range(8):
        name = f"race{i}"
        bb("create", "--name", name, "busybox", "sleep", "1000")
        start = bb.popen("start", name, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        bb("container", "prune", "-f")
        out, err = start.communicate(timeout=60)
        if name in all_names(bb):
            assert start.returncode == 0, err
            doc = bb.inspect(name)
            assert doc["State"]["Running"]
            assert os.path.isdir(os.path.join(bb.root, "containers", doc["Id"], "upper"))
        else:
            assert start.returncode != 0 and "No such container" in err, err


# ---- image prune -------------------------------------------------------------

def test_image_prune_removes_unused_dangling_images(bb, rootfs_tar):
    old = import_image(bb, rootfs_tar, "app:1", "v=1")
    new = import_image(bb, rootfs_tar, "app:1", "v=2")  # old is dangling now
    used_old = import_image(bb, rootfs_tar, "tool:1", "v=3")
    bb("create", "--name", "user", "tool:1", "true")
    import_image(bb, rootfs_tar, "tool:1", "v=4")  # used_old: dangling, but in use
    busybox = bb.out("inspect", "-f", "{{.Id}}", "busybox").strip()

    out = bb.out("image", "prune", "-f")
    lines, space = prune_output(out, "Images")
    assert lines == [f"deleted: {old}"]
    tool = bb.out("inspect", "-f", "{{.Id}}", "tool:1").strip()
    assert image_ids(bb) == {new, used_old, busybox, tool}
    assert space > 0
    # the container still runs from its dangling image
    assert bb("start", "-a", "user").returncode == 0
    # nothing dangling and unused is left
    assert bb.out("image", "prune", "-f") == "Total reclaimed space: 0B\n"


def test_image_prune_all_keeps_the_images_containers_use(bb, rootfs_tar):
    busybox = bb.out("inspect", "-f", "{{.Id}}", "busybox").strip()
    stopped_img = import_image(bb, rootfs_tar, "stopped:1", "v=1")
    unused = import_image(bb, rootfs_tar, "unused:1", "v=2")
    bb("tag", "unused:1", "unused:2")
    bb("run", "-d", "--name", "running", "busybox", "sleep", "1000")
    bb("create", "--name", "stopped", "stopped:1", "true")
    size = json.loads(bb.out("inspect", "--type", "image", "unused:1"))[0]["Size"]

    p = bb("image", "prune", "-a", input="y\n")
    assert p.stdout.startswith(
        "WARNING! This will remove all images without at least one container associated "
        "to them.\nAre you sure you want to continue? [y/N] Deleted Images:\n")
    lines, space = prune_output(p.stdout.split("[y/N] ", 1)[1], "Images")
    assert lines == ["untagged: unused:1", "untagged: unused:2", f"deleted: {unused}"]
    # its one layer is the other images' too: only its config blob was freed
    assert 0 < space < 10000
    assert image_ids(bb) == {busybox, stopped_img}

    bb("rm", "-f", "running", "stopped")
    lines, space = prune_output(bb.out("image", "prune", "-a", "-f"), "Images")
    # now the layer goes too: its unpacked files (the image's Size) and its tar
    assert space > 2 * size > 0
    assert sorted(l for l in lines if l.startswith("deleted: ")) == \
        sorted([f"deleted: {busybox}", f"deleted: {stopped_img}"])
    assert image_ids(bb) == set()
    # their files went with them
    assert os.listdir(os.path.join(bb.root, "layers")) == []


def test_image_prune_filters(bb, rootfs_tar):
    first = import_image(bb, rootfs_tar, "a:1", "team=x")
    second = import_image(bb, rootfs_tar, "b:1", "team=y")
    third = import_image(bb, rootfs_tar, "c:1", "other=1")
    busybox = bb.out("inspect", "-f", "{{.Id}}", "busybox").strip()

    lines, _ = prune_output(bb.out("image", "prune", "-a", "-f", "--filter", "label=team=x"),
                            "Images")
    assert lines == ["untagged: a:1", f"deleted: {first}"]
    lines, _ = prune_output(bb.out("image", "prune", "-a", "-f", "--filter", "label!=team",
                                   "--filter", "label=other"), "Images")
    assert lines == ["untagged: c:1", f"deleted: {third}"]
    assert image_ids(bb) == {second, busybox}
    # until: images created after it stay (busybox was imported first)
    until = json.loads(bb.out("inspect", "--type", "image", "busybox"))[0]["Created"]
    lines, _ = prune_output(bb.out("image", "prune", "-a", "-f", "--filter", f"until={until}"),
                            "Images")
    assert lines == ["untagged: busybox:latest", f"deleted: {busybox}"]
    assert image_ids(bb) == {second}


@pytest.mark.parametrize("args,message", [
    (["--filter", "reference=busybox"], "Invalid filter 'reference'"),
    (["-a", "--filter", "dangling=true"], "Invalid filter 'dangling="),
    (["--filter", "until=1h", "--filter", "until=2h"], "more than one until filter specified"),
])
def test_image_prune_bad_filters_remove_nothing(bb, rootfs_tar, args, message):
    import_image(bb, rootfs_tar, "app:1", "v=1")
    import_image(bb, rootfs_tar, "app:1", "v=2")
    before = image_ids(bb)
    p = bb("image", "prune", "-f", *args, check=False)
    assert p.returncode != 0 and message in p.stderr, p.stderr
    assert image_ids(bb) == before
