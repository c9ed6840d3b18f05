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
