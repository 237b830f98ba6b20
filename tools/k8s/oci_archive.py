#!/usr/bin/env python3
"""Writes a one-layer OCI image archive that `ctr images import` reads, from files on this host.

The local cluster has no registry to pull from, so its few infrastructure images (the pause
container, CoreDNS, metrics-server, a busybox for test pods) are made here from static binaries:

  oci_archive.py OUT.tar REF --file /pause=build/pause [--symlink /bin/sh=busybox]
                 [--entrypoint /pause] [--cmd /bin/sh] [--user 65532:65532]
"""
import argparse
import hashlib
import io
import json
import tarfile

EPOCH = 0  # every entry has the same mtime: the same inputs give the same digests


def parent_dirs(paths):
    dirs = set()
    for path in paths:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs)


def layer_tar(files, symlinks):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in parent_dirs(list(files) + list(symlinks)):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            tar.addfile(info)
        for dst, src in sorted(files.items()):
            info = tar.gettarinfo(src, arcname=dst.strip("/"))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = EPOCH
            with open(src, "rb") as f:
                tar.addfile(info, f)
        for dst, target in sorted(symlinks.items()):
            info = tarfile.TarInfo(dst.strip("/"))
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, EPOCH
            tar.addfile(info)
    return buf.getvalue()


def descriptor(media_type, data):
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
            "size": len(data)}


def image_blobs(layer, entrypoint, cmd, user):
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": entrypoint, "Cmd": cmd, "User": user,
                   "Env": ["PATH=/bin:/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [descriptor("", layer)["digest"]]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", layer)],
    }, sort_keys=True).encode()
    return config, manifest


def write_archive(out, ref, layer, config, manifest):
    index = json.dumps({"schemaVersion": 2, "manifests": [dict(
        descriptor("application/vnd.oci.image.manifest.v1+json", manifest),
        annotations={"io.containerd.image.name": ref,
                     "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]})]}).encode()
    with tarfile.open(out, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), EPOCH
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for blob in (layer, config, manifest):
            add("blobs/sha256/" + hashlib.sha256(blob).hexdigest(), blob)


def pairs(values):
    return dict(v.split("=", 1) for v in values or [])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("ref", help="image name with tag, e.g. localhost/mercato-k8s/pause:local")
    p.add_argument("--file", action="append", help="DST=SRC: host file SRC at DST in the image")
    p.add_argument("--symlink", action="append", help="DST=TARGET")
    p.add_argument("--entrypoint", action="append")
    p.add_argument("--cmd", action="append")
    p.add_argument("--user", default="")
    a = p.parse_args()
    layer = layer_tar(pairs(a.file), pairs(a.symlink))
    config, manifest = image_blobs(layer, a.entrypoint, a.cmd, a.user)
    write_archive(a.out, a.ref, layer, config, manifest)


if __name__ == "__main__":
    main()
