#!/usr/bin/env python3
"""The shop on the real local cluster (scripts/k8s-local), run by tests/k8s/run:

  kustomize     deploy/k8s/overlays/dev applied (tests/k8s/kustomize), every workload
                available, the API journey through the gateway Service, the order's events on
                the overlay's Kafka broker, the order shipped by the fulfillment worker, then
                deleted
  install       helm install into a namespace that enforces Pod Security "restricted"; a
                privileged pod is refused there; every Deployment available (the fulfillment
                and notification workers too); the API journey; the order's events on the
                chart's bundled Kafka broker (OrderPlaced, OrderPaid); the order reaches
                "shipped" in its timeline (fulfillment consumed OrderPaid, its simulated
                carrier picked the parcel up and checkout recorded it)
  rollout       kubectl rollout restart of every service (two replicas each) under browsing and
                checkout load: 0 failed requests, orders, stock and payments reconcile
  checkout-kill a checkout pod force-deleted in the middle of checkouts: every order ends paid
                or cleanly failed, none twice, no stock held past the reservation expiry
  payment-down  every payment pod force-deleted under load: checkout's breaker opens, browsing
                keeps answering, checkouts succeed again once payment is back
  autoscale     a load spike scales the checkout and gateway HPAs out, and back in after it
  disruption    an eviction that breaks a PodDisruptionBudget is refused; kubectl drain of the
                node honours the budgets while the shop keeps answering
  netpol        with an enforcing NetworkPolicy controller (kube-router, when built): a call
                outside the call graph is blocked, every allowed call works

    tests/k8s/k8s_test.py [STEP...]      (default: every step; needs KUBECONFIG and HELM)
"""
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from shop_client import Failure, Shop, Shopper, Steps, check  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NS = "mercato"
KNS = "mercato-kustomize"
RELEASE = "mercato"
SERVICES = ["catalog", "cart", "user", "payment", "checkout", "gateway"]
# The event-driven workers (one replica; nobody calls them): the netpol step covers them too.
WORKERS = ["fulfillment", "notification"]
HELM = os.environ.get("HELM", "helm")
KUBECTL = os.environ.get("KUBECTL", "kubectl")
# The values the fault tests rely on (helm/mercato/ci/local-cluster-values.yaml): reservations expire after 60 s,
# and the catalog's sweeper returns them within a second or two.
RESERVATION_TTL_S = 60
# How long a paid order may take to show "shipped": the carrier's ship delay (2 s in the
# local-cluster values and tests/k8s/kustomize), plus consuming OrderPaid, the outbox relay and
# checkout's RecordFulfillment, with a wide margin for a busy 2-core node.
SHIPPED_WITHIN_S = 90
# A paid order's statuses from then on: the fulfillment worker moves it along within seconds
# (ship delay 2 s, delivery 3 s), so the history shows any of them.
PAID_OR_LATER = ("paid", "fulfilling", "shipped", "delivered")


def kubectl(*args, stdin=None, check_rc=True, timeout=300) -> str:
    r = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    if check_rc and r.returncode != 0:
        raise subprocess.CalledProcessError(r.returncode, [KUBECTL, *args], r.stdout, r.stderr)
    return r.stdout


def kjson(*args):
    return json.loads(kubectl(*args, "-o", "json"))


def wait_available(ns: str, timeout=300):
    kubectl("-n", ns, "wait", "--for=condition=Available", "deployment", "--all",
            f"--timeout={timeout}s", timeout=timeout + 30)
    kubectl("-n", ns, "rollout", "status", "statefulset", "--timeout", f"{timeout}s",
            timeout=timeout + 30)


def service_url(ns: str, name="mercato-gateway", port=8080) -> str:
    ip = kubectl("-n", ns, "get", "service", name, "-o", "jsonpath={.spec.clusterIP}").strip()
    return f"http://{ip}:{port}"


def pods(ns: str, service: str) -> list:
    items = kjson("-n", ns, "get", "pods", "-l", f"app.kubernetes.io/name={service}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def psql(ns: str, database: str, sql: str) -> str:
    pod = kubectl("-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=postgresql",
                  "-o", "jsonpath={.items[0].metadata.name}").strip()
    return kubectl("-n", ns, "exec", pod, "--", "psql", "-h", "/var/run/postgresql", "-U",
                   "mercato", "-d", database, "-Atc", sql).strip()


def recycle_volumes() -> str:
    subprocess.run([os.path.join(ROOT, "scripts/k8s-local"), "recycle"], check=True)
    return "volumes wiped for the next claims"


def wait_until(what: str, fn, timeout: float, interval=1.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise Failure(f"{what}: not within {timeout:.0f} s (last: {last})")


# --- the API journey -----------------------------------------------------------------------------
def journey(shop: Shop, orders=None) -> str:
    """Browse, sign up, cart, checkout, order history: the shop works end to end. The paid
    order's id is appended to `orders` when given."""
    wait_until("gateway /readyz 200", lambda: ready(shop), 120)
    r = shop.call("GET", "/")
    check(r.status == 200 and b"<html" in r.body.lower(), f"storefront: {r}")
    product = in_stock_products(shop, 1)[0]
    r = shop.call("GET", f"/api/v1/products/{product['id']}")
    check(r.status == 200 and r.json["id"] == product["id"], f"product page: {r}")
    shopper = Shopper(shop, "k8s")
    shopper.register_and_sign_in()
    r = shopper.add_to_cart(product["id"], 2)
    check(r.status in (200, 201), f"add to cart: {r}")
    r = shopper.place_order(str(uuid.uuid4()))
    check(r.status == 201 and r.json["status"] == "paid", f"checkout: {r}")
    history = [o["id"] for o in shopper.orders()]
    check(history == [r.json["id"]], f"order history {history}, want [{r.json['id']}]")
    if orders is not None:
        orders.append((r.json["id"], shopper))
    return f"order {r.json['id']} paid, total {r.json['total']['amount']}"


def order_shipped(order_id: str, shopper: Shopper) -> str:
    """The fulfillment worker ships the paid order: GET /api/v1/orders/{id} shows "shipped" in
    its timeline (with the carrier and tracking number) within SHIPPED_WITHIN_S; the timeline
    is oldest first and passed through paid and fulfilling on the way."""
    def shipped():
        r = shopper.shop.call("GET", f"/api/v1/orders/{order_id}", headers=shopper.auth())
        check(r.status == 200, f"order {order_id}: {r}")
        timeline = r.json.get("timeline") or []
        return r.json if any(e.get("status") == "shipped" for e in timeline) else None
    t0 = time.time()
    order = wait_until(f"order {order_id} shipped", shipped, SHIPPED_WITHIN_S)
    statuses = [e["status"] for e in order["timeline"]]
    for earlier in ("paid", "fulfilling"):
        check(earlier in statuses and statuses.index(earlier) < statuses.index("shipped"),
              f"timeline {statuses}: {earlier} should come before shipped")
    entry = next(e for e in order["timeline"] if e["status"] == "shipped")
    check(entry.get("carrier") and entry.get("tracking_number"),
          f"the shipped entry names no carrier or tracking number: {entry}")
    check(order["status"] in ("shipped", "delivered"), f"order status {order['status']}")
    return (f"shipped by {entry['carrier']} ({entry['tracking_number']}) "
            f"{time.time() - t0:.0f} s after the check; timeline {' > '.join(statuses)}")


def order_events(ns: str, order_id: str) -> str:
    """The order's events on the bundled broker, read inside its pod with kcat: exactly one
    OrderPlaced and one OrderPaid, in that order, each with its own event id; and no row of
    checkout's outbox still waiting for the broker."""
    def types():
        out = kubectl("-n", ns, "exec", "mercato-kafka-0", "--", "kcat", "-C", "-q", "-e",
                      "-b", "127.0.0.1:9092", "-t", "mercato.orders.v1", "-o", "beginning",
                      "-f", "%k %h\n", timeout=60)
        found = []
        for line in out.splitlines():
            key, _, headers = line.partition(" ")
            if key == order_id:
                h = dict(kv.split("=", 1) for kv in headers.split(",") if "=" in kv)
                found.append((h.get("type", ""), h.get("event_id", "")))
        return found if len(found) >= 2 else None
    found = wait_until(f"OrderPlaced and OrderPaid of {order_id} on mercato.orders.v1", types, 60)
    want = ["mercato.events.v1.OrderPlaced", "mercato.events.v1.OrderPaid"]
    check([t for t, _ in found] == want, f"events of {order_id}: {found}, want {want}")
    check(len({e for _, e in found}) == 2, f"event ids not distinct: {found}")
    wait_until("checkout's outbox drained", lambda: psql(
        ns, "checkout", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == "0", 60)
    return f"{' then '.join(t.rsplit('.', 1)[1] for t, _ in found)}; checkout's outbox empty"


def ready(shop: Shop) -> bool:
    try:
        return shop.call("GET", "/readyz", timeout=3).status == 200
    except OSError:
        return False


def in_stock_products(shop: Shop, n: int, min_stock=5) -> list:
    r = shop.call("GET", "/api/v1/products?page_size=100")
    check(r.status == 200, f"products: {r}")
    products = sorted((p for p in r.json["products"] if p["stock"] >= min_stock),
                      key=lambda p: -p["stock"])
    check(len(products) >= n, f"fewer than {n} products with {min_stock}+ in stock")
    return products[:n]


ADMIN = {"email": "admin@mercato.local", "password": "mercato-admin"}  # local-cluster values


def restock(shop: Shop, products: list, units=100000) -> str:
    """Gives every product of the load plenty of stock (admin API), so that a long run never
    turns checkouts into out_of_stock."""
    r = shop.call("POST", "/api/v1/sessions", ADMIN)
    check(r.status == 200, f"admin sign-in: {r}")
    auth = {"Authorization": f"Bearer {r.json['access_token']}"}
    for p in products:
        r = shop.call("PATCH", f"/api/v1/admin/products/{p['id']}", {"stock": units}, auth)
        check(r.status == 200, f"restock {p['id']}: {r}")
    return f"{len(products)} products at {units} units"


def stock_of(shop: Shop, ids) -> dict:
    out = {}
    for pid in ids:
        r = shop.call("GET", f"/api/v1/products/{pid}")
        check(r.status == 200, f"product {pid}: {r}")
        out[pid] = r.json["stock"]
    return out


# --- load ----------------------------------------------------------------------------------------
class BrowsingBurst:
    """wrk (a test package of scripts/setup) reading the product listing with `Cache-Control:
    no-cache` on 8 connections, alongside Load's shoppers: every read reaches the catalog
    through the gateway. Python's shoppers alone no longer load the gateway enough to scale it
    out: its cached reads cost a tenth of a millisecond of CPU (docs/benchmarks.md)."""

    def __init__(self, base_url: str):
        self.url = base_url + "/api/v1/products?page_size=20"
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["wrk", "-t1", "-c8", "-d600s", "-H", "Cache-Control: no-cache", self.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


class Load:
    """Browsing and checkout workers against the gateway Service, every request on a new
    connection, every outcome recorded. Checkout workers buy one unit of a random product
    from `products` per order, each with a new Idempotency-Key."""

    def __init__(self, shop: Shop, products: list, browsers=3, buyers=2, pause=0.0):
        self.shop = shop
        self.products = products
        self.pause = pause
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.results = []        # (kind, status or exception text)
        self.orders = {}         # idempotency key -> (shopper, product id, response json or None)
        self.shoppers = [Shopper(shop, "load") for _ in range(buyers)]
        for s in self.shoppers:
            s.register_and_sign_in()
        self.threads = [threading.Thread(target=self.browse, daemon=True) for _ in range(browsers)]
        self.threads += [threading.Thread(target=self.buy, args=(s,), daemon=True)
                         for s in self.shoppers]

    def record(self, kind: str, outcome):
        with self.lock:
            self.results.append((kind, outcome))

    def request(self, kind: str, fn, ok_statuses):
        """Records the status, or for a failure what failed, when, and the request id."""
        at = time.strftime("%H:%M:%S")
        try:
            r = fn()
            if r.status in ok_statuses:
                self.record(kind, r.status)
            else:
                self.record(kind, f"{r.status} {r.error_code} at {at} "
                                  f"request {r.headers.get('X-Request-Id', '?')}")
            return r
        except OSError as e:
            self.record(kind, f"{type(e).__name__}: {e} at {at}")
            return None

    def browse(self):
        while not self.stop_event.is_set():
            self.request("list", lambda: self.shop.call("GET", "/api/v1/products?page_size=20"),
                         (200,))
            pid = random.choice(self.products)["id"]
            self.request("product", lambda: self.shop.call("GET", f"/api/v1/products/{pid}"),
                         (200,))
            time.sleep(self.pause)

    def buy(self, shopper: Shopper):
        while not self.stop_event.is_set():
            pid = random.choice(self.products)["id"]
            if not self.request("cart", lambda: shopper.add_to_cart(pid), (200, 201)):
                continue
            key = str(uuid.uuid4())
            r = self.request("checkout", lambda: shopper.place_order(key), (201,))
            with self.lock:
                self.orders[key] = (shopper, pid, r.json if r is not None and r.status == 201
                                    else None, r.status if r is not None else None)
            time.sleep(self.pause)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)

    def failures(self) -> list:
        return [(k, o) for k, o in self.results if not isinstance(o, int)]

    def summary(self) -> str:
        counts = {}
        for kind, outcome in self.results:
            ok = isinstance(outcome, int)
            counts.setdefault(kind, [0, 0])[0 if ok else 1] += 1
        return ", ".join(f"{k} {v[0]} ok/{v[1]} failed" for k, v in sorted(counts.items()))

    def settle(self, timeout=120) -> dict:
        """Asks again, with the same key, for every checkout that got no 201: the API contract
        for an unknown outcome. Returns key -> final order (paid) or None (failed cleanly)."""
        final = {}
        for key, (shopper, pid, order, status) in self.orders.items():
            if order is not None:
                final[key] = order
                continue
            final[key] = self.final_outcome(shopper, key, timeout)
        return final

    def final_outcome(self, shopper: Shopper, key: str, timeout: float):
        deadline = time.time() + timeout
        r = None
        while time.time() < deadline:
            try:
                r = shopper.place_order(key)
            except OSError:
                time.sleep(1)
                continue
            if r.status == 201:
                return r.json
            if r.error_code not in ("order_pending", "in_progress", "service_unavailable",
                                    "overloaded", "unavailable"):
                return None  # a final failure for this key: nothing was charged
            time.sleep(1)
        raise Failure(f"checkout {key} has no final outcome after {timeout} s: {r}")


def reconcile(shop: Shop, load: Load, final: dict, stock_before: dict, payments_before: int):
    """Every paid order appears once in its owner's history; stock went down by exactly the
    units paid for; one captured payment per paid order."""
    paid = {k: o for k, o in final.items() if o is not None}
    ids = [o["id"] for o in paid.values()]
    check(len(ids) == len(set(ids)), "one order id answered for two keys")
    history = {}
    for shopper in load.shoppers:
        for o in shopper.orders():
            history[o["id"]] = o
    missing = set(ids) - set(history)
    check(not missing, f"{len(missing)} paid orders missing from the history: {sorted(missing)[:5]}")
    extra = {i: o["status"] for i, o in history.items() if i not in ids}
    unanswered = {i: s for i, s in extra.items() if s in PAID_OR_LATER}
    check(not unanswered, f"paid orders nobody was told about: {list(unanswered.items())[:5]}")
    unpaid = {i: history[i]["status"] for i in ids if history[i]["status"] not in PAID_OR_LATER}
    check(not unpaid, f"answered orders that are not paid: {list(unpaid.items())[:5]}")
    units = {}
    for o in paid.values():
        for item in o["items"]:
            units[item["product_id"]] = units.get(item["product_id"], 0) + item["quantity"]
    after = stock_of(shop, stock_before)
    diff = {p: (stock_before[p] - after[p], units.get(p, 0)) for p in stock_before
            if stock_before[p] - after[p] != units.get(p, 0)}
    check(not diff, f"stock moved by (actual, paid units): {diff}")
    captured = int(psql(NS, "payment", "SELECT count(*) FROM payments WHERE state = 'captured'"))
    check(captured - payments_before == len(ids),
          f"{captured - payments_before} payments captured for {len(ids)} paid orders")
    return f"{len(ids)} orders paid, {sum(units.values())} units, payments and stock reconcile"


def captured_payments() -> int:
    return int(psql(NS, "payment", "SELECT count(*) FROM payments WHERE state = 'captured'"))


# --- the steps -----------------------------------------------------------------------------------
class Suite:
    def __init__(self):
        self.steps = Steps()
        self.shop = None
        self.products = []
        self.timings = {}

    def run(self, names) -> int:
        table = {"kustomize": self.kustomize, "install": self.install, "rollout": self.rollout,
                 "checkout-kill": self.checkout_kill, "payment-down": self.payment_down,
                 "autoscale": self.autoscale, "disruption": self.disruption,
                 "netpol": self.netpol}
        for name in names or table:
            print(f"k8s: {name}", flush=True)
            if name not in ("kustomize", "install") and self.shop is None:
                self.shop = Shop(service_url(NS))
                self.products = in_stock_products(self.shop, 20, min_stock=1)
                self.steps.step("restock the products of the load",
                                lambda: restock(self.shop, self.products))
            table[name]()
        print("\n".join(f"  {k}: {v}" for k, v in self.timings.items()))
        return 1 if self.steps.failures else 0

    # kustomize dev overlay ---------------------------------------------------------------------
    def kustomize(self):
        s = self.steps
        rendered = kubectl("kustomize", os.path.join(ROOT, "tests/k8s/kustomize"))
        s.step("apply the dev overlay", lambda: kubectl("apply", "-f", "-", stdin=rendered) and "")
        orders = []
        if s.step("every workload available", lambda: wait_available(KNS)) and s.step(
                "API journey through the gateway Service",
                lambda: journey(Shop(service_url(KNS)), orders)):
            s.step("the order's events on the bundled Kafka broker",
                   lambda: order_events(KNS, orders[0][0]))
            s.step("the fulfillment worker ships the order", lambda: order_shipped(*orders[0]))
        s.step("delete the overlay's namespace", lambda: kubectl(
            "delete", "namespace", KNS, "--timeout=180s", timeout=240) and recycle_volumes())

    # helm install ------------------------------------------------------------------------------
    def install(self):
        s = self.steps
        s.step("namespace enforcing Pod Security restricted", self.restricted_namespace)
        s.step("a privileged pod is refused", self.privileged_refused)
        t0 = time.time()
        s.step("helm install", lambda: subprocess.run(
            [HELM, "upgrade", "--install", RELEASE, os.path.join(ROOT, "helm/mercato"), "-n", NS,
             "-f", os.path.join(ROOT, "helm/mercato/ci/local-cluster-values.yaml"), "--wait", "--timeout", "6m"],
            check=True, capture_output=True, text=True) and "")
        s.step("every Deployment available", lambda: wait_available(NS))
        self.timings["install to available"] = f"{time.time() - t0:.0f} s"
        self.shop = Shop(service_url(NS))
        orders = []
        s.step("the workers' pods ready", self.workers_ready)
        if s.step("API journey through the gateway Service", lambda: journey(self.shop, orders)):
            s.step("the order's events on the bundled Kafka broker",
                   lambda: order_events(NS, orders[0][0]))
            s.step("the fulfillment worker ships the order", lambda: order_shipped(*orders[0]))
        self.products = in_stock_products(self.shop, 20, min_stock=1)
        s.step("restock the products of the load", lambda: restock(self.shop, self.products))

    @staticmethod
    def workers_ready() -> str:
        """One ready pod per worker (readiness is their gRPC health: no SMTP server is needed,
        the local-cluster values point notification at a port nothing listens on)."""
        def ready_pods():
            counts = {w: sum(1 for p in pods(NS, w) if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", []))) for w in WORKERS}
            return counts if all(counts.values()) else None
        return f"ready pods {wait_until('a ready pod per worker', ready_pods, 180)}"

    def restricted_namespace(self):
        kubectl("create", "namespace", NS, check_rc=False)
        kubectl("label", "--overwrite", "namespace", NS,
                "pod-security.kubernetes.io/enforce=restricted")

    def privileged_refused(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged-probe"},
               "spec": {"containers": [{
                   "name": "probe", "image": "localhost/mercato-k8s/busybox:local",
                   "imagePullPolicy": "Never", "command": ["sleep", "60"],
                   "securityContext": {"privileged": True}}]}}
        r = subprocess.run([KUBECTL, "-n", NS, "apply", "-f", "-"], input=json.dumps(pod),
                           capture_output=True, text=True)
        check(r.returncode != 0, "the privileged pod was admitted")
        check("violates PodSecurity" in r.stderr, f"refused for another reason: {r.stderr}")
        return "refused: violates PodSecurity \"restricted\""

    # rolling restart under load ----------------------------------------------------------------
    def rollout(self):
        stock_before = stock_of(self.shop, [p["id"] for p in self.products])
        payments_before = captured_payments()
        load = Load(self.shop, self.products, browsers=3, buyers=2, pause=0.05)
        with load:
            for svc in SERVICES:
                self.steps.step(f"rollout restart {svc} under load", self.restart(svc))
            time.sleep(3)
        self.steps.step("0 failed requests during the restarts", lambda: self.no_failures(load))
        self.steps.step("orders, stock and payments reconcile",
                        lambda: reconcile(self.shop, load, load.settle(), stock_before,
                                          payments_before))

    def restart(self, svc: str):
        def fn():
            t0 = time.time()
            started = time.strftime("%H:%M:%S")
            kubectl("-n", NS, "rollout", "restart", f"deployment/mercato-{svc}")
            kubectl("-n", NS, "rollout", "status", f"deployment/mercato-{svc}", "--timeout=240s",
                    timeout=300)
            self.timings[f"rollout restart {svc}"] = f"{time.time() - t0:.0f} s"
            return f"{len(pods(NS, svc))} pods ready (started {started})"
        return fn

    @staticmethod
    def no_failures(load: Load):
        failures = load.failures()
        check(not failures, f"{len(failures)} failed: {failures[:10]}")
        return load.summary()

    # faults ------------------------------------------------------------------------------------
    def checkout_kill(self):
        """A checkout pod dies twice in the middle of checkouts: once its process is killed
        (kill -9: a crash, the kubelet restarts it), once the pod is force-deleted."""
        stock_before = stock_of(self.shop, [p["id"] for p in self.products])
        payments_before = captured_payments()
        load = Load(self.shop, self.products, browsers=1, buyers=4, pause=0.02)
        with load:
            time.sleep(5)
            first, second = [p["metadata"]["name"] for p in pods(NS, "checkout")][:2]
            self.steps.step(f"kill -9 {first} mid-checkout", lambda: subprocess.run(
                [os.path.join(ROOT, "scripts/k8s-local"), "crash", NS, first],
                check=True, capture_output=True, text=True) and "")
            time.sleep(10)
            self.steps.step(f"force-delete {second} mid-checkout", lambda: kubectl(
                "-n", NS, "delete", "pod", second, "--grace-period=0", "--force") and "")
            time.sleep(10)
        print(f"    load: {load.summary()}", flush=True)
        for kind, outcome in load.failures()[:10]:
            print(f"      {kind}: {outcome}", flush=True)
        bad = [o for k, o in load.failures() if k != "checkout" or not str(o).startswith("503")]
        self.steps.step("only checkouts failed, with 503, never 500", lambda: check(
            not bad, f"{bad[:5]}") or f"{len(load.failures())} checkouts interrupted")
        final = {}
        self.steps.step("every checkout reaches a final outcome",
                        lambda: final.update(load.settle()) or f"{len(final)} checkouts")
        # Orders the dead pods had started are finished by the other replica's recovery; stock
        # they had reserved comes back at the latest when the reservation expires.
        time.sleep(RESERVATION_TTL_S + 5)
        self.steps.step("no order lost or doubled, no stock held past the expiry",
                        lambda: reconcile(self.shop, load, final, stock_before, payments_before))

    def payment_down(self):
        """Every payment pod force-deleted, again and again for 20 s (the Deployment replaces
        them at once): checkout's breaker opens, browsing keeps answering, checkouts fail
        cleanly and succeed again once payment is back; nothing is lost or charged twice."""
        stock_before = stock_of(self.shop, [p["id"] for p in self.products])
        payments_before = captured_payments()
        load = Load(self.shop, self.products, browsers=2, buyers=3, pause=0.05)
        opened = []
        with load:
            time.sleep(3)
            self.steps.step("payment pods force-deleted for 20 s",
                            lambda: self.keep_deleting("payment", 20, opened))
            self.steps.step("checkout's payment breaker opened",
                            lambda: check(opened, "never open while payment was away") or
                            opened[0])
            self.steps.step("payment back", lambda: wait_available(NS))
            t0 = time.time()
            self.steps.step("checkouts succeed again", lambda: wait_until(
                "a paid order after payment's return", lambda: self.paid_since(load, t0), 60))
        browse = [(k, o) for k, o in load.failures() if k in ("list", "product")]
        self.steps.step("browsing kept answering", lambda: check(
            not browse, f"{len(browse)} browse failures: {browse[:5]}") or load.summary())
        bad = [o for k, o in load.failures()
               if k != "checkout" or not str(o).startswith(("503", "409"))]
        self.steps.step("only checkouts failed, with 503/409, never 500", lambda: check(
            not bad, f"{bad[:5]}") or f"{len(load.failures())} checkouts refused")
        final = {}
        self.steps.step("every checkout reaches a final outcome",
                        lambda: final.update(load.settle()) or f"{len(final)} checkouts")
        time.sleep(RESERVATION_TTL_S + 5)
        self.steps.step("no order lost or charged twice, no stock held past the expiry",
                        lambda: reconcile(self.shop, load, final, stock_before, payments_before))

    def keep_deleting(self, svc: str, seconds: float, opened: list):
        deadline = time.time() + seconds
        deletions = 0
        while time.time() < deadline:
            names = [p["metadata"]["name"] for p in pods(NS, svc)]
            if names:
                kubectl("-n", NS, "delete", "pod", *names, "--grace-period=0", "--force",
                        "--wait=false")
                deletions += len(names)
            if not opened and (state := self.breaker_open()):
                opened.append(state)
            time.sleep(1)
        return f"{deletions} pods deleted"

    def breaker_open(self):
        for p in pods(NS, "checkout"):
            ip = p["status"].get("podIP")
            out = subprocess.run(["curl", "-fs", "-m", "2", f"http://{ip}:9104/metrics"],
                                 capture_output=True, text=True).stdout
            for line in out.splitlines():
                if line.startswith('mercato_circuit_breaker_state{backend="payment"}') and \
                        line.split()[-1] != "0":
                    return f"{p['metadata']['name']}: {line}"
        return None

    @staticmethod
    def paid_since(load: Load, t0: float):
        with load.lock:
            recent = [o for k, o in load.results[-20:] if k == "checkout"]
        return time.time() > t0 and 201 in recent

    # autoscaling -------------------------------------------------------------------------------
    def autoscale(self):
        self.steps.step("metrics-server serves pod metrics", self.pod_metrics)
        self.steps.step("HPAs at their minimum before the spike", lambda: wait_until(
            "HPAs at minimum", lambda: self.replicas() == {"checkout": 2, "gateway": 2}, 300, 5))
        t0 = time.time()
        load = Load(self.shop, self.products, browsers=8, buyers=4, pause=0.0)
        with load, BrowsingBurst(self.shop.base):
            self.steps.step("a load spike scales checkout and gateway out", lambda: wait_until(
                "scale-out", lambda: self.scaled_out(t0), 300, 3))
        t1 = time.time()
        self.steps.step("back to the minimum after the load", lambda: wait_until(
            "scale-in", lambda: self.scaled_in(t1), 420, 5))

    @staticmethod
    def pod_metrics() -> str:
        lines = wait_until("kubectl top", lambda: kubectl(
            "-n", NS, "top", "pods", "--no-headers", check_rc=False).splitlines(), 120, 5)
        return f"{len(lines)} pods measured"

    def replicas(self) -> dict:
        return {svc: kjson("-n", NS, "get", "hpa", f"mercato-{svc}")["status"].get(
            "currentReplicas") for svc in ("checkout", "gateway")}

    def scaled_out(self, t0):
        r = self.replicas()
        for svc, n in r.items():
            if n > 2 and f"scale-out {svc}" not in self.timings:
                self.timings[f"scale-out {svc}"] = f"{time.time() - t0:.0f} s (to {n})"
        return r if all(n > 2 for n in r.values()) else None

    def scaled_in(self, t1):
        r = self.replicas()
        return r if r == {"checkout": 2, "gateway": 2} and self.timings.setdefault(
            "scale-in both", f"{time.time() - t1:.0f} s after the load") else None

    # disruption --------------------------------------------------------------------------------
    def disruption(self):
        self.steps.step("an eviction beyond the gateway's budget is refused", self.evict_twice)
        self.steps.step("all available again", lambda: wait_available(NS))
        self.steps.step("kubectl drain honours every budget, the shop keeps answering", self.drain)
        self.steps.step("uncordon: all available again", lambda: (
            kubectl("uncordon", "mercato-node"), wait_available(NS)) and "")

    def evict_twice(self):
        names = [p["metadata"]["name"] for p in pods(NS, "gateway")]
        check(len(names) == 2, f"gateway pods {names}")
        first = self.evict(names[0])
        check(first.returncode == 0, f"the first eviction was refused: {first.stderr}")
        second = self.evict(names[1])
        check(second.returncode != 0 and "disruption budget" in second.stderr,
              f"the second eviction: rc {second.returncode} {second.stderr}")
        return "first evicted, second refused (429: would violate the PodDisruptionBudget)"

    @staticmethod
    def evict(pod: str):
        body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                           "metadata": {"name": pod, "namespace": NS}})
        return subprocess.run([KUBECTL, "create", "--raw",
                               f"/api/v1/namespaces/{NS}/pods/{pod}/eviction", "-f", "-"],
                              input=body, capture_output=True, text=True)

    def drain(self):
        load = Load(self.shop, self.products, browsers=2, buyers=0, pause=0.05)
        with load:
            r = subprocess.run([KUBECTL, "drain", "mercato-node", "--ignore-daemonsets",
                                "--delete-emptydir-data", "--timeout=40s", "--pod-selector",
                                "app.kubernetes.io/component in (backend,gateway)"],
                               capture_output=True, text=True, timeout=120)
            left = {svc: len([p for p in pods(NS, svc) if p["status"]["phase"] == "Running"])
                    for svc in SERVICES}
        check(r.returncode != 0, "drain finished: a budget was not honoured")
        check("disruption budget" in r.stderr, f"drain stopped for another reason: {r.stderr}")
        check(all(n >= 1 for n in left.values()), f"a service lost every pod: {left}")
        check(not load.failures(), f"requests failed during the drain: {load.failures()[:5]}")
        return f"one pod per service evicted, the rest held by the budgets; running {left}"

    # NetworkPolicy -----------------------------------------------------------------------------
    def netpol(self):
        """From inside every service's own pod, a real call (gRPC health check, HTTP, TCP to
        the datastores) to every other service: it works exactly where deploy/services.json
        says one calls the other; a pod in another namespace reaches nothing."""
        graph = json.load(open(os.path.join(ROOT, "deploy/services.json")))["services"]
        self.steps.step("NetworkPolicies enforced (kube-router)", lambda: subprocess.run(
            [os.path.join(ROOT, "scripts/k8s-local"), "netpol"], check=True,
            capture_output=True, text=True) and "")
        targets = self.netpol_targets(graph)
        for caller in [*SERVICES, *WORKERS]:
            self.steps.step(f"{caller}: allowed calls work, every other is blocked",
                            lambda c=caller: self.calls_from(c, graph[c], targets))
        self.steps.step("a pod in another namespace reaches no service", self.outsider_blocked)
        self.steps.step("the shop still works end to end", lambda: journey(self.shop))

    @staticmethod
    def netpol_targets(graph) -> dict:
        """name -> (pod IP, port, probe kind) of one pod per service and datastore."""
        out = {}
        for name in [*SERVICES, *WORKERS, "postgresql", "redis"]:
            pod = pods(NS, name)[0]
            ip = pod["status"]["podIP"]
            if name == "postgresql":
                out[name] = (ip, 5432, "tcp")
            elif name == "redis":
                out[name] = (ip, 6379, "tcp")
            else:
                out[name] = (ip, graph[name]["port"], "http" if name == "gateway" else "grpc")
        return out

    def calls_from(self, caller: str, spec: dict, targets: dict) -> str:
        allowed = set(spec.get("calls", []))
        if spec.get("database"):
            allowed.add("postgresql")
        if spec.get("redis"):
            allowed.add("redis")
        pod = pods(NS, caller)[0]["metadata"]["name"]
        wrong = []
        for target, (ip, port, kind) in targets.items():
            if target == caller:
                continue
            works = self.probe(pod, ip, port, kind)
            if works != (target in allowed):
                wrong.append(f"{target} {'reachable' if works else 'blocked'}")
        check(not wrong, f"from {caller}: {wrong}")
        return f"reaches {sorted(allowed) or 'nothing'}, nothing else"

    @staticmethod
    def probe(pod: str, ip: str, port: int, kind: str) -> bool:
        if kind == "grpc":
            cmd = ["mercato-healthcheck", "--timeout=2000", f"{ip}:{port}"]
        elif kind == "http":
            cmd = ["mercato-healthcheck", "--http", "--path=/healthz", "--timeout=2000",
                   f"{ip}:{port}"]
        else:
            cmd = ["bash", "-c", f"timeout 2 bash -c 'echo > /dev/tcp/{ip}/{port}'"]
        r = subprocess.run([KUBECTL, "-n", NS, "exec", pod, "--", *cmd], capture_output=True,
                           text=True, timeout=60)
        return r.returncode == 0

    def outsider_blocked(self):
        ns = "mercato-outsider"
        kubectl("create", "namespace", ns, check_rc=False)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "outsider"},
               "spec": {"containers": [{
                   "name": "probe", "image": "localhost/mercato-k8s/busybox:local",
                   "imagePullPolicy": "Never", "command": ["sleep", "600"]}]}}
        kubectl("-n", ns, "apply", "-f", "-", stdin=json.dumps(pod))
        kubectl("-n", ns, "wait", "--for=condition=Ready", "pod/outsider", "--timeout=60s")
        try:
            reached = []
            for name in [*SERVICES, *WORKERS, "postgresql", "redis"]:
                p = pods(NS, name)[0]
                port = {"postgresql": 5432, "redis": 6379}.get(name) or int(
                    p["spec"]["containers"][0]["ports"][0]["containerPort"])
                r = subprocess.run([KUBECTL, "-n", ns, "exec", "outsider", "--", "nc", "-z",
                                    "-w", "2", p["status"]["podIP"], str(port)],
                                   capture_output=True, text=True, timeout=60)
                if r.returncode == 0:
                    reached.append(name)
            check(not reached, f"reached {reached}")
            return "blocked from every service and datastore"
        finally:
            kubectl("delete", "namespace", ns, "--wait=false")


def main() -> int:
    return Suite().run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
