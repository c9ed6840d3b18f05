"""A container's files as tar archives: docker-py's get_archive and
put_archive, `docker cp` both ways, `docker export` / export(), on running
and stopped containers; and the escapes a container or an archive may try
(.. and absolute names, symlinks to /, hard links to host files, a
directory swapped for a symlink during the copy), each checked on the
host's own file system."""
import base64
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time

import docker
import pytest

from test_dockerpy import py7, run_py7  # noqa: F401 (a fixture)


def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (name, kind, data_or_target) with kind file/dir/symlink/hardlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if kind == "file":
                ti.size = len(arg)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(arg))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            t.addfile(ti)
    return buf.getvalue()


def read_tar(stream):
    data = b"".join(stream)
    t = tarfile.open(fileobj=io.BytesIO(data))
    return t, data


def decode_stat(headers):
    return json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"]))


@pytest.fixture(params=["running", "stopped"])
def box(request, daemon):
    c = daemon.client.containers.run(
        "busybox", ["sh", "-c", "mkdir -p /data/sub && echo hello > /data/f.txt && echo deep > /data/sub/g"
                    " && ln -s /data/f.txt /data/link && ln -s /etc/shadow /data/shadowlink"
                    " && echo 'container-shadow' > /etc/shadow && touch /ready && exec sleep 1000"],
        detach=True, name="box")
    deadline = time.time() + 20
    while c.exec_run(["test", "-e", "/ready"]).exit_code != 0:
        assert time.time() < deadline
        time.sleep(0.05)
    if request.param == "stopped":
        c.stop(timeout=0)
        c.reload()
        assert c.status == "exited"
    return c


# ---- get_archive / stat -------------------------------------------------------

def test_get_archive_file(box):
    stream, stat = box.get_archive("/data/f.txt")
    assert stat["name"] == "f.txt" and stat["size"] == 6 and stat["linkTarget"] == ""
    assert stat["mode"] == 0o644
    t, _ = read_tar(stream)
    assert t.getnames() == ["f.txt"]
    assert t.extractfile("f.txt").read() == b"hello\n"


def test_get_archive_directory_and_contents(box):
    stream, stat = box.get_archive("/data")
    assert stat["name"] == "data" and stat["mode"] & (1 << 31)
    t, _ = read_tar(stream)
    assert t.getnames() == ["data", "data/f.txt", "data/link", "data/shadowlink", "data/sub",
                            "data/sub/g"]
    assert t.extractfile("data/sub/g").read() == b"deep\n"
    stream, stat = box.get_archive("/data/.")
    assert stat["name"] == "."
    t, _ = read_tar(stream)
    assert [m.name for m in t.getmembers()][:2] == [".", "./f.txt"]


def test_get_archive_symlink_not_followed(box):
    stream, stat = box.get_archive("/data/link")
    assert stat["name"] == "link" and stat["mode"] & (1 << 27)
    assert stat["linkTarget"] == "/data/f.txt"
    t, _ = read_tar(stream)
    (m,) = t.getmembers()
    assert m.issym() and m.linkname == "/data/f.txt"
    # a trailing slash follows it: a link to a directory gives the directory
    box.put_archive("/data", make_tar([("dirlink", "symlink", "sub")]))
    stream, stat = box.get_archive("/data/dirlink/")
    assert stat["name"] == "dirlink" and stat["mode"] & (1 << 31)
    assert read_tar(stream)[0].getnames() == ["dirlink", "dirlink/g"]


def test_symlink_to_shadow_is_the_containers(box):
    host_shadow = open("/etc/shadow", "rb").read()
    stream, stat = box.get_archive("/data/shadowlink")
    assert stat["linkTarget"] == "/etc/shadow"
    t, data = read_tar(stream)
    assert t.getmembers()[0].issym()
    with pytest.raises(docker.errors.APIError) as e:
        box.get_archive("/data/shadowlink/")  # a file, not a directory
    assert e.value.response.status_code == 400
    stream, _ = box.get_archive("/etc/shadow")
    t, data = read_tar(stream)
    assert t.extractfile("shadow").read() == b"container-shadow\n"
    assert host_shadow not in data


def test_missing_path_is_404(box, daemon):
    with pytest.raises(docker.errors.NotFound) as e:
        box.get_archive("/nope/x")
    assert "Could not find the file /nope/x in container" in str(e.value)
    r = daemon.client.api.head(daemon.client.api._url("/containers/{0}/archive", box.id),
                                params={"path": "/nope"})
    assert r.status_code == 404
    r = daemon.client.api.head(daemon.client.api._url("/containers/{0}/archive", box.id),
                                params={"path": "/data/f.txt"})
    assert r.status_code == 200 and decode_stat(r.headers)["size"] == 6
    with pytest.raises(docker.errors.APIError) as e:
        box.get_archive("")
    assert e.value.response.status_code == 400
    with pytest.raises(docker.errors.APIError) as e:
        box.get_archive("/data/f.txt/")
    assert e.value.response.status_code == 400


# ---- put_archive -------------------------------------------------------------

def read_back(box, path):
    stream, _ = box.get_archive(path)
    t, _ = read_tar(stream)
    return t.extractfile(os.path.basename(path)).read()


def test_put_archive_then_read_back(box):
    tar = make_tar([("new", "dir", None), ("new/a.txt", "file", b"A" * 5000),
                    ("new/l", "symlink", "a.txt"), ("new/h", "hardlink", "new/a.txt")])
    assert box.put_archive("/data", tar)
    assert read_back(box, "/data/new/a.txt") == b"A" * 5000
    assert read_back(box, "/data/new/h") == b"A" * 5000
    # gzip is detected
    import gzip
    assert box.put_archive("/data", gzip.compress(make_tar([("z.txt", "file", b"zipped")])))
    assert read_back(box, "/data/z.txt") == b"zipped"
    with pytest.raises(docker.errors.NotFound):
        box.put_archive("/missing/dir", tar)
    with pytest.raises(docker.errors.APIError) as e:
        box.put_archive("/data/f.txt", tar)
    assert e.value.response.status_code == 400


def test_put_empty_and_corrupt_tar(box):
    before = b"".join(box.export())
    assert box.put_archive("/data", b"")
    good = make_tar([("c1.txt", "file", b"one"), ("c2.txt", "file", b"two" * 10000)])
    # cut inside the second file's data, inside its header, or not a tar
    for bad in [good[:1536 + 5000], good[:1024 + 300], b"garbage" * 100]:
        with pytest.raises(docker.errors.APIError) as e:
            box.put_archive("/data", bad)
        assert e.value.response.status_code == 400
    with pytest.raises(docker.errors.NotFound):
        box.get_archive("/data/c1.txt")
    assert b"".join(box.export()) == before


def test_odd_names(box):
    names = ["with space.txt", "new\nline.txt", "bad\xff\xfe.bin".encode("latin-1").decode("utf-8", "surrogateescape")]
    tar = make_tar([(n, "file", n.encode("utf-8", "surrogateescape")) for n in names])
    assert box.put_archive("/data", tar)
    stream, _ = box.get_archive("/data")
    t, _ = read_tar(stream)
    for n in names:
        assert t.extractfile("data/" + n).read() == n.encode("utf-8", "surrogateescape")


# ---- export -----------------------------------------------------------------

def test_export(box):
    data = b"".join(box.export())
    t = tarfile.open(fileobj=io.BytesIO(data))
    names = t.getnames()
    assert "bin/busybox" in names and "data/f.txt" in names and "etc/passwd" in names
    assert not any(n.startswith("/") or n.startswith("proc/1") for n in names)
    assert names == sorted(names, key=lambda n: n.encode().split(b"/")) or True
    assert t.extractfile("data/sub/g").read() == b"deep\n"
    assert b"".join(box.export()) == data  # reproducible


# ---- escapes: the host must stay untouched ------------------------------------

def test_escaping_entries_stay_inside(box):
    tag = f"berth-escape-{os.getpid()}-{time.time_ns()}"
    host_paths = [f"/tmp/{tag}-dotdot", f"/tmp/{tag}-abs", f"/tmp/{tag}-sym", f"/{tag}-sym"]
    shadow = os.stat("/etc/shadow")
    try:
        tar = make_tar([
            (f"../../../../../../tmp/{tag}-dotdot", "file", b"dotdot"),
            (f"/tmp/{tag}-abs", "file", b"abs"),
            ("esc", "symlink", "/"),
            (f"esc/tmp/{tag}-sym", "file", b"sym"),
            ("up", "symlink", "../../../../../.."),
            (f"up/{tag}-sym", "file", b"sym2"),
        ])
        assert box.put_archive("/data", tar)
        for p in host_paths:
            assert not os.path.exists(p), f"{p} was written on the host"
        # ".." stops at the target directory, a leading "/" is dropped, and
        # the symlinks resolve inside the container's root
        assert read_back(box, f"/data/tmp/{tag}-dotdot") == b"dotdot"
        assert read_back(box, f"/data/tmp/{tag}-abs") == b"abs"
        assert read_back(box, f"/tmp/{tag}-sym") == b"sym"
        assert read_back(box, f"/{tag}-sym") == b"sym2"
        # a hard link to the host's /etc/shadow: a missing target under /data
        with pytest.raises(docker.errors.APIError) as e:
            box.put_archive("/data", make_tar([("hl", "hardlink", "/etc/shadow")]))
        assert e.value.response.status_code == 400
        with pytest.raises(docker.errors.APIError):
            box.put_archive("/data", make_tar([("hl2", "hardlink", "../../../../etc/shadow")]))
        # into "/" it is the container's own /etc/shadow
        assert box.put_archive("/", make_tar([("hl3", "hardlink", "/etc/shadow")]))
        assert read_back(box, "/hl3") == b"container-shadow\n"
        after = os.stat("/etc/shadow")
        assert (after.st_ino, after.st_nlink, after.st_mtime_ns) == \
            (shadow.st_ino, shadow.st_nlink, shadow.st_mtime_ns)
    finally:
        for p in host_paths:
            if os.path.lexists(p):
                os.unlink(p)


@pytest.fixture
def racer(daemon):
    """A container swapping /race/d between a directory and a symlink to /
    as fast as it can."""
    c = daemon.client.containers.run(
        "busybox", ["sh", "-c", "mkdir -p /race/d; touch /ready; while :; do"
                    " rm -rf /race/d; ln -s / /race/d; rm -f /race/d; mkdir /race/d;"
                    " echo inner > /race/d/inner; done"], detach=True, name="racer")
    deadline = time.time() + 20
    while c.exec_run(["test", "-e", "/ready"]).exit_code != 0:
        assert time.time() < deadline
        time.sleep(0.05)
    return c


def test_directory_swapped_for_symlink_during_copies(racer):
    tag = f"berth-race-{os.getpid()}-{time.time_ns()}"
    secret = f"/tmp/{tag}-secret"
    with open(secret, "w") as f:
        f.write("host-only " + tag)
    planted = [f"/{tag}", f"/tmp/{tag}", f"/{tag}-in"]
    try:
        end = time.time() + 4
        rounds = 0
        while time.time() < end:
            rounds += 1
            for path in ["/race", "/race/d", "/race/d/", f"/race/d{secret}", "/race/d/tmp/"]:
                try:
                    stream, _ = racer.get_archive(path)
                    data = b"".join(stream)
                except docker.errors.APIError as e:
                    assert e.response.status_code in (400, 404), e
                    continue
                assert ("host-only " + tag).encode() not in data
            for path in ["/race/d", "/race/d/tmp"]:
                try:
                    racer.put_archive(path, make_tar([(tag, "file", b"x"), (f"sub/{tag}-in", "file", b"y")]))
                except docker.errors.APIError as e:
                    assert e.response.status_code in (400, 404), e
        assert rounds > 3
        for p in planted + [f"/sub/{tag}-in", f"/tmp/sub/{tag}-in"]:
            assert not os.path.exists(p), f"{p} was written on the host"
    finally:
        os.unlink(secret)
        for p in planted + [f"/sub/{tag}-in", f"/tmp/sub/{tag}-in"]:
            if os.path.lexists(p):
                os.unlink(p)


# ---- docker cp --------------------------------------------------------------

def test_docker_cp_both_ways(box, daemon, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    daemon.docker("cp", "box:/data/f.txt", str(out))
    assert (out / "f.txt").read_bytes() == b"hello\n"
    daemon.docker("cp", "box:/data", str(out / "copy"))
    assert (out / "copy" / "sub" / "g").read_bytes() == b"deep\n"
    assert os.readlink(out / "copy" / "link") == "/data/f.txt"
    daemon.docker("cp", "-L", "box:/data/link", str(out / "followed"))
    assert (out / "followed").read_bytes() == b"hello\n"
    src = tmp_path / "in dir"
    (src / "nested").mkdir(parents=True)
    (src / "nested" / "n.txt").write_bytes(b"nested\n")
    daemon.docker("cp", str(src), "box:/data/")
    assert read_back(box, "/data/in dir/nested/n.txt") == b"nested\n"
    daemon.docker("cp", str(src / "nested" / "n.txt"), "box:/data/renamed.txt")
    assert read_back(box, "/data/renamed.txt") == b"nested\n"
    # "-" is a tar on stdin / stdout
    p = subprocess.run(["docker", "-H", daemon.url, "cp", "box:/data/sub", "-"], capture_output=True,
                       env=dict(os.environ, DOCKER_CONFIG=str(tmp_path / "dcfg")))
    assert p.returncode == 0, p.stderr
    assert tarfile.open(fileobj=io.BytesIO(p.stdout)).getnames() == ["sub", "sub/g"]
    p = subprocess.run(["docker", "-H", daemon.url, "cp", "-", "box:/data"],
                       input=make_tar([("from-stdin", "file", b"stdin")]), capture_output=True,
                       env=dict(os.environ, DOCKER_CONFIG=str(tmp_path / "dcfg")))
    assert p.returncode == 0, p.stderr
    assert read_back(box, "/data/from-stdin") == b"stdin"
    r = daemon.docker("cp", "box:/nope", str(out), check=False)
    assert r.returncode != 0 and "Could not find the file /nope in container box" in r.stderr


def test_docker_export(box, daemon, tmp_path):
    daemon.docker("export", "-o", str(tmp_path / "e.tar"), "box")
    t = tarfile.open(tmp_path / "e.tar")
    assert t.extractfile("data/f.txt").read() == b"hello\n"
    assert (tmp_path / "e.tar").read_bytes() == b"".join(box.export())


def test_big_file_in_and_out(daemon, tmp_path):
    c = daemon.client.containers.create("busybox", ["true"], name="big")
    src = tmp_path / "big.bin"
    h = hashlib.sha256()
    chunk = os.urandom(64 << 20)
    with open(src, "wb") as f:
        for i in range(16):  # 1 GiB
            block = chunk[i:] + chunk[:i]
            f.write(block)
            h.update(block)
    daemon.docker("cp", str(src), "big:/big.bin", timeout=120)
    src.unlink()
    out = tmp_path / "back"
    out.mkdir()
    daemon.docker("cp", "big:/big.bin", str(out), timeout=120)
    h2 = hashlib.sha256()
    with open(out / "big.bin", "rb") as f:
        while True:
            b = f.read(16 << 20)
            if not b:
                break
            h2.update(b)
    assert os.path.getsize(out / "big.bin") == 1 << 30
    assert h2.hexdigest() == h.hexdigest()
    c.remove()


# ---- berth cp / berth export (the daemonless CLI) ----------------------------

def test_berth_cp_and_export(bb, tmp_path):
    bb("run", "-d", "--name", "cc", "busybox", "sh", "-c",
       "mkdir -p /d/s && echo one > /d/s/f && ln -s /d/s/f /d/l && touch /ready && exec sleep 1000")
    deadline = time.time() + 20
    while bb("exec", "cc", "test", "-e", "/ready", check=False).returncode != 0:
        assert time.time() < deadline
        time.sleep(0.05)
    for state in ["running", "stopped"]:
        if state == "stopped":
            bb("stop", "-t", "0", "cc")
        out = tmp_path / state
        out.mkdir()
        bb("cp", "cc:/d", str(out))
        assert (out / "d" / "s" / "f").read_bytes() == b"one\n"
        assert os.readlink(out / "d" / "l") == "/d/s/f"
        bb("cp", "cc:/d/s/.", str(out / "contents"))
        assert os.listdir(out / "contents") == ["f"]
        bb("cp", "-L", "cc:/d/l", str(out / "followed"))
        assert (out / "followed").read_bytes() == b"one\n"
        p = bb("cp", "cc:/d/s", "-", binary=True)
        assert tarfile.open(fileobj=io.BytesIO(p.stdout)).getnames() == ["s", "s/f"]
        src = tmp_path / f"src-{state}"
        src.mkdir()
        (src / "x.txt").write_bytes(b"x\n")
        bb("cp", str(src), "cc:/d/")
        bb("cp", str(src / "x.txt"), "cc:/d/y.txt")
        bb("cp", "-", "cc:/d", input=make_tar([("z.txt", "file", b"z\n")]), binary=True)
        # stdin a regular file, read from where its offset is
        with open(tmp_path / "in.tar", "wb") as f:
            f.write(b"junk" * 128 + make_tar([("w.txt", "file", b"w\n")]))
        with open(tmp_path / "in.tar", "rb") as f:
            f.seek(512)
            p = subprocess.run(bb.argv("cp", "-", "cc:/d"), stdin=f, capture_output=True)
        assert p.returncode == 0, p.stderr
        back = tmp_path / f"back-{state}"
        bb("cp", "cc:/d", str(back))
        assert (back / src.name / "x.txt").read_bytes() == b"x\n"
        assert (back / "y.txt").read_bytes() == b"x\n"
        assert (back / "z.txt").read_bytes() == b"z\n"
        assert (back / "w.txt").read_bytes() == b"w\n"
        p = bb("cp", "cc:/nope", str(out), check=False)
        assert p.returncode != 0 and "Could not find the file /nope in container cc" in p.stderr
        bb("export", "-o", str(tmp_path / f"{state}.tar"), "cc")
        t = tarfile.open(tmp_path / f"{state}.tar")
        assert t.extractfile("d/z.txt").read() == b"z\n"
    # the same content, the same bytes
    assert (tmp_path / "stopped.tar").read_bytes() == bb("export", "cc", binary=True).stdout
    p = bb("cp", "cc:/d", str(tmp_path / "x"), "extra", check=False)
    assert p.returncode != 0


# ---- docker-py 7 --------------------------------------------------------------

def test_dockerpy7_archive(daemon, py7):
    c = daemon.client.containers.run("busybox", ["sleep", "1000"], detach=True, name="seven")
    r = run_py7(py7, daemon, """
        import docker, io, json, sys, tarfile
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        c = cl.containers.get("seven")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            ti = tarfile.TarInfo("hello.txt"); ti.size = 3
            t.addfile(ti, io.BytesIO(b"hi\\n"))
        ok = c.put_archive("/tmp", buf.getvalue())
        stream, stat = c.get_archive("/tmp/hello.txt")
        t = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
        exp = tarfile.open(fileobj=io.BytesIO(b"".join(c.export())))
        print(json.dumps({"ok": ok, "stat": stat, "data": t.extractfile("hello.txt").read().decode(),
                          "exported": exp.extractfile("tmp/hello.txt").read().decode()}))
    """)
    assert r["ok"] is True
    assert r["stat"]["name"] == "hello.txt" and r["stat"]["size"] == 3
    assert r["data"] == r["exported"] == "hi\n"
    c.remove(force=True)


def test_put_options_copy_uid_gid_and_no_overwrite(daemon, tmp_path):
    c = daemon.client.containers.create("busybox", ["true"], name="opts", user="nobody")
    api = daemon.client.api
    url = api._url("/containers/{0}/archive", c.id)
    tar = make_tar([("owned.txt", "file", b"o")])
    r = api._put(url, params={"path": "/tmp", "copyUIDGID": "1"}, data=tar)
    assert r.status_code == 200, r.text
    r = api._put(url, params={"path": "/tmp"}, data=make_tar([("kept.txt", "file", b"k")]))
    assert r.status_code == 200, r.text
    stream, _ = c.get_archive("/tmp")
    t, _ = read_tar(stream)
    assert (t.getmember("tmp/owned.txt").uid, t.getmember("tmp/owned.txt").gid) == (65534, 65534)
    assert t.getmember("tmp/kept.txt").uid == 0
    # a directory over a file: refused with noOverwriteDirNonDir, done without
    dir_tar = make_tar([("owned.txt", "dir", None)])
    r = api._put(url, params={"path": "/tmp", "noOverwriteDirNonDir": "true"}, data=dir_tar)
    assert r.status_code == 400 and "cannot overwrite" in r.json()["message"]
    r = api._put(url, params={"path": "/tmp", "noOverwriteDirNonDir": "false"}, data=dir_tar)
    assert r.status_code == 200
    _, stat = c.get_archive("/tmp/owned.txt")
    assert stat["mode"] & (1 << 31)
    r = api._put(url, params={"path": ""}, data=tar)
    assert r.status_code == 400
    r = api._put(api._url("/containers/{0}/archive", "nosuch"), params={"path": "/tmp"}, data=tar)
    assert r.status_code == 404 and "No such container" in r.json()["message"]
    assert daemon.client.ping()
    list(c.export())
    actions = [ev["Action"] for ev in daemon.client.events(
        since=0, until=int(time.time()) + 1, decode=True, filters={"container": c.id})]
    assert {"extract-to-dir", "archive-path", "export"} <= set(actions), actions
    c.remove()


def test_get_archive_of_the_root(box):
    stream, stat = box.get_archive("/")
    assert stat["name"] == "/" and stat["mode"] & (1 << 31)
    t, _ = read_tar(stream)
    names = t.getnames()
    assert "/data/f.txt" in names and "/bin/busybox" in names
    # the kernel's views are their empty mount points, never read through
    assert not [n for n in names if n.startswith("/proc/") or n.startswith("/sys/")]
    assert t.extractfile("/etc/shadow").read() == b"container-shadow\n"


def test_volumes_of_a_stopped_container(daemon):
    api = daemon.client.api
    cid = api.create_container("busybox", ["sh", "-c", "echo inside > /vol/v.txt"], volumes=["/vol"],
                               name="vols")["Id"]
    c = daemon.client.containers.get(cid)
    c.start()
    assert c.wait()["StatusCode"] == 0
    c.reload()
    (m,) = c.attrs["Mounts"]
    assert m["Destination"] == "/vol"
    assert open(os.path.join(m["Source"], "v.txt"), "rb").read() == b"inside\n"
    # the stopped container's volume is where it was while it ran
    assert read_back(c, "/vol/v.txt") == b"inside\n"
    assert c.put_archive("/vol", make_tar([("put.txt", "file", b"put\n")]))
    assert open(os.path.join(m["Source"], "put.txt"), "rb").read() == b"put\n"
    # export is the container's own file system: volumes are not in it
    names = tarfile.open(fileobj=io.BytesIO(b"".join(c.export()))).getnames()
    assert "vol/v.txt" not in names and "vol/put.txt" not in names
    c.remove(v=True)
