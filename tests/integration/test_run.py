"""berth run: output, exit codes, configuration taking effect, detached
containers, --rm cleanup, under both crun and runc."""
import json
import os
import subprocess
import time

import pytest

from conftest import _monitor_pids


def test_stdout_and_stderr_are_kept_apart(rt_berth):
    p = rt_berth("run", "--rm", "busybox", "sh", "-c",
                 "echo out1; echo err1 >&2; echo out2; echo err2 >&2")
    assert p.stdout == "out1\nout2\n"
    assert p.stderr == "err1\nerr2\n"


@pytest.mark.parametrize("cmd,code", [
    (["true"], 0),
    (["sh", "-c", "exit 3"], 3),
    (["false"], 1),
])
def test_exit_code_is_the_process_code(rt_berth, cmd, code):
    p = rt_berth("run", "--name", "ctr", "busybox", *cmd, check=False)
    assert p.returncode == code
    assert rt_berth.inspect("ctr")["State"]["ExitCode"] == code
    assert rt_berth.inspect("ctr")["State"]["Status"] == "exited"


def test_exit_code_137_when_killed(rt_berth):
    cid = rt_berth.out("run", "-d", "busybox", "sleep", "1000").strip()
    rt_berth("kill", cid)
    assert rt_berth.out("wait", cid).strip() == "137"
    state = rt_berth.inspect(cid)["State"]
    assert state["ExitCode"] == 137 and not state["Running"]


def test_foreground_run_reports_137_when_killed_from_outside(rt_berth):
    p = rt_berth.popen("run", "--name", "fg", "busybox", "sleep", "1000",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline:
        if rt_berth("inspect", "-f", "{{.State.Running}}", "fg", check=False).stdout.strip() == "true":
            break
        time.sleep(0.05)
    rt_berth("kill", "fg")
    assert p.wait(timeout=30) == 137


def test_exit_code_143_when_stopped_with_sigterm(rt_berth):
    # A container's init dies of SIGTERM only through its own handler
    # (the kernel protects a PID namespace's init); this one exits the way
    # a well-behaved program does: 128 + SIGTERM.
    cid = rt_berth.out("run", "-d", "busybox", "sh", "-c",
                       "trap 'exit 143' TERM; while true; do sleep 0.1; done").strip()
    time.sleep(0.3)
    rt_berth("stop", "-t", "20", cid)
    assert rt_berth.inspect(cid)["State"]["ExitCode"] == 143


def test_stop_sends_sigkill_after_the_timeout(rt_berth):
    cid = rt_berth.out("run", "-d", "busybox", "sleep", "1000").strip()
    t0 = time.time()
    rt_berth("stop", "-t", "1", cid)
    assert time.time() - t0 < 10
    assert rt_berth.inspect(cid)["State"]["ExitCode"] == 137


def test_command_not_found_is_127(rt_berth):
    p = rt_berth("run", "--rm", "busybox", "nosuchcommand", check=False)
    assert p.returncode == 127
    assert "nosuchcommand" in p.stderr and "not found" in p.stderr
    assert rt_berth.out("ps", "-aq") == ""


def test_command_not_executable_is_126(rt_berth):
    p = rt_berth("run", "--name", "ctr", "busybox", "/etc", check=False)
    assert p.returncode == 126
    state = rt_berth.inspect("ctr")["State"]
    assert state["ExitCode"] == 126
    assert state["Status"] == "created"
    assert state["Error"]


def test_environment(rt_berth, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=yes\n\nSHARED=file\n")
    p = rt_berth("run", "--rm", "-e", "ONE=1", "--env-file", str(env_file),
                 "-e", "SHARED=flag", "-e", "PASSED", "busybox", "env",
                 env=dict(os.environ, PASSED="from-caller"))
    env = dict(line.split("=", 1) for line in p.stdout.splitlines())
    assert env["ONE"] == "1"
    assert env["FROM_FILE"] == "yes"
    assert env["SHARED"] == "flag"
    assert env["PASSED"] == "from-caller"
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOSTNAME"]
    assert env["HOME"] == "/root"


def test_working_directory_is_created_and_used(rt_berth):
    assert rt_berth.out("run", "--rm", "-w", "/new/dir", "busybox", "pwd") == "/new/dir\n"
    assert rt_berth.out("run", "--rm", "-w", "/tmp", "busybox", "pwd") == "/tmp\n"


def test_user(rt_berth):
    assert rt_berth.out("run", "--rm", "busybox", "id", "-u") == "0\n"
    assert rt_berth.out("run", "--rm", "-u", "tester", "busybox", "id") == \
        "uid=1000(tester) gid=1000(tester) groups=1000(tester),1001(extra)\n"
    assert rt_berth.out("run", "--rm", "-u", "4242:77", "busybox", "sh", "-c",
                        "id -u; id -g") == "4242\n77\n"
    p = rt_berth("run", "--rm", "-u", "tester", "busybox", "sh", "-c", "echo $HOME")
    assert p.stdout == "/home/tester\n"
    p = rt_berth("run", "--rm", "-u", "ghost", "busybox", "true", check=False)
    assert p.returncode != 0 and "unable to find user ghost" in p.stderr


def test_entrypoint(rt_berth):
    assert rt_berth.out("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b") == "a b\n"
    assert rt_berth.out("run", "--rm", "--entrypoint", "", "busybox", "echo", "reset") == "reset\n"


def test_labels_and_hostname(rt_berth):
    cid = rt_berth.out("run", "-d", "-l", "app=web", "--label", "tier=front",
                       "--hostname", "box1", "busybox", "sh", "-c", "hostname; cat /etc/hostname").strip()
    rt_berth("wait", cid)
    assert rt_berth.out("logs", cid) == "box1\nbox1\n"
    labels = rt_berth.inspect(cid)["Config"]["Labels"]
    assert labels == {"app": "web", "tier": "front"}
    assert rt_berth.out("ps", "-aq", "--filter", "label=app=web") != ""
    assert rt_berth.out("ps", "-aq", "--filter", "label=app=db") == ""


def test_image_config_from_import_changes(berth, rootfs_tar):
    berth("import", "-c", "ENV GREETING=hello", "-c", "WORKDIR /srv",
          "-c", 'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]', rootfs_tar, "greeter:1")
    assert berth.out("run", "--rm", "greeter:1") == "hello from /srv\n"


def test_detached_container_survives_the_cli_and_records_its_exit(rt_berth):
    p = rt_berth("run", "-d", "busybox", "sh", "-c", "sleep 1; echo done; exit 7")
    cid = p.stdout.strip()
    assert len(cid) == 64
    # the CLI has exited; the container still runs
    state = rt_berth.inspect(cid)["State"]
    assert state["Running"] and state["Pid"] > 0
    assert rt_berth.out("ps", "-q") == cid[:12] + "\n"
    assert rt_berth.out("wait", cid) == "7\n"
    state = rt_berth.inspect(cid)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 7
    assert state["FinishedAt"] > state["StartedAt"]
    assert rt_berth.out("logs", cid) == "done\n"


def test_rm_leaves_nothing_behind(rt_berth):
    rt_berth("run", "--rm", "--name", "gone", "busybox", "sh", "-c", "echo x > /file")
    assert rt_berth.out("ps", "-aq") == ""
    assert os.listdir(os.path.join(rt_berth.root, "containers")) == []
    assert os.listdir(os.path.join(rt_berth.runroot, "containers")) == []
    state_root = os.path.join(rt_berth.runroot, "runtime", rt_berth.runtime)
    assert not os.path.exists(state_root) or os.listdir(state_root) == []
    # and the name is free again
    rt_berth("run", "--rm", "--name", "gone", "busybox", "true")


def test_detached_rm_removes_after_exit(rt_berth):
    cid = rt_berth.out("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.5").strip()
    p = rt_berth("wait", cid, check=False)
    assert p.returncode in (0, 1)  # the container may be gone before wait looks
    deadline = time.time() + 10
    while rt_berth.out("ps", "-aq") and time.time() < deadline:
        time.sleep(0.05)
    assert rt_berth.out("ps", "-aq") == ""
    assert os.listdir(os.path.join(rt_berth.root, "containers")) == []


def test_names_are_unique(bb):
    bb("create", "--name", "only", "busybox", "true")
    p = bb("create", "--name", "only", "busybox", "true", check=False)
    assert p.returncode != 0
    assert 'The container name "/only" is already in use' in p.stderr
    assert len(bb.out("ps", "-aq").split()) == 1


def test_invalid_names_are_refused(bb):
    for bad in ["a", "-x", "has space", "sl/ash"]:
        p = bb("create", "--name", bad, "busybox", "true", check=False)
        assert p.returncode != 0 and "Invalid container name" in p.stderr


def test_unknown_image_and_runtime(bb):
    p = bb("run", "nosuchimage", "true", check=False)
    assert p.returncode == 125 and "No such image" in p.stderr
    p = bb("run", "--runtime", "nosuch", "busybox", "true", check=False)
    assert p.returncode == 125 and "Unknown runtime" in p.stderr


def test_restart(bb):
    cid = bb.out("run", "-d", "busybox", "sh", "-c", "echo started; sleep 1000").strip()
    first = bb.inspect(cid)["State"]["StartedAt"]
    bb("restart", "-t", "1", cid)
    state = bb.inspect(cid)["State"]
    assert state["Running"] and state["StartedAt"] > first
    deadline = time.time() + 10
    while bb.out("logs", cid).count("started") < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert bb.out("logs", cid) == "started\nstarted\n"


def test_rm_of_running_container_needs_force(bb):
    cid = bb.out("run", "-d", "busybox", "sleep", "1000").strip()
    p = bb("rm", cid, check=False)
    assert p.returncode != 0 and "cannot remove a running container" in p.stderr
    bb("rm", "-f", cid)
    assert bb.out("ps", "-aq") == ""


def test_rename(bb):
    bb("create", "--name", "one", "busybox", "true")
    bb("create", "--name", "two", "busybox", "true")
    p = bb("rename", "one", "two", check=False)
    assert p.returncode != 0 and "already in use" in p.stderr
    bb("rename", "one", "three")
    assert bb.inspect("three")["Name"] == "/three"
    assert bb("inspect", "one", check=False).returncode != 0


def test_start_attach(bb):
    bb("create", "--name", "ctr", "busybox", "sh", "-c", "echo hi; echo there >&2; exit 4")
    p = bb("start", "-a", "ctr", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (4, "hi\n", "there\n")


def test_interactive_stdin(bb):
    p = bb("run", "--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z", input="hello\n")
    assert p.stdout == "HELLO\n"


def test_tty_merges_streams(bb):
    p = bb("run", "--rm", "-t", "busybox", "sh", "-c", "echo out; echo err >&2; tty")
    assert p.stderr == ""
    lines = p.stdout.replace("\r\n", "\n").splitlines()
    assert lines[:2] == ["out", "err"] and lines[2].startswith("/dev/pts/")


def test_default_isolation(bb):
    out = bb.out("run", "--rm", "busybox", "sh", "-c",
                 "cat /proc/self/status | grep CapEff; ls /sys/class/net; cat /proc/kcore | wc -c")
    capeff = out.splitlines()[0].split()[1]
    assert capeff == "00000000a80425fb"  # Docker's default capability set
    assert out.splitlines()[1] == "lo"
    assert out.splitlines()[2] == "0"  # masked
    p = bb("run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname", check=False)
    assert p.returncode != 0  # read-only /proc/sys


def test_read_only_root(bb):
    p = bb("run", "--rm", "--read-only", "busybox", "touch", "/x", check=False)
    assert p.returncode != 0 and "Read-only file system" in p.stderr


def test_a_killed_monitor_is_noticed(bb):
    """The monitor dies before it can record the exit (kill -9): the next
    look at the container records exit code 255, and nothing hangs."""
    cid = bb.out("run", "-d", "busybox", "sleep", "1000").strip()
    pid = bb.inspect(cid)["State"]["Pid"]
    monitors = _monitor_pids(bb.root)
    assert len(monitors) == 1
    os.kill(monitors[0], 9)
    assert bb.out("wait", cid, timeout=20) == "255\n"
    state = bb.inspect(cid)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 255
    assert "monitor" in state["Error"]
    # the orphaned process was killed (it may linger as a zombie until
    # init reaps it: the monitor, its parent, is gone)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            break
        if state in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"container process {pid} still runs")
    bb("rm", cid)


def test_image_volumes_are_anonymous_volumes(berth, rootfs_tar):
    """VOLUME in an image: an anonymous volume holding the image's content at
    that path, mounted over it; rm keeps it unless -v, --rm removes it."""
    berth("import", "-c", "VOLUME /data", "-c", "VOLUME /etc", rootfs_tar, "vol")
    volumes = os.path.join(berth.root, "volumes")
    out = berth.out("run", "--name", "v1", "vol", "sh", "-c",
                    "grep -c ' /data ' /proc/self/mountinfo; cat /etc/passwd | head -1;"
                    " cat /etc/hostname; echo kept > /data/file")
    lines = out.splitlines()
    assert lines[0] == "1"
    assert lines[1].startswith("root:")           # the image's /etc, copied in
    assert lines[2] == berth.inspect("v1")["Config"]["Hostname"]  # not hidden by /etc
    mounts = berth.inspect("v1")["Mounts"]
    assert sorted(m["Destination"] for m in mounts) == ["/data", "/etc"]
    assert all(m["Type"] == "volume" and m["Driver"] == "local" and m["RW"] for m in mounts)
    data = [m for m in mounts if m["Destination"] == "/data"][0]
    assert open(os.path.join(data["Source"], "file")).read() == "kept\n"
    # a restart keeps what the volume holds
    assert berth.out("start", "-a", "v1") .splitlines()[0] == "1"
    berth("rm", "v1")
    assert len(os.listdir(volumes)) == 2          # docker rm keeps anonymous volumes
    berth("run", "--name", "v2", "vol", "true")
    berth("rm", "-v", "v2")
    assert len(os.listdir(volumes)) == 2          # -v removed v2's two
    berth("run", "--rm", "vol", "true")
    assert len(os.listdir(volumes)) == 2          # --rm removes them too


def test_concurrent_processes_share_a_root(bb):
    """Many berth processes at once on one root: every run gets its output
    and exit code, and of several creates with one name exactly one wins."""
    procs = [bb.popen("run", "--rm", "busybox", "sh", "-c", f"echo run{i}; exit {i}",
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(8)]
    racers = [bb.popen("create", "--name", "contested", "busybox", "true",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(6)]
    for i, p in enumerate(procs):
        out, err = p.communicate(timeout=120)
        assert (p.returncode, out) == (i, f"run{i}\n"), err
    results = [(p.wait(timeout=60), p.stderr.read()) for p in racers]
    assert sorted(code for code, _ in results) == [0] + [125] * 5
    assert all("already in use" in err for code, err in results if code)
    assert len(bb.out("ps", "-aq").split()) == 1


def test_runtime_configured_by_name(bb):
    import shutil
    crun = shutil.which("crun")
    p = bb("--add-runtime", f"myrt={crun}", "run", "--rm", "--runtime", "myrt",
           "busybox", "echo", "via myrt")
    assert p.stdout == "via myrt\n"
    cid = bb.out("--add-runtime", f"myrt={crun}", "create", "--runtime", "myrt",
                 "busybox", "true").strip()
    assert bb.inspect(cid)["HostConfig"]["Runtime"] == "myrt"
    # the path is recorded: a process without the flag can still start it
    bb("start", "-a", cid)
