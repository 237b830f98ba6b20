#!/usr/bin/env python3
"""Measures what one process of each service uses, idle and under a shop-like load: the
figures behind the requests, limits and HPA targets in deploy/k8s and helm/mercato
(docs/kubernetes.md, "Scaling"). Not part of `make test-deploy`: it needs built binaries.

    cmake -S . -B build-k8s -G Ninja -DCMAKE_BUILD_TYPE=Release -DMERCATO_BUILD_TESTS=OFF
    ninja -C build-k8s catalog cart user payment checkout gateway
    tests/deploy/measure.py --build-dir build-k8s --duration 60 --clients 8

Starts the suite with scripts/run-local on a block of ports of its own (--base-port, default 8380) and its
own data (--data-dir), drives it through the gateway with --clients simulated shoppers (browse,
look at a product, add to the cart, read the cart, sign in, check out), reads
process_resident_memory_bytes and process_cpu_seconds_total from every /metrics, and prints per
service: idle and peak RSS, CPU used, and CPU per 1000 gateway requests. The machine is
shared and noisy: compare services within one run, not runs with each other.
"""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC = json.loads((ROOT / "deploy/services.json").read_text())["services"]


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total"):
        m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M)
        out[name] = float(m.group(1)) if m else None
    return out


CHECKOUT = {
    "shipping_address": {"name": "Load", "line1": "1 Main St", "line2": "",
                         "city": "Springfield", "region": "IL", "postal_code": "62701",
                         "country": "US"},
    "payment": {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
                         "cvc": "123"}},
}


class Shopper(threading.Thread):
    """One signed-in customer doing what customers do, as fast as the shop answers."""

    def __init__(self, base, products, stop, stats):
        super().__init__(daemon=True)
        self.base, self.products, self.stop, self.stats = base, products, stop, stats
        self.email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        self.password = "correct horse battery staple"
        self.token = None
        self.cookie = None

    def call(self, method, path, body=None, auth=True, headers=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("Content-Type", "application/json")
        if auth and self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        route = re.sub(r"/[0-9a-f-]{36}", "/{id}", path.split("?")[0])
        start = time.time()
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                status, payload = r.status, r.read()
                cookie = r.headers.get("Set-Cookie")
        except urllib.error.HTTPError as e:
            status, payload, cookie = e.code, e.read(), None
        except Exception:  # noqa: BLE001 - a timeout or reset counts as a failure
            status, payload, cookie = 599, b"", None
        if cookie:
            self.cookie = cookie.split(";")[0]
        self.stats.record(f"{method} {route}", status, time.time() - start,
                          payload[:200] if status >= 400 else None)
        try:
            return status, json.loads(payload or b"null")
        except ValueError:
            return status, None

    def sign_up(self):
        self.call("POST", "/api/v1/users",
                  {"email": self.email, "password": self.password, "name": "Load"}, auth=False)
        self.sign_in()

    def sign_in(self):
        status, body = self.call("POST", "/api/v1/sessions",
                                 {"email": self.email, "password": self.password}, auth=False)
        if status == 200 and body:
            self.token = body["access_token"]

    def run(self):
        self.sign_up()
        while not self.stop.is_set():
            r = random.random()
            product = random.choice(self.products)
            if r < 0.35:
                self.call("GET", "/api/v1/products?page_size=20", auth=False)
            elif r < 0.55:
                self.call("GET", f"/api/v1/products/{product}", auth=False)
            elif r < 0.75:
                self.call("POST", "/api/v1/cart/items", {"product_id": product, "quantity": 1})
            elif r < 0.90:
                self.call("GET", "/api/v1/cart")
            elif r < 0.93:
                self.sign_in()  # a sign-in: argon2id, the user service's expensive call
            else:
                self.call("POST", "/api/v1/checkout", CHECKOUT,
                          headers={"Idempotency-Key": str(uuid.uuid4())})


class SignInLoop(threading.Thread):
    def __init__(self, shopper, stop):
        super().__init__(daemon=True)
        self.shopper, self.stop, self.count = shopper, stop, 0

    def run(self):
        while not self.stop.is_set():
            status, _ = self.shopper.call("POST", "/api/v1/sessions", {
                "email": self.shopper.email, "password": self.shopper.password}, auth=False)
            self.count += status == 200


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_route = {}

    def record(self, route, status, seconds, error=None):
        with self.lock:
            entry = self.by_route.setdefault(route, {"n": 0, "statuses": {}, "seconds": [],
                                                     "errors": {}})
            entry["n"] += 1
            if error is not None:
                entry["errors"].setdefault(status, error.decode(errors="replace"))
            entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
            entry["seconds"].append(seconds)

    def total(self):
        with self.lock:
            return sum(e["n"] for e in self.by_route.values())


def restock(base, products):
    """Plenty of stock, so that checkouts succeed for the whole run (run-local's admin)."""
    req = urllib.request.Request(base + "/api/v1/sessions", method="POST", data=json.dumps(
        {"email": "admin@mercato.local", "password": "mercato-admin"}).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        token = json.loads(r.read())["access_token"]
    for product in products:
        req = urllib.request.Request(base + f"/api/v1/admin/products/{product}", method="PATCH",
                                     data=json.dumps({"stock": 1000000}).encode())
        req.add_header("Authorization", f"Bearer {token}")
        urllib.request.urlopen(req, timeout=10).read()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default="build-k8s")
    parser.add_argument("--base-port", type=int, default=8380)
    parser.add_argument("--data-dir", default=".local/k8s-measure")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--signin-burst", type=float, default=15,
                        help="seconds of sign-ins only, 2 per client, at the end")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.base_port}"
    layout = json.loads(subprocess.run(
        [sys.executable, str(ROOT / "scripts/run-local"), "--base-port", str(args.base_port),
         "--print-ports"], capture_output=True, text=True, check=True).stdout)
    admin = {name: layout[name]["admin_port"] for name in SPEC}

    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    log = open(Path(args.data_dir) / "measure-run-local.log", "w")
    suite = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/run-local"), "--base-port", str(args.base_port),
         "--data-dir", args.data_dir, "--build-dir", args.build_dir],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 180
        while True:
            if suite.poll() is not None:
                sys.exit(f"measure: run-local exited; see {log.name}")
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:  # noqa: BLE001 - not up yet
                pass
            if time.time() > deadline:
                sys.exit("measure: the suite did not get ready in 180 s")
            time.sleep(0.5)
        with urllib.request.urlopen(base + "/api/v1/products?page_size=100", timeout=10) as r:
            products = [p["id"] for p in json.loads(r.read())["products"]]
        restock(base, products)
        time.sleep(5)
        idle = {name: metrics(port) for name, port in admin.items()}

        stats, stop = Stats(), threading.Event()
        shoppers = [Shopper(base, products, stop, stats) for _ in range(args.clients)]
        for s in shoppers:
            s.start()
        time.sleep(5)  # sign-ups and connection pools warm up before the clock starts
        start_metrics = {name: metrics(port) for name, port in admin.items()}
        start_requests, start = stats.total(), time.time()
        peak = {name: m["process_resident_memory_bytes"] for name, m in start_metrics.items()}
        while time.time() - start < args.duration:
            time.sleep(2)
            for name, port in admin.items():
                rss = metrics(port)["process_resident_memory_bytes"]
                peak[name] = max(peak[name], rss)
        end_metrics = {name: metrics(port) for name, port in admin.items()}
        elapsed, requests = time.time() - start, stats.total() - start_requests
        stop.set()
        for s in shoppers:
            s.join(20)
        loadavg = os.getloadavg()
        # The user service's worst case for memory: many sign-ins at once (argon2id takes
        # 19 MiB per hash, one per busy worker thread).
        burst_stop = threading.Event()
        burst_peak = metrics(admin["user"])["process_resident_memory_bytes"]
        burst_cpu = metrics(admin["user"])["process_cpu_seconds_total"]
        burst_start = time.time()
        signers = [SignInLoop(s, burst_stop) for s in shoppers * 2]
        for t in signers:
            t.start()
        while time.time() - burst_start < args.signin_burst:
            time.sleep(1)
            burst_peak = max(burst_peak, metrics(admin["user"])["process_resident_memory_bytes"])
        burst_stop.set()
        for t in signers:
            t.join(20)
        burst_elapsed = time.time() - burst_start
        burst_cpu = metrics(admin["user"])["process_cpu_seconds_total"] - burst_cpu
        sign_ins = sum(t.count for t in signers)
    finally:
        suite.send_signal(signal.SIGTERM)
        try:
            suite.wait(60)
        except subprocess.TimeoutExpired:
            suite.kill()

    results = {"duration_s": round(elapsed, 1), "clients": args.clients,
               "gateway_requests": requests, "requests_per_s": round(requests / elapsed, 1),
               "loadavg": [round(x, 1) for x in loadavg], "services": {}, "routes": {}}
    print(f"\n{requests} gateway requests in {elapsed:.0f} s ({requests / elapsed:.0f}/s) from "
          f"{args.clients} clients; machine load average {loadavg[0]:.1f}")
    print(f"{'service':9s} {'idle RSS':>9s} {'peak RSS':>9s} {'CPU cores':>9s} "
          f"{'CPU ms/1000 req':>15s}")
    for name in admin:
        cpu = end_metrics[name]["process_cpu_seconds_total"] - \
            start_metrics[name]["process_cpu_seconds_total"]
        row = {"idle_rss_mib": round(idle[name]["process_resident_memory_bytes"] / 2**20, 1),
               "peak_rss_mib": round(peak[name] / 2**20, 1),
               "cpu_cores": round(cpu / elapsed, 3),
               "cpu_ms_per_1000_requests": round(cpu * 1000 / max(requests, 1) * 1000, 1)}
        results["services"][name] = row
        print(f"{name:9s} {row['idle_rss_mib']:8.1f}M {row['peak_rss_mib']:8.1f}M "
              f"{row['cpu_cores']:9.3f} {row['cpu_ms_per_1000_requests']:15.1f}")
    results["signin_burst"] = {
        "seconds": round(burst_elapsed, 1), "concurrency": len(signers), "sign_ins": sign_ins,
        "user_peak_rss_mib": round(burst_peak / 2**20, 1),
        "user_cpu_ms_per_sign_in": round(burst_cpu * 1000 / max(sign_ins, 1), 1)}
    print(f"\nsign-in burst: {len(signers)} concurrent for {burst_elapsed:.0f} s: {sign_ins} "
          f"sign-ins, user peak RSS {burst_peak / 2**20:.1f}M, "
          f"{burst_cpu * 1000 / max(sign_ins, 1):.0f} CPU ms per sign-in")
    print("\nroutes:")
    for route, e in sorted(stats.by_route.items()):
        lat = sorted(e["seconds"])
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        results["routes"][route] = {"n": e["n"], "statuses": e["statuses"],
                                    "p50_ms": round(p50 * 1000, 1), "p99_ms": round(p99 * 1000, 1)}
        print(f"  {route:32s} {e['n']:6d}  {dict(sorted(e['statuses'].items()))}  "
              f"p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms")
        for status, body in sorted(e["errors"].items()):
            print(f"      {status}: {body}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
