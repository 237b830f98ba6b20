#!/usr/bin/env python3
"""The observability stage (issue #8, test 5): the shipped Prometheus and Grafana files, and a
real Prometheus scraping the whole shop during an end-to-end run.

Static:
  - deploy/observability/build --check (the chart ships the current files)
  - promtool check config / check rules on the shipped files, promtool test rules on
    tests/observability/rules_test.yaml
  - every Grafana dashboard parses and has queries
Live (scripts/run-local on free ports, Debian's prometheus scraping every service each second,
with the shipped rules loaded):
  - traffic through the gateway: browsing, sign-up and sign-in, carts, checkouts (one declined)
  - PromQL over the HTTP API: exact request counts per route, the orders counter equals the
    orders placed, revenue equals their totals, payments by outcome, a shipment packed and an
    email queued per paid order (the workers), every target up
  - every recording and alerting rule evaluates without error
  - every metric a dashboard (or rule) queries is one Prometheus scraped
  - payment stopped (SIGSTOP): checkout's breaker to payment opens and Prometheus shows it (the
    overview dashboard's breaker panel and the MercatoCircuitBreakerOpen expression)

    tests/observability/run                       (MERCATO_BUILD_DIR, default build)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
OBS = ROOT / "deploy/observability"
BUILD = Path(os.environ.get("MERCATO_BUILD_DIR", ROOT / "build")).resolve()
SPEC = json.loads((ROOT / "deploy/services.json").read_text())["services"]
SERVICES = list(SPEC)

failures = []


def log(msg):
    print(f"observability: {msg}", flush=True)


def check(ok, what):
    if ok:
        log(f"ok   {what}")
    else:
        log(f"FAIL {what}")
        failures.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# --- static checks --------------------------------------------------------------------------

def static_checks():
    r = run([str(OBS / "build"), "--check"])
    check(r.returncode == 0, "the chart's copies match deploy/observability " + r.stderr.strip())
    r = run(["promtool", "check", "config", str(OBS / "prometheus.yml")])
    check(r.returncode == 0, "promtool check config deploy/observability/prometheus.yml"
          + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    rules = sorted(str(p) for p in (OBS / "rules").glob("*.yaml"))
    r = run(["promtool", "check", "rules", *rules])
    check(r.returncode == 0, f"promtool check rules ({len(rules)} files)"
          + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    r = run(["promtool", "test", "rules", str(ROOT / "tests/observability/rules_test.yaml")])
    check(r.returncode == 0, "promtool test rules tests/observability/rules_test.yaml"
          + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    dashboards = {}
    for path in sorted((OBS / "dashboards").glob("*.json")):
        try:
            d = json.loads(path.read_text())
        except ValueError as e:
            check(False, f"{path.name} parses: {e}")
            continue
        exprs = [t["expr"] for p in d.get("panels", []) for t in p.get("targets", [])]
        check(bool(d.get("uid")) and bool(d.get("title")) and len(exprs) > 0,
              f"{path.name} parses: '{d.get('title')}', {len(exprs)} queries")
        dashboards[path.name] = exprs
    check(len(dashboards) >= 2, "an overview and a business dashboard")
    return dashboards


# PromQL words that are not metric names.
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "bool", "offset", "rate", "irate", "increase", "delta", "idelta",
    "deriv", "changes", "resets", "histogram_quantile", "clamp_min", "clamp_max", "clamp", "abs",
    "absent", "absent_over_time", "avg_over_time", "max_over_time", "min_over_time",
    "sum_over_time", "count_over_time", "last_over_time", "label_replace", "label_join", "vector",
    "scalar", "time", "timestamp", "round", "ceil", "floor", "sort", "sort_desc", "predict_linear",
    "inf", "nan", "e", "s", "m", "h", "d", "w", "y", "ms",
}


def metric_names(expr):
    """The metric names a PromQL expression selects (Grafana variables allowed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    e = re.sub(r"\{[^}]*\}", "", e)                       # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                      # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\w+", "", e)                           # $__rate_interval, ...
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        if word.lower() in PROMQL_WORDS:
            continue
        # A function call is followed by "(".
        rest = e[m.end():].lstrip()
        if rest.startswith("("):
            continue
        names.add(word)
    return names


# --- the live run ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports_free(ports):
    for p in ports:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


def layout(base):
    """The ports scripts/run-local gives every process for this base port."""
    return json.loads(subprocess.run(
        [str(ROOT / "scripts/run-local"), "--base-port", str(base), "--print-ports"],
        capture_output=True, text=True, check=True).stdout)


def choose_base_port():
    """A gateway port whose whole block of run-local ports is free."""
    for _ in range(10):
        # Blocks of 30 from 17080 down, away from the copies people start by hand (8180, ...).
        for base in range(17080, 9080, -30):
            ports = layout(base)
            flat = [ports.pop("postgres"), ports.pop("redis")]
            for p in ports.values():
                flat += [p["port"], p["admin_port"]]
            if ports_free(flat):
                return base
        time.sleep(1)
    raise SystemExit("observability: no free block of ports for scripts/run-local")


class Http:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, headers=None, timeout=15):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text.startswith(("{", "[")) else text)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text


def promql(prom, query):
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=10) as r:
        data = json.load(r)
    assert data["status"] == "success", data
    return data["data"]["result"]


def scalar(prom, query):
    result = promql(prom, query)
    return float(result[0]["value"][1]) if result else None


def wait_for(prom, query, expected, timeout=30):
    """Polls until the query's single value equals `expected`; returns the last value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = scalar(prom, query)
        if value is not None and abs(value - expected) < 1e-6:
            return value
        time.sleep(0.5)
    return value


def children_of(pid):
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append((int(proc.name), os.readlink(proc / "exe")))
        except (OSError, ValueError, IndexError):
            continue
    return out


def live_checks(dashboards):
    base = choose_base_port()
    ports = layout(base)
    work = Path(tempfile.mkdtemp(prefix="mercato-observability-"))
    data_dir = BUILD / "observability-run"   # a stable path: run-local's PostgreSQL dir follows it
    log(f"starting the shop on base port {base} (scripts/run-local, binaries from {BUILD})")
    env = dict(os.environ, MERCATO_RPC_TIMEOUT_MS="600", MERCATO_LOG_LEVEL="warn",
               MERCATO_CHECKOUT_RECOVERY_INTERVAL_MS="1000",
               MERCATO_CHECKOUT_PAYMENT_GRACE_MS="1000")
    shop_log = open(work / "run-local.log", "w")
    shop = subprocess.Popen([str(ROOT / "scripts/run-local"), "--base-port", str(base),
                             "--data-dir", str(data_dir), "--build-dir", str(BUILD)],
                            stdout=shop_log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    prom = None
    stopped_payment = None
    try:
        gateway = f"http://127.0.0.1:{base}"
        http = Http(gateway)
        deadline = time.time() + 120
        while time.time() < deadline:
            if shop.poll() is not None:
                raise SystemExit("run-local exited:\n" + (work / "run-local.log").read_text())
            if "Mercato is running" in (work / "run-local.log").read_text():
                break
            time.sleep(0.5)
        else:
            raise SystemExit("the shop did not start:\n" + (work / "run-local.log").read_text())

        # Prometheus: the shipped scrape config with this run's targets, every second, and the
        # shipped rules.
        config = yaml.safe_load((OBS / "prometheus.yml").read_text())
        config["global"]["scrape_interval"] = "1s"
        config["global"]["evaluation_interval"] = "1s"
        config["rule_files"] = [str(OBS / "rules" / "*.yaml")]
        for job in config["scrape_configs"]:
            name = job["job_name"]
            job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[name]['admin_port']}"]}]
        check(sorted(j["job_name"] for j in config["scrape_configs"]) == sorted(SERVICES),
              "prometheus.yml has a job for every service of deploy/services.json")
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        prom_port = free_port()
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={work / 'prometheus.yml'}",
             f"--storage.tsdb.path={work / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}",
             "--log.level=warn"],
            stdout=open(work / "prometheus.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        prom_url = f"http://127.0.0.1:{prom_port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(prom_url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit("prometheus did not start:\n" + (work / "prometheus.log").read_text())
        log(f"prometheus on {prom_url}")
        # Every target up.
        check(wait_for(prom_url, "count(up == 1)", len(SERVICES), timeout=30) == len(SERVICES),
              f"all {len(SERVICES)} services are scraped (up == 1)")

        # --- traffic ---
        sent = {}

        def get(path, route, code=200):
            status, body = http.call("GET", path)
            check(status == code, f"GET {path} -> {status}") if status != code else None
            sent[(route, "GET", status)] = sent.get((route, "GET", status), 0) + 1
            return body

        for _ in range(25):
            get("/api/v1/categories", "/api/v1/categories")
        listing = None
        for _ in range(15):
            listing = get("/api/v1/products?page_size=5", "/api/v1/products")
        products = listing["products"]
        for p in products:
            get(f"/api/v1/products/{p['id']}", "/api/v1/products/{id}")

        # The admin (run-local's local-only account) creates a product with ample stock.
        status, admin = http.call("POST", "/api/v1/sessions",
                                  {"email": "admin@mercato.local", "password": "mercato-admin"})
        check(status == 200, f"admin sign-in -> {status}")
        admin_auth = {"Authorization": "Bearer " + admin["access_token"]}
        status, product = http.call("POST", "/api/v1/admin/products",
                                    {"name": f"Observed kettle {uuid.uuid4().hex[:6]}",
                                     "price": {"amount": 2599, "currency": "USD"}, "stock": 1000},
                                    admin_auth)
        check(status == 201, f"admin creates a product -> {status} {product}")

        # Shoppers: sign up, sign in, fill a cart, check out.
        placed, revenue = 0, 0
        declined = 0
        cards = ["4242424242424242"] * 5 + ["4000000000000002"]
        for i, card in enumerate(cards):
            email = f"obs-{uuid.uuid4().hex[:8]}@example.com"
            status, _ = http.call("POST", "/api/v1/users",
                                  {"email": email, "password": "observable passphrase 1",
                                   "name": f"Shopper {i}"})
            check(status == 201, f"sign-up -> {status}")
            status, session = http.call("POST", "/api/v1/sessions",
                                        {"email": email, "password": "observable passphrase 1"})
            check(status == 200, f"sign-in -> {status}")
            auth = {"Authorization": "Bearer " + session["access_token"]}
            status, cart = http.call("POST", "/api/v1/cart/items",
                                     {"product_id": product["id"], "quantity": 1 + i % 2}, auth)
            check(status == 200, f"add to cart -> {status}")
            body = {"shipping_address": {"name": "O. Server", "line1": "1 Metric Way",
                                         "city": "Berlin", "country": "DE"},
                    "payment": {"card": {"number": card, "exp_month": 12, "exp_year": 2031,
                                         "cvc": "123"}}}
            status, order = http.call("POST", "/api/v1/checkout", body,
                                      dict(auth, **{"Idempotency-Key": str(uuid.uuid4())}))
            if card.startswith("4242"):
                if check(status == 201, f"checkout -> {status}"):
                    placed += 1
                    revenue += order["total"]["amount"]
            else:
                check(status == 402, f"declined checkout -> {status}")
                declined += 1
            status, _ = http.call("GET", "/api/v1/orders", headers=auth)
            check(status == 200, f"order history -> {status}")
        log(f"traffic sent: {sum(sent.values())} browse requests, {placed} orders placed "
            f"(revenue {revenue} minor units), {declined} declined")

        # --- PromQL ---
        for (route, method, code), n in sorted(sent.items()):
            q = (f'sum(http_requests_total{{job="gateway",route="{route}",method="{method}",'
                 f'code="{code}"}})')
            got = wait_for(prom_url, q, n)
            check(got == n, f"{q} = {got} (sent {n})")
        q = 'sum(mercato_checkout_orders_total{job="checkout",outcome="paid"})'
        got = wait_for(prom_url, q, placed)
        check(got == placed, f"{q} = {got}: the orders counter equals the {placed} orders placed")
        q = 'sum(mercato_checkout_orders_total{job="checkout",outcome="payment_declined"})'
        got = wait_for(prom_url, q, declined)
        check(got == declined, f"{q} = {got} (declined {declined})")
        q = 'sum(mercato_checkout_revenue_minor_units_total{job="checkout",currency="USD"})'
        got = wait_for(prom_url, q, revenue)
        check(got == revenue, f"{q} = {got} (the orders' totals: {revenue})")
        q = 'sum(mercato_payment_authorizations_total{job="payment",outcome="approved"})'
        got = wait_for(prom_url, q, placed)
        check(got == placed, f"{q} = {got}")
        q = 'sum(grpc_server_handled_total{job="checkout",grpc_method="PlaceOrder"})'
        got = wait_for(prom_url, q, placed + declined)
        check(got == placed + declined, f"{q} = {got}")
        q = 'sum(mercato_cart_additions_total{job="cart"})'
        got = wait_for(prom_url, q, len(cards))
        check(got == len(cards), f"{q} = {got}")
        q = 'sum(mercato_stock_reservations_total{job="catalog",outcome="committed"})'
        got = wait_for(prom_url, q, placed)
        check(got == placed, f"{q} = {got}")
        # The workers, from the events: each paid order starts a shipment, which the fulfillment
        # worker moves on to packing at once (shipping waits 30 s), and queues one email.
        q = ('sum(mercato_fulfillment_transitions_total'
             '{job="fulfillment",from="created",to="packing"})')
        got = wait_for(prom_url, q, placed)
        check(got == placed, f"{q} = {got}: a shipment packed per paid order")
        q = ('sum(mercato_notification_emails_total'
             '{job="notification",kind="order_paid",outcome="queued"})')
        got = wait_for(prom_url, q, placed)
        check(got == placed, f"{q} = {got}: an order_paid email queued per paid order")
        q = 'count(mercato_circuit_breaker_state == 0)'
        expected = sum(len(s["calls"]) for s in SPEC.values())
        got = wait_for(prom_url, q, expected)
        check(got == expected, f"{q} = {got}: a closed breaker per call between services")

        # --- the rules evaluate ---
        time.sleep(3)
        with urllib.request.urlopen(prom_url + "/api/v1/rules", timeout=10) as r:
            groups = json.load(r)["data"]["groups"]
        rules = [rule for g in groups for rule in g["rules"]]
        bad = [f"{r['name']}: {r.get('lastError')}" for r in rules if r.get("health") != "ok"]
        check(len(rules) >= 20 and not bad,
              f"{len(rules)} rules loaded, every one evaluates ({bad[:3]})")
        q = "slo:gateway_errors:ratio_rate5m"
        check(scalar(prom_url, q) is not None, f"{q} is recorded")

        # --- every metric the dashboards and rules query exists ---
        with urllib.request.urlopen(prom_url + "/api/v1/label/__name__/values", timeout=10) as r:
            scraped = set(json.load(r)["data"])
        for name, exprs in dashboards.items():
            used = set().union(*(metric_names(e) for e in exprs))
            missing = sorted(used - scraped)
            check(not missing, f"{name}: all {len(used)} metrics it queries were scraped"
                  + (f"; missing: {missing}" if missing else ""))
        rule_exprs = []
        for path in sorted((OBS / "rules").glob("*.yaml")):
            for g in yaml.safe_load(path.read_text())["groups"]:
                rule_exprs += [r["expr"] for r in g["rules"]]
        recorded = {r["name"] for r in rules if r.get("type") == "recording"}
        external = {"kube_pod_container_status_restarts_total", "up"}  # kube-state-metrics, Prometheus
        used = set().union(*(metric_names(e) for e in rule_exprs)) - recorded - external
        missing = sorted(used - scraped)
        check(not missing, f"the rules' {len(used)} metrics were scraped"
              + (f"; missing: {missing}" if missing else ""))

        # --- a breaker opens, and Prometheus shows it ---
        payment_pid = next((pid for pid, exe in children_of(shop.pid)
                            if exe == str(BUILD / "services/payment/payment")), None)
        if check(payment_pid is not None, "found the payment process run-local started"):
            # One shopper per attempt: a cart can be ordered once at a time, so a second
            # attempt on the same cart would be refused (409) before it reached payment.
            def new_shopper() -> dict:
                email = f"obs-{uuid.uuid4().hex[:8]}@example.com"
                http.call("POST", "/api/v1/users", {"email": email,
                                                    "password": "observable passphrase 1",
                                                    "name": "Late shopper"})
                _, session = http.call("POST", "/api/v1/sessions",
                                       {"email": email, "password": "observable passphrase 1"})
                auth = {"Authorization": "Bearer " + session["access_token"]}
                http.call("POST", "/api/v1/cart/items",
                          {"product_id": product["id"], "quantity": 1}, auth)
                return auth

            shoppers = [[new_shopper() for _ in range(6)] for _ in range(4)]
            os.kill(payment_pid, signal.SIGSTOP)
            stopped_payment = payment_pid
            log("payment stopped (SIGSTOP); checkouts until checkout's breaker opens")
            codes = []

            def shopper(auths):
                for auth in auths:
                    status, reply = http.call(
                        "POST", "/api/v1/checkout",
                        {"shipping_address": {"name": "L. Ate", "line1": "2 Metric Way",
                                              "city": "Berlin", "country": "DE"},
                         "payment": {"card": {"number": "4242424242424242", "exp_month": 12,
                                              "exp_year": 2031, "cvc": "123"}}},
                        dict(auth, **{"Idempotency-Key": str(uuid.uuid4())}))
                    codes.append((status, reply.get("error", {}).get("code")
                                  if isinstance(reply, dict) else None))

            threads = [threading.Thread(target=shopper, args=(a,)) for a in shoppers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            check(all(s == 503 for s, _ in codes) and ("service_unavailable" in
                                                       [c for _, c in codes]),
                  f"checkouts with payment stopped: all 503, the later ones fail fast "
                  f"({sorted(set(codes))})")
            overview = dashboards["mercato-overview.json"]
            breaker_q = next(e for e in overview if "mercato_circuit_breaker_state" in e)
            deadline = time.time() + 15
            seen = []
            while time.time() < deadline:
                seen = [r for r in promql(prom_url, breaker_q)
                        if r["metric"].get("job") == "checkout"
                        and r["metric"].get("backend") == "payment"
                        and float(r["value"][1]) >= 1]
                if seen:
                    break
                time.sleep(0.5)
            check(bool(seen), f"the overview dashboard's breaker panel shows checkout -> payment "
                  f"open ({breaker_q})")
            alert_expr = next(r["query"] for r in rules if r.get("name") == "MercatoCircuitBreakerOpen")
            firing = [r["metric"] for r in promql(prom_url, alert_expr)]
            check({"job": "checkout", "backend": "payment"} in
                  [{k: m.get(k) for k in ("job", "backend")} for m in firing],
                  f"MercatoCircuitBreakerOpen's expression selects checkout -> payment "
                  f"(pending its 1 m 'for')")
            q = 'sum(mercato_client_rejected_total{job="checkout",backend="payment",reason="circuit_open"})'
            got = scalar(prom_url, q)
            log(f"{q} = {got}")
    finally:
        if stopped_payment:
            try:
                os.kill(stopped_payment, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if prom and prom.poll() is None:
            prom.terminate()
            try:
                prom.wait(20)
            except subprocess.TimeoutExpired:
                prom.kill()
        if shop.poll() is None:
            shop.send_signal(signal.SIGTERM)
            try:
                shop.wait(60)
            except subprocess.TimeoutExpired:
                shop.kill()
        if failures:
            log(f"kept {work} (prometheus.log, run-local.log) and {data_dir / 'logs'}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            raise SystemExit(f"observability: {tool} is missing; run scripts/setup --test")
    start = time.time()
    dashboards = static_checks()
    if os.environ.get("MERCATO_OBSERVABILITY_STATIC_ONLY") != "1":
        live_checks(dashboards)
    log(f"{'FAILED' if failures else 'passed'} in {time.time() - start:.0f} s"
        + (f": {len(failures)} failures" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
