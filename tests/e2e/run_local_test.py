#!/usr/bin/env python3
"""scripts/run-local as a supervisor (issue 19), against the real binaries of a build:

1. kill -9 of one service: run-local restarts it after 1 s, the rest keep serving, `status`
   shows the restart and the exit status; killed again at once, it waits 2 s (backoff);
2. `run-local restart cart` rebuilds cart and replaces its process alone: a new pid, the cart
   answers afterwards, and the gateway answered every product listing meanwhile;
3. SIGTERM stops everything: no service process left, the state file gone.

    tests/e2e/run_local_test.py --build-dir build
"""
import argparse
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_LOCAL = str(ROOT / "scripts/run-local")
failures = []


def check(condition: bool, what: str):
    print(("PASS  " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


def free_block(size: int = 24) -> int:
    """A base port whose block [base, base + size) is free (below the ephemeral range)."""
    for base in range(20000, 32000, 100):
        free = True
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    sys.exit("no free block of ports")


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


class Shop:
    def __init__(self, build_dir: str):
        self.data = Path(tempfile.mkdtemp(prefix="mercato-run-local-"))
        os.chmod(self.data, 0o755)  # PostgreSQL runs as the postgres user under root
        self.base = free_block()
        self.url = f"http://127.0.0.1:{self.base}"
        self.lines = []
        self.proc = subprocess.Popen(
            [RUN_LOCAL, "--base-port", str(self.base), "--data-dir", str(self.data),
             "--build-dir", build_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        threading.Thread(target=self.read_output, daemon=True).start()

    def pg_outside(self) -> str:
        """Where run-local keeps PostgreSQL's data when root's checkout is out of the postgres
        user's reach (scripts/run-local choose_pg_dir)."""
        digest = hashlib.sha256(str(self.data).encode()).hexdigest()[:12]
        return f"/var/tmp/mercato-{digest}"

    def read_output(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for_line(self, pattern: str, timeout: float, start: int = 0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines[start:]:
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        return None

    def state(self) -> dict:
        return json.loads((self.data / "run/state.json").read_text())

    def command(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run([RUN_LOCAL, "--data-dir", str(self.data), *args],
                              capture_output=True, text=True, timeout=300)

    def wait_for_new_pid(self, name: str, old: int, timeout: float):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid = self.state()["services"][name]["pid"]
            if pid not in (None, old):
                return pid
            time.sleep(0.1)
        return None


class Prober(threading.Thread):
    """GET /api/v1/products every 50 ms; counts answers that are not 200."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.ok, self.bad, self.running = url, 0, 0, True

    def run(self):
        while self.running:
            if get(self.url + "/api/v1/products?page_size=5") == 200:
                self.ok += 1
            else:
                self.bad += 1
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.join()


def killed_service_is_restarted_with_backoff(shop: Shop):
    first = shop.state()["services"]["payment"]["pid"]
    mark = len(shop.lines)
    os.kill(first, signal.SIGKILL)
    check(shop.wait_for_line(r"payment exited with status -9; restarting in 1 s", 10, mark)
          is not None, "a killed payment is restarted after 1 s")
    second = shop.wait_for_new_pid("payment", first, 15)
    check(second is not None, f"payment runs again as a new process (pid {first} -> {second})")
    check(shop.wait_for_line(r"payment started again \(restart 1", 10, mark) is not None,
          "the restart is logged and counted")
    deadline = time.time() + 30
    status = ""
    while time.time() < deadline:
        status = shop.command("status").stdout
        row = next((l for l in status.splitlines() if l.startswith("payment ")), "")
        if "serving" in row:
            break
        time.sleep(0.2)
    fields = row.split()
    check(fields[3:4] == ["serving"] and fields[5:7] == ["1", "-9"],
          f"`run-local status` shows payment serving, 1 restart, last exit -9: {row!r}")
    # Killed again straight away: the second restart in a row waits 2 s.
    mark = len(shop.lines)
    os.kill(second, signal.SIGKILL)
    check(shop.wait_for_line(r"payment exited with status -9; restarting in 2 s", 10, mark)
          is not None, "killed again within a minute, it waits 2 s (backoff)")
    check(shop.wait_for_new_pid("payment", second, 15) is not None, "and runs again")


def restart_replaces_one_process(shop: Shop):
    before = shop.state()["services"]
    prober = Prober(shop.url)
    prober.start()
    time.sleep(0.5)
    result = shop.command("restart", "cart")
    time.sleep(0.5)
    prober.stop()
    after = shop.state()["services"]
    check(result.returncode == 0, f"`run-local restart cart` succeeds: {result.stderr[-300:]}")
    check(after["cart"]["pid"] not in (None, before["cart"]["pid"]),
          f"cart is a new process ({before['cart']['pid']} -> {after['cart']['pid']})")
    others = [n for n in before if n != "cart"]
    check(all(after[n]["pid"] == before[n]["pid"] for n in others),
          "every other service kept its process")
    check(prober.bad == 0 and prober.ok > 0,
          f"the gateway answered every listing meanwhile ({prober.ok} x 200, {prober.bad} not)")
    check(get(shop.url + "/api/v1/cart") == 200, "the new cart process serves GET /api/v1/cart")


def sigterm_stops_everything(shop: Shop):
    pids = [s["pid"] for s in shop.state()["services"].values() if s["pid"]]
    os.kill(shop.proc.pid, signal.SIGTERM)
    try:
        status = shop.proc.wait(60)
    except subprocess.TimeoutExpired:
        status = None
    check(status == 0, f"SIGTERM: run-local exits 0 (got {status})")
    check(not any(pid_alive(p) for p in pids), "no service process is left")
    check(not (shop.data / "run/state.json").exists(), "the state file is removed")
    check(shop.command("status").returncode != 0, "`status` then says nothing runs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=str(ROOT / "build"))
    args = parser.parse_args()
    shop = Shop(str(Path(args.build_dir).resolve()))
    try:
        ready = shop.wait_for_line(r"Mercato is running", 180)
        check(ready is not None, "the shop starts")
        if ready:
            killed_service_is_restarted_with_backoff(shop)
            restart_replaces_one_process(shop)
            sigterm_stops_everything(shop)
    finally:
        if shop.proc.poll() is None:
            os.killpg(shop.proc.pid, signal.SIGTERM)
            shop.proc.wait(60)
        if failures:
            print("\n".join(["--- run-local output"] + shop.lines[-60:]))
        subprocess.run(["rm", "-rf", str(shop.data), shop.pg_outside()])
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
