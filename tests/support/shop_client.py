"""A black-box client of the shop's HTTP API for the Python test drivers (tests/containers,
tests/k8s): one new connection per request, JSON in and out, and the step runner they print
their PASS/FAIL lines with."""
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid

PASSWORD = "correct-horse-battery-staple-42"
CARD_OK = {"number": "4242424242424242", "exp_month": 12,
           "exp_year": time.gmtime().tm_year + 3, "cvc": "123"}
ADDRESS = {"name": "Ann Buyer", "line1": "1 Main Street", "line2": "", "city": "Berlin",
           "region": "", "postal_code": "10115", "country": "DE"}


class Failure(Exception):
    pass


def check(condition: bool, message: str):
    if not condition:
        raise Failure(message)


class Response:
    def __init__(self, status: int, body: bytes, headers):
        self.status = status
        self.body = body
        self.headers = headers
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error_code(self) -> str:
        return ((self.json or {}).get("error") or {}).get("code", "")

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:300]!r}"


class Shop:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")

    def call(self, method: str, path: str, body=None, headers=None, timeout=15) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return Response(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), e.headers)


class Shopper:
    """One signed-in account: register, sign in, cart, checkout with the sandbox card."""

    def __init__(self, shop: Shop, prefix="shopper"):
        self.shop = shop
        self.email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
        self.token = None

    def auth(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def register_and_sign_in(self):
        r = self.shop.call("POST", "/api/v1/users",
                           {"email": self.email, "password": PASSWORD, "name": "Test Shopper"})
        check(r.status == 201, f"register: {r}")
        r = self.shop.call("POST", "/api/v1/sessions", {"email": self.email, "password": PASSWORD})
        check(r.status == 200 and r.json.get("access_token"), f"sign in: {r}")
        self.token = r.json["access_token"]

    def add_to_cart(self, product_id: str, quantity=1) -> Response:
        return self.shop.call("POST", "/api/v1/cart/items",
                              {"product_id": product_id, "quantity": quantity}, self.auth())

    def place_order(self, key: str, timeout=30) -> Response:
        return self.shop.call("POST", "/api/v1/checkout",
                              {"shipping_address": ADDRESS, "payment": {"card": CARD_OK}},
                              self.auth(**{"Idempotency-Key": key}), timeout=timeout)

    def orders(self) -> list:
        """Every order of the account, newest first (all pages)."""
        orders, token = [], ""
        while True:
            path = "/api/v1/orders?page_size=100" + (f"&page_token={token}" if token else "")
            r = self.shop.call("GET", path, headers=self.auth())
            check(r.status == 200, f"orders: {r}")
            orders += r.json.get("orders", [])
            token = r.json.get("next_page_token")
            if not token:
                return orders


class Steps:
    """Runs named steps, prints PASS/FAIL with timings, counts failures."""

    def __init__(self):
        self.failures = 0
        self.summary = []

    def step(self, name: str, fn) -> bool:
        start = time.time()
        try:
            detail = fn() or ""
            line = f"  PASS  {name}  ({time.time() - start:.1f} s) {detail}"
            ok = True
        except (Failure, OSError, subprocess.CalledProcessError) as e:
            self.failures += 1
            extra = ""
            if isinstance(e, subprocess.CalledProcessError) and e.stderr:
                extra = f"\n        {str(e.stderr).strip()[-2000:]}"
            line = f"  FAIL  {name}  ({time.time() - start:.1f} s): {e}{extra}"
            ok = False
        print(line, flush=True)
        self.summary.append(line)
        return ok
