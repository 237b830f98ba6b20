#!/usr/bin/env python3
"""Offline checks of Mercato's Kubernetes manifests: the Helm chart (helm/mercato) and the
kustomize overlays (deploy/k8s). Run through tests/deploy/run, which installs the tools.

Every check runs (a failure does not hide the next one); the summary lists each with its time.

  lint        helm lint --strict with every values file in helm/mercato/ci
  render      helm template of every scenario, kustomize build of base and every overlay
  notes       NOTES.txt renders for every values file and says how to reach the shop
  invalid     values the chart must refuse, each with the message it must give
  schema      every rendered object against the Kubernetes JSON schemas 1.29, 1.30 and 1.31
              (strict: unknown fields fail), CRD objects against their CRDs' schemas
  policy      Pod Security "restricted" + read-only root, probes, requests/limits, rolling
              update, drain timing, HPA + PDB per service, default-deny NetworkPolicy,
              trusted proxies for the gateway behind an Ingress (private ranges only), ...
  drift       images, ports, env var names, secret refs and addresses against
              deploy/services.json; the chart's topology copy against it too
  netpol      the NetworkPolicies evaluated: exactly the "calls" of services.json, each
              service to its own datastore, DNS, Prometheus and the ingress controller
  parity      kustomize overlays/dev and the chart's defaults produce the same objects
  keda        scale to zero: the workers' KEDA ScaledObjects field by field, exactly when
              <worker>.autoscaling.keda.enabled (kustomize: components/keda-workers), and then
              no HPA for them
  values      every value documented (## @param) and typed in values.schema.json; the
              values table in docs/kubernetes.md up to date (--write-docs rewrites it)
"""
import copy
import importlib.resources
import ipaddress
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import jsonschema
import referencing
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CHART = ROOT / "helm/mercato"
K8S = ROOT / "deploy/k8s"
DOCS = ROOT / "docs/kubernetes.md"
TOOLS = Path(os.environ.get("MERCATO_TOOLS_DIR",
                            Path.home() / ".cache/mercato/tools"))
HELM = str(TOOLS / "bin/helm")
KUSTOMIZE = shlex.split(os.environ.get("MERCATO_KUSTOMIZE", "kubectl kustomize"))
SPEC = json.loads((ROOT / "deploy/services.json").read_text())
SERVICES = SPEC["services"]
COMMON_GRPC_ENV = set(SPEC["common_grpc_env"])
RELEASE = "mercato"
NAMESPACE = "mercato"
KUBE_VERSIONS = ["1.29.0", "1.30.0", "1.31.0"]
RENDER_KUBE_VERSION = "1.31.0"

# CRDs the chart may render, and where their schemas come from: the projects' Go modules
# (fetched through the Go module proxy, cached under ~/.cache/mercato/tools/crd-schemas).
CRD_SOURCES = [
    ("github.com/prometheus-operator/prometheus-operator", "v0.85.0",
     ["example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
      "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"]),
    ("istio.io/api", "v1.28.0", ["kubernetes/customresourcedefinitions.gen.yaml"]),
    ("github.com/kedacore/keda/v2", "v2.16.1", ["config/crd/bases/keda.sh_scaledobjects.yaml"]),
]
# Kinds validated by nothing at all would be listed here, by name. Empty: every kind the
# chart and the overlays render has a schema.
SKIPPED_KINDS: dict = {}


# --- scenarios ------------------------------------------------------------------------------
class Scenario:
    """One way of rendering the manifests, and what it should contain."""

    def __init__(self, name, kind, source, values=None):
        self.name, self.kind, self.source = name, kind, source
        self.values = values or {}  # the effective chart values (helm) or equivalent flags
        self.docs = None  # rendered objects, once rendered
        self.error = None

    def flag(self, dotted, default=None):
        node = self.values
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node


def deep_merge(base, override):
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def scenarios():
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    out = []
    for f in sorted((CHART / "ci").glob("*-values.yaml")):
        values = deep_merge(defaults, yaml.safe_load(f.read_text()))
        out.append(Scenario("helm:" + f.name.removesuffix("-values.yaml"), "helm", f, values))
    common = {"autoscaling": {"enabled": True}, "pdb": {"enabled": True},
              "networkPolicies": {"enabled": True}, "ingress": {"enabled": True},
              "istio": {"enabled": False}, "linkerd": {"enabled": False}}
    out.append(Scenario("kustomize:dev", "kustomize", K8S / "overlays/dev", deep_merge(common, {
        "postgresql": {"enabled": True}, "redis": {"enabled": True}})))
    out.append(Scenario("kustomize:prod", "kustomize", K8S / "overlays/prod", deep_merge(common, {
        "postgresql": {"enabled": False}, "redis": {"enabled": False}, "production": True})))
    # overlays/dev plus the optional components (deploy/k8s/components), as test fixtures.
    out.append(Scenario("kustomize:dev-keda", "kustomize", ROOT / "tests/deploy/overlays/dev-keda",
                        deep_merge(common, {"postgresql": {"enabled": True},
                                            "redis": {"enabled": True},
                                            **{w: {"autoscaling": {"keda": KEDA_COMPONENT}}
                                               for w in WORKERS}})))
    for mesh in ("istio", "linkerd"):
        out.append(Scenario(f"kustomize:dev-{mesh}", "kustomize",
                            ROOT / f"tests/deploy/overlays/dev-{mesh}", deep_merge(common, {
                                "postgresql": {"enabled": True}, "redis": {"enabled": True},
                                "serviceMonitor": {"enabled": True}, mesh: {"enabled": True}})))
    return out


# The workers KEDA may scale to zero, and what deploy/k8s/components/keda-workers sets (the
# chart's defaults for <worker>.autoscaling.keda, enabled).
WORKERS = ("fulfillment", "notification")
KEDA_COMPONENT = {"enabled": True, "lagThreshold": 20, "maxReplicaCount": 3, "cooldownPeriod": 300,
                  "pollingInterval": 15}
KEDA_TOPIC = "mercato.orders.v1"

# Pairs that must render the same objects: a kustomize scenario and the chart's values for it.
PARITY = [
    ("kustomize:dev", []),
    ("kustomize:dev-keda", [f"{w}.autoscaling.keda.enabled=true" for w in WORKERS]),
    ("kustomize:dev-istio", ["istio.enabled=true", "serviceMonitor.enabled=true"]),
    ("kustomize:dev-linkerd", ["linkerd.enabled=true", "serviceMonitor.enabled=true"]),
]


# --- YAML -----------------------------------------------------------------------------------
class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a manifest with duplicates is a bug."""


def _construct_mapping(loader, node, deep=False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        keys.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                _construct_mapping)


def load_all(text):
    return [d for d in yaml.load_all(text, Loader=UniqueKeyLoader) if d]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)


def helm_template(values_files, sets=()):
    cmd = [HELM, "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
           "--kube-version", RENDER_KUBE_VERSION]
    for f in values_files:
        cmd += ["-f", str(f)]
    for s in sets:
        cmd += ["--set", s]
    return run(cmd)


# --- the checks -----------------------------------------------------------------------------
class Context:
    def __init__(self, scenario_list):
        self.scenarios = scenario_list
        self.errors = []

    def error(self, msg):
        self.errors.append(msg)

    def rendered(self):
        return [s for s in self.scenarios if s.docs is not None]


CHECKS = []


def check(name):
    def register(fn):
        CHECKS.append((name, fn))
        return fn
    return register


@check("lint")
def check_lint(ctx):
    for f in sorted((CHART / "ci").glob("*-values.yaml")):
        r = run([HELM, "lint", "--strict", str(CHART), "-f", str(f),
                 "--kube-version", RENDER_KUBE_VERSION])
        # In lint mode helm reports a template's `fail` as [INFO] and still exits 0.
        if r.returncode != 0 or "Fail:" in r.stdout + r.stderr:
            ctx.error(f"helm lint --strict -f {f.name}:\n{r.stdout}{r.stderr}")


@check("render")
def check_render(ctx):
    for s in ctx.scenarios:
        if s.kind == "helm":
            r = helm_template([s.source])
        else:
            r = run(KUSTOMIZE + [str(s.source)])
        if r.returncode != 0:
            s.error = r.stderr.strip()
            ctx.error(f"{s.name}: rendering failed:\n{s.error}")
            continue
        try:
            s.docs = load_all(r.stdout)
        except yaml.YAMLError as e:
            ctx.error(f"{s.name}: output is not valid YAML: {e}")
            continue
        seen = set()
        for d in s.docs:
            key = (d.get("apiVersion"), d.get("kind"), d["metadata"].get("namespace"),
                   d["metadata"].get("name"))
            if key in seen:
                ctx.error(f"{s.name}: {key[1]}/{key[3]} rendered twice")
            seen.add(key)
            if s.kind == "helm" and d["metadata"].get("namespace") != NAMESPACE:
                ctx.error(f"{s.name}: {d['kind']}/{d['metadata']['name']} has no namespace")
    # The base alone must build too (overlays are what operators apply).
    r = run(KUSTOMIZE + [str(K8S / "base")])
    if r.returncode != 0:
        ctx.error(f"kustomize build deploy/k8s/base failed:\n{r.stderr}")


@check("notes")
def check_notes(ctx):
    """NOTES.txt renders for every values file and tells how to reach the shop. (`helm install
    --dry-run` needs a cluster; `helm template` skips NOTES.txt: so render it as a ConfigMap
    from a copy of the chart.)"""
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / "mercato"
        shutil.copytree(CHART, chart)
        (chart / "files/notes.txt").write_text((CHART / "templates/NOTES.txt").read_text())
        (chart / "templates/notes-check.yaml").write_text(
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: |\n'
            '    {{- tpl (.Files.Get "files/notes.txt") . | nindent 4 }}\n')
        for s in ctx.scenarios:
            if s.kind != "helm":
                continue
            r = run([HELM, "template", RELEASE, str(chart), "-n", NAMESPACE, "-f", str(s.source),
                     "--kube-version", RENDER_KUBE_VERSION,
                     "--show-only", "templates/notes-check.yaml"])
            if r.returncode != 0:
                ctx.error(f"{s.name}: NOTES.txt does not render: {r.stderr.strip()}")
                continue
            notes = load_all(r.stdout)[0]["data"]["notes"]
            host = s.flag("ingress.host")
            if s.flag("ingress.enabled") and host:
                scheme = "https" if s.flag("ingress.tls.enabled") else "http"
                want = f"{scheme}://{host}/"
            elif s.flag("ingress.enabled"):
                want = f"kubectl get ingress -n {NAMESPACE} {RELEASE}-gateway"
            else:
                want = f"port-forward service/{RELEASE}-gateway 8080:8080"
            if want not in notes:
                ctx.error(f"{s.name}: NOTES.txt does not say how to reach the shop ({want!r}):"
                          f"\n{notes}")
            if "<no value>" in notes:
                ctx.error(f"{s.name}: NOTES.txt prints <no value>")
            bundled = any(s.flag(f"{d}.enabled") for d in ("postgresql", "redis", "kafka"))
            if bundled != ("WARNING: the bundled" in notes):
                ctx.error(f"{s.name}: NOTES.txt must warn exactly when datastores are bundled")


@check("invalid")
def check_invalid(ctx):
    """tests/deploy/invalid/*.yaml: values the chart must refuse. Each file starts with
    `# expect: <text>` lines; the render must fail and its message contain every text."""
    cases = sorted((ROOT / "tests/deploy/invalid").glob("*.yaml"))
    if not cases:
        ctx.error("no cases in tests/deploy/invalid")
    for case in cases:
        text = case.read_text()
        expected = re.findall(r"^# expect: (.+)$", text, re.M)
        base = re.findall(r"^# base: (.+)$", text, re.M)
        if not expected:
            ctx.error(f"{case.name}: no '# expect:' line")
            continue
        files = [CHART / "ci" / b.strip() for b in base] + [case]
        r = helm_template(files)
        if r.returncode == 0:
            ctx.error(f"{case.name}: the chart rendered these values; it must refuse them")
            continue
        for e in expected:
            if e.strip() not in r.stderr:
                ctx.error(f"{case.name}: message lacks {e.strip()!r}:\n{r.stderr.strip()}")


# --- schema ---------------------------------------------------------------------------------
class KubeSchemas:
    def __init__(self):
        self.base = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
        self.validators = {}
        self.registries = {}

    def validator(self, version, kind, api_version):
        key = (version, kind, api_version)
        if key not in self.validators:
            folder = self.base / f"v{version}-local-strict"
            if version not in self.registries:
                defs = json.loads((folder / "_definitions.json").read_text())
                self.registries[version] = referencing.Resource.from_contents(defs) @ \
                    referencing.Registry()
            group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            path = folder / f"{kind.lower()}-{group_version}.json"
            if not path.is_file():
                self.validators[key] = None
            else:
                schema = json.loads(path.read_text())
                registry = referencing.Resource.from_contents(schema) @ self.registries[version]
                self.validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self.validators[key]


def strictify(node):
    """CRD openAPIV3Schema -> JSON schema that refuses unknown fields, as the API server's
    structural-schema pruning would drop them silently (a typo would go unnoticed)."""
    if isinstance(node, dict):
        node = {k: strictify(v) for k, v in node.items()}
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        if node.get("nullable") and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [strictify(v) for v in node]
    return node


def crd_schemas(ctx):
    cache = TOOLS / "crd-schemas"
    index = cache / "index.json"
    wanted = json.dumps(CRD_SOURCES)
    if not (index.is_file() and json.loads(index.read_text()).get("sources") == wanted):
        cache.mkdir(parents=True, exist_ok=True)
        kinds = {}
        for module, version, files in CRD_SOURCES:
            go = os.environ.get("MERCATO_GO", "go")
            r = run([go, "mod", "download", "-json", f"{module}@{version}"])
            if r.returncode != 0:
                ctx.error(f"go mod download {module}@{version} failed: {r.stderr or r.stdout}")
                return {}
            directory = Path(json.loads(r.stdout)["Dir"])
            for f in files:
                for crd in load_all((directory / f).read_text()):
                    if crd.get("kind") != "CustomResourceDefinition":
                        continue
                    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                    for v in crd["spec"]["versions"]:
                        schema = strictify(v["schema"]["openAPIV3Schema"])
                        schema["properties"]["metadata"] = {"type": "object"}
                        schema["properties"].setdefault("apiVersion", {"type": "string"})
                        schema["properties"].setdefault("kind", {"type": "string"})
                        name = f"{group}_{kind}_{v['name']}.json"
                        (cache / name).write_text(json.dumps(schema))
                        kinds[f"{group}/{v['name']}/{kind}"] = name
        index.write_text(json.dumps({"sources": wanted, "kinds": kinds}))
    kinds = json.loads(index.read_text())["kinds"]
    return {k: jsonschema.Draft7Validator(json.loads((cache / v).read_text()))
            for k, v in kinds.items()}


@check("schema")
def check_schema(ctx):
    schemas = KubeSchemas()
    crds = crd_schemas(ctx)
    # The validator must be strict, or passing proves little.
    probe = {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "x"},
             "spec": {"selector": {"matchLabels": {"a": "b"}},
                      "template": {"metadata": {"labels": {"a": "b"}},
                                   "spec": {"containers": [{"name": "x", "image": "x",
                                                            "livenessprobe": {}}]}}}}
    for v in KUBE_VERSIONS:
        if not list(schemas.validator(v, "Deployment", "apps/v1").iter_errors(probe)):
            ctx.error(f"the {v} schemas accept an unknown field: validation is not strict")
    if "monitoring.coreos.com/v1/ServiceMonitor" in crds:
        bad = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
               "metadata": {"name": "x"}, "spec": {"selector": {}, "endpoint": []}}
        if not list(crds["monitoring.coreos.com/v1/ServiceMonitor"].iter_errors(bad)):
            ctx.error("the ServiceMonitor schema accepts an unknown field")
    counts = {}
    for s in ctx.rendered():
        for d in s.docs:
            kind, api = d["kind"], d["apiVersion"]
            where = f"{s.name}: {kind}/{d['metadata']['name']}"
            crd_key = f"{api}/{kind}"
            if "/" in api and "k8s.io" not in api.split("/")[0] and crd_key in crds:
                errors = list(crds[crd_key].iter_errors(d))
                counts[kind] = counts.get(kind, 0) + 1
            elif kind in SKIPPED_KINDS:
                continue
            else:
                errors = []
                for v in KUBE_VERSIONS:
                    validator = schemas.validator(v, kind, api)
                    if validator is None:
                        ctx.error(f"{where}: no schema for {api} {kind} in Kubernetes {v} "
                                  "(neither built in nor a known CRD)")
                        break
                    errors += [f"[{v}] {e.message} at {'/'.join(map(str, e.path))}"
                               for e in validator.iter_errors(d)]
                counts[kind] = counts.get(kind, 0) + 1
            for e in errors[:5]:
                ctx.error(f"{where}: {e if isinstance(e, str) else e.message}")
    print("    validated: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    if SKIPPED_KINDS:
        print("    skipped (no schema): " + ", ".join(sorted(SKIPPED_KINDS)))


# --- helpers over rendered objects ----------------------------------------------------------
def objects(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def by_name(docs, kind, name):
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    return None


def workloads(docs):
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]


def app_name(workload):
    return workload["spec"]["template"]["metadata"].get("labels", {}).get(
        "app.kubernetes.io/name")


def app_deployments(docs):
    return {app_name(d): d for d in objects(docs, "Deployment") if app_name(d) in SERVICES}


def selector_matches(selector, labels):
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, key, values = e["operator"], e["key"], e.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def strip_hash(name):
    """kustomize appends -<10 chars> to generated ConfigMap and Secret names."""
    return re.sub(r"-[a-z0-9]{10}$", "", name)


def env_of(container, docs):
    """{name: ("config"|"secret"|"value", detail)} of a container, ConfigMaps resolved."""
    env = {}
    for src in container.get("envFrom") or []:
        ref = src.get("configMapRef")
        if ref:
            cm = by_name(docs, "ConfigMap", ref["name"])
            for k, v in ((cm or {}).get("data") or {}).items():
                env[k] = ("config", v)
        if src.get("secretRef"):
            env["<secretRef " + src["secretRef"]["name"] + ">"] = ("secret", None)
    for e in container.get("env") or []:
        vf = e.get("valueFrom") or {}
        if "secretKeyRef" in vf:
            env[e["name"]] = ("secret", (vf["secretKeyRef"]["name"], vf["secretKeyRef"]["key"]))
        elif "configMapKeyRef" in vf:
            cm = by_name(docs, "ConfigMap", vf["configMapKeyRef"]["name"])
            env[e["name"]] = ("config", ((cm or {}).get("data") or {}).get(
                vf["configMapKeyRef"]["key"]))
        else:
            env[e["name"]] = ("value", e.get("value"))
    return env


def pod_spec(w):
    return w["spec"]["template"]["spec"]


def containers_of(w):
    spec = pod_spec(w)
    return (spec.get("initContainers") or []) + spec["containers"]


# --- policy ---------------------------------------------------------------------------------
ALLOWED_VOLUMES = {"configMap", "emptyDir", "secret", "persistentVolumeClaim", "projected",
                   "downwardAPI", "ephemeral", "csi"}


def quantity(q):
    """CPU cores or memory bytes of a Kubernetes quantity."""
    q = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3,
             "M": 1e6, "G": 1e9}
    m = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", q)
    if not m:
        raise ValueError(q)
    return float(m.group(1)) * units.get(m.group(2), 1)


def trusted_proxy_problem(gateway, docs):
    """Behind the Ingress the gateway's peer is the ingress controller: without trusted
    proxies every shopper has its address, and one attacker's failed sign-ins or requests
    count for everybody (issue 15, defect 3)."""
    env = env_of(gateway["spec"]["template"]["spec"]["containers"][0], docs)
    kind, value = env.get("MERCATO_TRUSTED_PROXIES", (None, ""))
    if kind != "config" or not value:
        return ("the gateway sits behind the Ingress but MERCATO_TRUSTED_PROXIES is not set: "
                "every client would have the ingress controller's address")
    for item in value.split(","):
        try:
            net = ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            return f"MERCATO_TRUSTED_PROXIES: {item!r} is not an address or CIDR block"
        if net.prefixlen == 0 or net.is_global:
            return (f"MERCATO_TRUSTED_PROXIES: {item} includes public addresses, whose "
                    "X-Forwarded-For anyone could write")
    return None


@check("policy")
def check_policy(ctx):
    for s in ctx.rendered():
        docs = s.docs
        for w in workloads(docs):
            where = f"{s.name}: {w['kind']}/{w['metadata']['name']}"
            spec = pod_spec(w)
            psc = spec.get("securityContext") or {}
            for field in ("hostNetwork", "hostPID", "hostIPC"):
                if spec.get(field):
                    ctx.error(f"{where}: {field}")
            if spec.get("automountServiceAccountToken") is not False:
                ctx.error(f"{where}: automountServiceAccountToken must be false")
            sa = spec.get("serviceAccountName")
            if not sa or sa == "default":
                ctx.error(f"{where}: needs its own ServiceAccount")
            elif (sa_obj := by_name(docs, "ServiceAccount", sa)) is None:
                ctx.error(f"{where}: ServiceAccount {sa} is not rendered")
            elif sa_obj.get("automountServiceAccountToken") is not False:
                ctx.error(f"{where}: ServiceAccount {sa} automounts its token")
            for vol in spec.get("volumes") or []:
                kinds = set(vol) - {"name"}
                if not kinds <= ALLOWED_VOLUMES:
                    ctx.error(f"{where}: volume {vol['name']} of type {kinds} is not allowed "
                              "under Pod Security restricted")
            for c in containers_of(w):
                cw = f"{where} container {c['name']}"
                sc = c.get("securityContext") or {}
                if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
                    ctx.error(f"{cw}: runAsNonRoot must be true")
                if sc.get("runAsUser", psc.get("runAsUser")) == 0:
                    ctx.error(f"{cw}: runs as root (uid 0)")
                seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
                if seccomp not in ("RuntimeDefault", "Localhost"):
                    ctx.error(f"{cw}: seccompProfile must be RuntimeDefault, not {seccomp}")
                if sc.get("allowPrivilegeEscalation") is not False:
                    ctx.error(f"{cw}: allowPrivilegeEscalation must be false")
                if sc.get("privileged"):
                    ctx.error(f"{cw}: privileged")
                caps = sc.get("capabilities") or {}
                if "ALL" not in (caps.get("drop") or []):
                    ctx.error(f"{cw}: capabilities.drop must contain ALL")
                if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
                    ctx.error(f"{cw}: adds capabilities {caps.get('add')}")
                if sc.get("readOnlyRootFilesystem") is not True:
                    ctx.error(f"{cw}: readOnlyRootFilesystem must be true")
                res = c.get("resources") or {}
                for kind in ("requests", "limits"):
                    for r in ("cpu", "memory"):
                        if r not in (res.get(kind) or {}):
                            ctx.error(f"{cw}: resources.{kind}.{r} missing")
                for r in ("cpu", "memory"):
                    try:
                        if quantity(res["requests"][r]) > quantity(res["limits"][r]):
                            ctx.error(f"{cw}: {r} request above its limit")
                    except (KeyError, TypeError, ValueError):
                        pass
                if c in (spec.get("initContainers") or []):
                    continue
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if probe not in c:
                        ctx.error(f"{cw}: no {probe}")
                names = [e["name"] for e in c.get("env") or []]
                if len(names) != len(set(names)):
                    ctx.error(f"{cw}: an env var is listed twice")
                if re.search(r":latest$", c["image"]) or ":" not in c["image"].split("/")[-1]:
                    ctx.error(f"{cw}: image {c['image']} has no fixed tag")

        apps = app_deployments(docs)
        missing = enabled_services(s) - set(apps)
        if missing:
            ctx.error(f"{s.name}: no Deployment for {sorted(missing)}")
        extra = set(apps) - enabled_services(s)
        if extra:
            ctx.error(f"{s.name}: Deployments for the disabled {sorted(extra)}")
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h
                for h in objects(docs, "HorizontalPodAutoscaler")}
        scaled = {o["spec"]["scaleTargetRef"]["name"] for o in objects(docs, "ScaledObject")}
        pdbs = objects(docs, "PodDisruptionBudget")
        for name, d in apps.items():
            where = f"{s.name}: Deployment/{d['metadata']['name']}"
            strategy = d["spec"].get("strategy") or {}
            if (strategy.get("type") != "RollingUpdate"
                    or str(strategy.get("rollingUpdate", {}).get("maxUnavailable")) != "0"):
                ctx.error(f"{where}: needs a RollingUpdate with maxUnavailable 0")
            spec = pod_spec(d)
            keys = {t["topologyKey"] for t in spec.get("topologySpreadConstraints") or []
                    if selector_matches(t.get("labelSelector"),
                                        d["spec"]["template"]["metadata"]["labels"])}
            if not {"kubernetes.io/hostname", "topology.kubernetes.io/zone"} <= keys:
                ctx.error(f"{where}: needs topology spread over nodes and zones")
            c = spec["containers"][0]
            pre = ((c.get("lifecycle") or {}).get("preStop")) or {}
            if "sleep" in pre:
                pre_s = pre["sleep"]["seconds"]
            elif "exec" in pre and pre["exec"]["command"][0] == "sleep":
                pre_s = int(pre["exec"]["command"][1])
            else:
                ctx.error(f"{where}: needs a preStop delay")
                pre_s = 0
            env = env_of(c, docs)
            grace_ms = int(env.get("MERCATO_SHUTDOWN_GRACE_MS", ("", 10000))[1])
            needed = pre_s + math.ceil(grace_ms / 1000)
            tgps = spec.get("terminationGracePeriodSeconds", 30)
            if tgps <= needed:
                ctx.error(f"{where}: terminationGracePeriodSeconds {tgps} must exceed preStop "
                          f"{pre_s} s + MERCATO_SHUTDOWN_GRACE_MS {grace_ms} ms")
            live = c.get("livenessProbe") or {}
            if live.get("periodSeconds", 10) * live.get("failureThreshold", 3) * 1000 <= grace_ms:
                ctx.error(f"{where}: the liveness probe would kill a draining pod")
            if d["metadata"]["name"] in scaled:
                # KEDA owns the count (its own HPA); the keda check looks at the rest.
                if d["metadata"]["name"] in hpas:
                    ctx.error(f"{where}: a HorizontalPodAutoscaler besides its KEDA ScaledObject "
                              "(two controllers would fight over the replicas)")
                if "replicas" in d["spec"]:
                    ctx.error(f"{where}: sets replicas although KEDA owns the count")
            elif s.flag("autoscaling.enabled"):
                h = hpas.get(d["metadata"]["name"])
                if h is None:
                    ctx.error(f"{where}: no HorizontalPodAutoscaler")
                else:
                    if h["apiVersion"] != "autoscaling/v2":
                        ctx.error(f"{where}: HPA must be autoscaling/v2")
                    targets = {m["resource"]["name"] for m in h["spec"].get("metrics", [])
                               if m["type"] == "Resource"
                               and m["resource"]["target"]["type"] == "Utilization"}
                    if targets != {"cpu", "memory"}:
                        ctx.error(f"{where}: HPA needs CPU and memory utilisation targets")
                    if not 1 <= h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"]:
                        ctx.error(f"{where}: HPA min/max replicas out of order")
                    down = ((h["spec"].get("behavior") or {}).get("scaleDown") or {})
                    if not down.get("stabilizationWindowSeconds"):
                        ctx.error(f"{where}: HPA needs a scale-down stabilisation window")
                    if "replicas" in d["spec"]:
                        ctx.error(f"{where}: sets replicas although an HPA owns the count "
                                  "(every apply would reset it)")
            elif "replicas" not in d["spec"]:
                ctx.error(f"{where}: no HPA and no replicas")
            if s.flag("pdb.enabled"):
                labels = d["spec"]["template"]["metadata"]["labels"]
                if not [p for p in pdbs if selector_matches(p["spec"]["selector"], labels)]:
                    ctx.error(f"{where}: no PodDisruptionBudget selects its pods")
            svc = [x for x in objects(docs, "Service")
                   if x["spec"].get("selector") and all(
                       d["spec"]["template"]["metadata"]["labels"].get(k) == v
                       for k, v in x["spec"]["selector"].items())]
            port_name = "http" if SERVICES[name]["kind"] == "http" else "grpc"
            ports = [p for x in svc for p in x["spec"]["ports"] if p.get("name") == port_name]
            if not ports or not ports[0].get("appProtocol"):
                ctx.error(f"{where}: no Service port named {port_name} with an appProtocol")

        if s.flag("networkPolicies.enabled"):
            pods = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)]
            deny = [n for n in objects(docs, "NetworkPolicy")
                    if set(n["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                    and not n["spec"].get("ingress") and not n["spec"].get("egress")
                    and all(selector_matches(n["spec"]["podSelector"], p) for p in pods)]
            if not deny:
                ctx.error(f"{s.name}: no default-deny NetworkPolicy (ingress and egress) "
                          "selecting every pod")
        if s.flag("ingress.enabled"):
            ing = objects(docs, "Ingress")
            backends = [p["backend"]["service"]["name"] for i in ing for r in i["spec"]["rules"]
                        for p in r["http"]["paths"]]
            gw = apps.get("gateway")
            if not gw or f"{gw['metadata']['name']}" not in backends:
                ctx.error(f"{s.name}: no Ingress routes to the gateway")
            elif problem := trusted_proxy_problem(gw, docs):
                ctx.error(f"{s.name}: {problem}")
        for ns in objects(docs, "Namespace"):
            if ns["metadata"].get("labels", {}).get(
                    "pod-security.kubernetes.io/enforce") != "restricted":
                ctx.error(f"{s.name}: namespace {ns['metadata']['name']} does not enforce "
                          "Pod Security restricted")
        if s.kind == "kustomize" and not objects(docs, "Namespace"):
            ctx.error(f"{s.name}: renders no Namespace (with the Pod Security label)")
        secrets = objects(docs, "Secret")
        if s.flag("production") and secrets:
            ctx.error(f"{s.name}: commits Secrets {[x['metadata']['name'] for x in secrets]}")
        if s.kind == "kustomize":
            for x in secrets:
                if "DEV ONLY" not in (x["metadata"].get("annotations") or {}).get(
                        "mercato.dev/placeholder", ""):
                    ctx.error(f"{s.name}: Secret {x['metadata']['name']} is not marked as a "
                              "dev-only placeholder")


def enabled_services(s):
    """The services a scenario runs: every one of services.json but a worker switched off."""
    return {n for n in SERVICES if s.flag(f"{n}.enabled", True) is not False}


# --- drift ----------------------------------------------------------------------------------
def topology_from_chart():
    text = (CHART / "templates/_topology.tpl").read_text()
    body = re.search(r'define "mercato.topology" -}}\n(.*?)\{\{- end -}}', text, re.S).group(1)
    common = re.search(r'define "mercato.commonGrpcEnv" -}}\n(.*?)\n\{\{- end -}}', text,
                       re.S).group(1)
    return yaml.safe_load(body), yaml.safe_load(common)


@check("drift")
def check_drift(ctx):
    # The chart's copy of the topology.
    topology, common = topology_from_chart()
    if set(common) != COMMON_GRPC_ENV:
        ctx.error(f"_topology.tpl commonGrpcEnv differs from services.json common_grpc_env: "
                  f"{sorted(set(common) ^ COMMON_GRPC_ENV)}")
    if set(topology) != set(SERVICES):
        ctx.error(f"_topology.tpl services {sorted(topology)} != services.json "
                  f"{sorted(SERVICES)}")
    for name, svc in SERVICES.items():
        if set(svc.get("secrets", [])) - set(svc["env"]):
            ctx.error(f"services.json: {name}.secrets lists variables it does not read")
        t = topology.get(name)
        if not t:
            continue
        for ours, theirs in (("kind", "kind"), ("port", "port"), ("adminPort", "admin_port"),
                             ("redis", "redis"), ("kafka", "kafka"), ("calls", "calls")):
            if t.get(ours, False) != svc.get(theirs, False):
                ctx.error(f"_topology.tpl {name}.{ours} = {t[ours]!r}, services.json says "
                          f"{svc[theirs]!r}")
        if (t["database"] or None) != svc["database"]:
            ctx.error(f"_topology.tpl {name}.database = {t['database']!r}, services.json says "
                      f"{svc['database']!r}")
        if set(t["env"]) != set(svc["env"]):
            ctx.error(f"_topology.tpl {name}.env differs from services.json: "
                      f"{sorted(set(t['env']) ^ set(svc['env']))}")
        if set(t["secretEnv"]) != set(svc.get("secrets", [])):
            ctx.error(f"_topology.tpl {name}.secretEnv {sorted(t['secretEnv'])} != services.json "
                      f"secrets {sorted(svc.get('secrets', []))}")

    for s in ctx.rendered():
        docs = s.docs
        apps = app_deployments(docs)
        services = objects(docs, "Service")
        for name, d in apps.items():
            svc = SERVICES[name]
            where = f"{s.name}: {name}"
            labels = d["spec"]["template"]["metadata"]["labels"]
            containers = pod_spec(d)["containers"]
            c = next((x for x in containers if x["name"] == name), None)
            if c is None:
                ctx.error(f"{where}: no container named {name}")
                continue
            if not re.fullmatch(rf"(?:[^@]+/)?mercato/{name}(?::[\w.-]+|@sha256:[0-9a-f]{{64}})",
                                c["image"]):
                ctx.error(f"{where}: image {c['image']} is not mercato/{name}:<version>")
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            main = "http" if svc["kind"] == "http" else "grpc"
            if ports.get(main) != svc["port"]:
                ctx.error(f"{where}: container port {main} = {ports.get(main)}, services.json "
                          f"says {svc['port']}")
            if ports.get("metrics") != svc["admin_port"]:
                ctx.error(f"{where}: container port metrics = {ports.get('metrics')}, "
                          f"services.json says admin_port {svc['admin_port']}")
            env = env_of(c, docs)
            readable = set(svc["env"]) | (COMMON_GRPC_ENV if svc["kind"] == "grpc" else set())
            unknown = set(env) - readable
            if unknown:
                ctx.error(f"{where}: sets {sorted(unknown)}, which the service does not read "
                          "(deploy/services.json)")
            for var in svc.get("secrets", []):
                if var in env and env[var][0] != "secret":
                    ctx.error(f"{where}: {var} is a secret but comes from a {env[var][0]}")
            # Every secret the service reads is set: the admin account, the fingerprint key and
            # the keys of service identity (without them the service refuses to start).
            for var in svc.get("secrets", []):
                if var not in env:
                    ctx.error(f"{where}: {var} is not set (the chart requires real secrets)")
            if svc["database"] and env.get("MERCATO_DATABASE_URL", ("",))[0] != "secret":
                ctx.error(f"{where}: MERCATO_DATABASE_URL must come from a Secret")
            if svc["redis"] and env.get("MERCATO_REDIS_URL", ("",))[0] != "secret":
                ctx.error(f"{where}: MERCATO_REDIS_URL must come from a Secret")
            for var, (how, detail) in env.items():
                if how == "secret" and detail:
                    secret = by_name(docs, "Secret", detail[0])
                    if secret is not None and detail[1] not in (secret.get("data") or {}) | (
                            secret.get("stringData") or {}):
                        ctx.error(f"{where}: {var} refers to key {detail[1]} that Secret "
                                  f"{detail[0]} lacks")
            for port_var, expected in ((f"MERCATO_{'HTTP' if main == 'http' else 'GRPC'}_PORT",
                                        svc["port"]), ("MERCATO_ADMIN_PORT", svc["admin_port"])):
                if port_var in env and str(env[port_var][1]) != str(expected):
                    ctx.error(f"{where}: {port_var}={env[port_var][1]}, container port is "
                              f"{expected}")
            # Addresses of the services it calls: present, and pointing at the right Service.
            for other in SERVICES:
                var = f"MERCATO_{other.upper()}_ADDR"
                if var not in svc["env"]:
                    continue
                if other not in svc["calls"]:
                    if var in env:
                        ctx.error(f"{where}: sets {var} but services.json says it does not call "
                                  f"{other}")
                    continue
                if var not in env:
                    ctx.error(f"{where}: {var} is not set: it calls {other}")
                    continue
                host, _, port = str(env[var][1]).rpartition(":")
                target = next((x for x in services if x["metadata"]["name"] == host.split(".")[0]),
                              None)
                callee = apps.get(other)
                if target is None or callee is None:
                    ctx.error(f"{where}: {var}={env[var][1]} names no rendered Service")
                    continue
                if not all(callee["spec"]["template"]["metadata"]["labels"].get(k) == v
                           for k, v in target["spec"]["selector"].items()):
                    ctx.error(f"{where}: {var}={env[var][1]} does not select {other}'s pods")
                if int(port) != SERVICES[other]["port"] or int(port) not in [
                        p["port"] for p in target["spec"]["ports"]]:
                    ctx.error(f"{where}: {var}={env[var][1]}: {other} listens on "
                              f"{SERVICES[other]['port']}")
            # Probes on the service's own ports.
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                p = c.get(probe) or {}
                if svc["kind"] == "grpc":
                    if (p.get("grpc") or {}).get("port") != svc["port"]:
                        ctx.error(f"{where}: {probe} must be a native gRPC probe on {svc['port']}")
                else:
                    path = (p.get("httpGet") or {}).get("path")
                    want = "/readyz/local" if probe == "readinessProbe" else "/healthz"
                    port = (p.get("httpGet") or {}).get("port")
                    if path != want or port not in ("http", svc["port"]):
                        ctx.error(f"{where}: {probe} must GET {want} on the http port")
            # The Service in front of it.
            own = [x for x in services if x["spec"].get("selector") and all(
                labels.get(k) == v for k, v in x["spec"]["selector"].items())]
            exposed = {p["port"] for x in own for p in x["spec"]["ports"]}
            if {svc["port"], svc["admin_port"]} - exposed:
                ctx.error(f"{where}: its Service does not expose {svc['port']} and "
                          f"{svc['admin_port']}")
            if s.flag("istio.enabled"):
                if labels.get("sidecar.istio.io/inject") != "true":
                    ctx.error(f"{where}: istio.enabled but no sidecar.istio.io/inject label")
                if not by_name(docs, "DestinationRule", d["metadata"]["name"]):
                    ctx.error(f"{where}: no DestinationRule")
            if s.flag("linkerd.enabled"):
                if (d["spec"]["template"]["metadata"].get("annotations") or {}).get(
                        "linkerd.io/inject") != "enabled":
                    ctx.error(f"{where}: linkerd.enabled but no linkerd.io/inject annotation")
            if s.kind == "helm":
                ann = d["spec"]["template"]["metadata"].get("annotations") or {}
                if not re.fullmatch(r"[0-9a-f]{64}", ann.get("checksum/config", "")):
                    ctx.error(f"{where}: no checksum/config annotation")


@check("rollout")
def check_rollout(ctx):
    """checksum/config follows the config: changing one service's settings rolls exactly that
    service's pods; kustomize's hashed ConfigMap names do the same for the overlays."""
    base = [CHART / "ci/default-values.yaml"]
    a = helm_template(base)
    b = helm_template(base, sets=["catalog.config.MERCATO_RESERVATION_TTL_S=600"])
    if a.returncode != 0 or b.returncode != 0:
        ctx.error(f"helm template failed: {a.stderr or b.stderr}")
        return

    def checksums(text):
        return {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["annotations"][
            "checksum/config"] for d in load_all(text) if d["kind"] == "Deployment"}
    ca, cb = checksums(a.stdout), checksums(b.stdout)
    changed = {n for n in ca if ca[n] != cb.get(n)}
    if changed != {f"{RELEASE}-catalog"}:
        ctx.error(f"changing catalog's config changed checksum/config of {sorted(changed)}; "
                  "expected exactly the catalog Deployment")
    for s in ctx.rendered():
        if s.kind != "kustomize":
            continue
        for d in app_deployments(s.docs).values():
            for src in pod_spec(d)["containers"][0].get("envFrom") or []:
                name = (src.get("configMapRef") or {}).get("name", "")
                if strip_hash(name) == name:
                    ctx.error(f"{s.name}: {d['metadata']['name']} uses ConfigMap {name} without "
                              "a content hash: pods would not roll on a change")


# --- network policies -----------------------------------------------------------------------
class Endpoint:
    def __init__(self, name, labels, namespace_labels, ip=None, ports=None):
        self.name, self.labels, self.ns_labels, self.ip = name, labels, namespace_labels, ip
        self.ports = ports or {}  # name -> number


def peer_matches(peer, policy_ns_labels, ep):
    if "ipBlock" in peer:
        if ep.ip is None:
            return False
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        addr = ipaddress.ip_address(ep.ip)
        return addr in net and not any(addr in ipaddress.ip_network(x)
                                       for x in peer["ipBlock"].get("except", []))
    if ep.ip is not None and ep.labels is None:
        return False  # an address outside the cluster matches ipBlocks only
    ns_sel = peer.get("namespaceSelector")
    if ns_sel is None:
        ns_ok = ep.ns_labels == policy_ns_labels
    else:
        ns_ok = selector_matches(ns_sel, ep.ns_labels) or ns_sel == {}
    pod_sel = peer.get("podSelector")
    pod_ok = True if pod_sel is None else (pod_sel == {} or selector_matches(pod_sel, ep.labels))
    return ns_ok and pod_ok


def port_matches(rule_ports, port, protocol, dst):
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if "port" not in p:
            return True
        want = p["port"]
        number = dst.ports.get(want) if isinstance(want, str) else want
        end = p.get("endPort", number)
        if number is not None and number <= port <= end:
            return True
    return False


def allowed(policies, ns_labels, src, dst, port, protocol="TCP"):
    """Whether src may open a connection to dst:port under these NetworkPolicies (one
    namespace, ns_labels). Endpoints outside the namespace are never policed here."""
    def direction(ep, other, kind, key, peer_key):
        if ep.ns_labels != ns_labels or ep.labels is None:
            return True  # not ours: policed (or not) elsewhere
        selecting = [p for p in policies if kind in p["spec"].get("policyTypes", ["Ingress"])
                     and selector_matches_or_all(p["spec"]["podSelector"], ep.labels)]
        if not selecting:
            return True
        for p in selecting:
            for rule in p["spec"].get(key) or []:
                peers = rule.get(peer_key)
                if (not peers or any(peer_matches(x, ns_labels, other) for x in peers)) and \
                        port_matches(rule.get("ports"), port, protocol, dst):
                    return True
        return False
    return (direction(src, dst, "Egress", "egress", "to")
            and direction(dst, src, "Ingress", "ingress", "from"))


def selector_matches_or_all(selector, labels):
    return selector == {} or not (selector.get("matchLabels") or selector.get(
        "matchExpressions")) or selector_matches(selector, labels)


@check("netpol")
def check_netpol(ctx):
    ns_labels = {"kubernetes.io/metadata.name": NAMESPACE}
    for s in ctx.rendered():
        if not s.flag("networkPolicies.enabled"):
            if objects(s.docs, "NetworkPolicy"):
                ctx.error(f"{s.name}: networkPolicies off but NetworkPolicies rendered")
            continue
        docs = s.docs
        policies = objects(docs, "NetworkPolicy")
        pods = {}
        for w in workloads(docs):
            labels = w["spec"]["template"]["metadata"]["labels"]
            ports = {p.get("name"): p["containerPort"] for c in pod_spec(w)["containers"]
                     for p in c.get("ports", [])}
            pods[labels.get("app.kubernetes.io/name")] = Endpoint(
                labels.get("app.kubernetes.io/name"), labels, ns_labels, ports=ports)
        # Expected connections between our pods: services.json, nothing more.
        expected = set()
        for name, svc in SERVICES.items():
            if name not in enabled_services(s):
                continue
            for callee in svc["calls"]:
                expected.add((name, callee, SERVICES[callee]["port"]))
            if svc["database"] and "postgresql" in pods:
                expected.add((name, "postgresql", 5432))
            if svc["redis"] and "redis" in pods:
                expected.add((name, "redis", 6379))
            if svc.get("kafka") and "kafka" in pods:
                expected.add((name, "kafka", 9092))
        actual = set()
        for a in pods.values():
            for b in pods.values():
                for port in set(b.ports.values()):
                    if a is not b and allowed(policies, ns_labels, a, b, port):
                        actual.add((a.name, b.name, port))
        for extra in sorted(actual - expected):
            ctx.error(f"{s.name}: NetworkPolicies allow {extra[0]} -> {extra[1]}:{extra[2]}, "
                      "which no call in deploy/services.json needs")
        for miss in sorted(expected - actual):
            ctx.error(f"{s.name}: NetworkPolicies block {miss[0]} -> {miss[1]}:{miss[2]}, "
                      "which deploy/services.json says it makes")
        # The world outside the namespace.
        dns = Endpoint("kube-dns", {"k8s-app": "kube-dns"},
                       {"kubernetes.io/metadata.name": "kube-system"}, ports={"dns": 53})
        prometheus = Endpoint("prometheus", {"app.kubernetes.io/name": "prometheus"},
                              {"kubernetes.io/metadata.name": "monitoring"})
        ingress = Endpoint("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"},
                           {"kubernetes.io/metadata.name": "ingress-nginx"})
        stranger = Endpoint("other-namespace", {"app": "x"},
                            {"kubernetes.io/metadata.name": "default"})
        internet = Endpoint("internet", None, {}, ip="203.0.113.10")
        for name, ep in pods.items():
            if not allowed(policies, ns_labels, ep, dns, 53, "UDP"):
                ctx.error(f"{s.name}: {name} cannot resolve names (DNS egress)")
            for port in set(ep.ports.values()):
                if allowed(policies, ns_labels, stranger, ep, port):
                    ctx.error(f"{s.name}: a pod of another namespace reaches {name}:{port}")
            for port in (443, 80, 5432, 6379):
                if allowed(policies, ns_labels, ep, internet, port):
                    ctx.error(f"{s.name}: {name} may reach the internet on port {port}")
            if name not in SERVICES:
                continue
            svc = SERVICES[name]
            if not allowed(policies, ns_labels, prometheus, ep, svc["admin_port"]):
                ctx.error(f"{s.name}: Prometheus cannot scrape {name}:{svc['admin_port']}")
            if allowed(policies, ns_labels, prometheus, ep, svc["port"]):
                ctx.error(f"{s.name}: Prometheus reaches {name}'s API port {svc['port']}")
            reach = allowed(policies, ns_labels, ingress, ep, svc["port"])
            if reach != (svc["kind"] == "http"):
                verb = "reaches" if reach else "cannot reach"
                ctx.error(f"{s.name}: the ingress controller {verb} {name}:{svc['port']}")
        check_smtp_egress(ctx, s, policies, ns_labels, pods)
        # KEDA's operator reads the workers' consumer group lag from the bundled broker.
        keda_operator = Endpoint("keda-operator", {"app": "keda-operator"},
                                 {"kubernetes.io/metadata.name": "keda"})
        if objects(docs, "ScaledObject") and "kafka" in pods and not allowed(
                policies, ns_labels, keda_operator, pods["kafka"], 9092):
            ctx.error(f"{s.name}: the KEDA operator cannot reach the bundled Kafka broker "
                      "(ScaledObjects would never see the lag)")
        # Managed datastores: only their owners may reach their address ranges.
        for store, port, owners, cidr_key in (
                ("postgresql", 5432, [n for n, v in SERVICES.items() if v["database"]],
                 "externalDatabase.cidrs"),
                ("redis", 6379, [n for n, v in SERVICES.items() if v["redis"]],
                 "externalRedis.cidrs")):
            if store in pods:
                continue
            cidrs = s.flag(cidr_key) or [
                peer["ipBlock"]["cidr"] for p in policies for r in p["spec"].get("egress") or []
                for peer in r.get("to") or [] if "ipBlock" in peer
                and any(x.get("port") == port for x in r.get("ports") or [])]
            if not cidrs:
                ctx.error(f"{s.name}: no egress to a managed {store}")
                continue
            target = Endpoint(store, None, {},
                              ip=str(next(ipaddress.ip_network(cidrs[0]).hosts())))
            for name, ep in pods.items():
                if allowed(policies, ns_labels, ep, target, port) != (name in owners):
                    ctx.error(f"{s.name}: {name} {'may' if name not in owners else 'cannot'} "
                              f"reach the managed {store}")


def check_smtp_egress(ctx, s, policies, ns_labels, pods):
    """The notification worker reaches the SMTP server of its MERCATO_SMTP_URL, nothing else
    does (an IP address in the URL, else the first address of notification.smtp.cidrs)."""
    worker = app_deployments(s.docs).get("notification")
    if worker is None:
        return
    url = str(env_of(pod_spec(worker)["containers"][0], s.docs).get(
        "MERCATO_SMTP_URL", ("", ""))[1])
    m = re.fullmatch(r"(smtps?)://([^/:]+)(?::([0-9]+))?/?", url)
    if not m:
        ctx.error(f"{s.name}: notification: MERCATO_SMTP_URL {url!r} is not smtp[s]://host[:port]")
        return
    port = int(m.group(3) or (465 if m.group(1) == "smtps" else 25))
    try:
        ip = str(ipaddress.ip_address(m.group(2)))
    except ValueError:
        cidrs = s.flag("notification.smtp.cidrs") or []
        if not cidrs:
            return  # a host name in a kustomize overlay: its patch names the range
        ip = str(next(ipaddress.ip_network(cidrs[0]).hosts(), ipaddress.ip_network(cidrs[0])[0]))
    server = Endpoint("smtp", None, {}, ip=ip)
    for name, ep in pods.items():
        if allowed(policies, ns_labels, ep, server, port) != (name == "notification"):
            verb = "cannot reach" if name == "notification" else "may reach"
            ctx.error(f"{s.name}: {name} {verb} the SMTP server {ip}:{port}")


# --- parity ---------------------------------------------------------------------------------
def canonical(x):
    """Order-insensitive form for comparing specs."""
    if isinstance(x, dict):
        return {k: canonical(v) for k, v in x.items()}
    if isinstance(x, list):
        return sorted((canonical(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    return x


def essentials(d, docs):
    """What must agree between the chart and the overlay, names of generated objects
    normalised and labels reduced to the selector labels."""
    kind = d["kind"]
    spec = copy.deepcopy(d.get("spec"))
    if kind in ("Deployment", "StatefulSet"):
        tpl = spec["template"]
        mesh = ("sidecar.istio.io/", "proxy.istio.io/", "linkerd.io/", "config.linkerd.io/",
                "config.alpha.linkerd.io/")
        tpl["metadata"] = {
            "labels": {k: v for k, v in tpl["metadata"]["labels"].items()
                       if k in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                                "app.kubernetes.io/component") or k.startswith(mesh)},
            "annotations": {k: v for k, v in (tpl["metadata"].get("annotations") or {}).items()
                            if k.startswith(mesh)}}
        for vct in spec.get("volumeClaimTemplates") or []:
            vct["metadata"]["labels"] = {k: v for k, v in vct["metadata"]["labels"].items()
                                         if k in ("app.kubernetes.io/name",
                                                  "app.kubernetes.io/instance")}
        for c in tpl["spec"]["containers"]:
            # 1 and "1" are the same quantity.
            c["resources"] = {k: {r: str(q) for r, q in v.items()}
                              for k, v in (c.get("resources") or {}).items()}
            c["image"] = re.sub(r"^(?:[^/]+\.[^/]+/)?", "", c["image"].rsplit(":", 1)[0])
            c["env"] = sorted(env_of(c, docs).items())
            c.pop("envFrom", None)
        for v in tpl["spec"].get("volumes") or []:
            if "configMap" in v:
                v["configMap"]["name"] = strip_hash(v["configMap"]["name"])
        spec.pop("replicas", None)
        return canonical(spec)
    if kind == "HorizontalPodAutoscaler":
        spec.pop("minReplicas"), spec.pop("maxReplicas")
        return canonical(spec)
    if kind == "ConfigMap":
        return canonical(d.get("data") or {})
    if kind == "Secret":  # the values differ (placeholders); the keys must not
        return canonical(sorted((d.get("data") or {}).keys()))
    return canonical(spec)


def normalise_secret_refs(value):
    return json.loads(re.sub(r'"(mercato-(?:secrets|datastores))-[a-z0-9]{10}"', r'"\1"',
                             json.dumps(value)))


@check("parity")
def check_parity(ctx):
    """Each kustomize scenario of PARITY and the chart with ci/default-values.yaml plus the
    matching toggles render the same objects with the same specs."""
    # Release-wide policies are scoped differently on purpose: the overlay owns its namespace
    # (podSelector {}), a chart release may share one (it selects its own pods).
    own = {"mercato-default-deny", "mercato-allow-dns", "mercato-allow-mesh-control-plane"}

    def index(kind, docs):
        out = {}
        for d in docs:
            if d["kind"] == "Namespace" or d["metadata"]["name"] in own:
                continue
            name = d["metadata"]["name"]
            if kind == "kustomize" and d["kind"] in ("ConfigMap", "Secret"):
                name = strip_hash(name)
            out[(d["kind"], name)] = normalise_secret_refs(essentials(d, docs))
        return out

    for scenario, sets in PARITY:
        kust = next((s for s in ctx.scenarios if s.name == scenario), None)
        if not kust or kust.docs is None:
            ctx.error(f"parity needs {scenario} rendered")
            continue
        r = helm_template([CHART / "ci/default-values.yaml"], sets=sets)
        if r.returncode != 0:
            ctx.error(f"helm template with {sets} failed: {r.stderr}")
            continue
        chart = f"the chart ({', '.join(sets) or 'defaults'})"
        h, k = index("helm", load_all(r.stdout)), index("kustomize", kust.docs)
        for key in sorted(set(h) - set(k)):
            ctx.error(f"{chart} renders {key[0]}/{key[1]}, {scenario} does not")
        for key in sorted(set(k) - set(h)):
            ctx.error(f"{scenario} renders {key[0]}/{key[1]}, {chart} does not")
        for key in sorted(set(h) & set(k)):
            if h[key] != k[key]:
                diff = first_difference(h[key], k[key])
                ctx.error(f"{key[0]}/{key[1]} differs between {chart} and {scenario}: {diff}")


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: only in {'the chart' if key in a else 'the overlay'}"
            if a[key] != b[key]:
                return first_difference(a[key], b[key], f"{path}/{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}/{i}")
    return f"{path}: {a!r} vs {b!r}"


# --- keda -----------------------------------------------------------------------------------
@check("keda")
def check_keda(ctx):
    """Scale to zero: a worker with autoscaling.keda.enabled (kustomize: components/keda-workers)
    has exactly this ScaledObject and no HPA; without it, an HPA and no ScaledObject."""
    for s in ctx.rendered():
        docs = s.docs
        apps = app_deployments(docs)
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h
                for h in objects(docs, "HorizontalPodAutoscaler")}
        scaled = {o["metadata"]["name"]: o for o in objects(docs, "ScaledObject")}
        workers = {apps[w]["metadata"]["name"]: w for w in WORKERS if w in apps}
        for o in scaled.values():
            if o["spec"]["scaleTargetRef"].get("name") not in workers:
                ctx.error(f"{s.name}: ScaledObject/{o['metadata']['name']} scales "
                          f"{o['spec']['scaleTargetRef']}, not a worker's Deployment")
        for full, name in workers.items():
            where = f"{s.name}: {name}"
            keda = s.flag(f"{name}.autoscaling.keda") or {}
            o = scaled.get(full)
            if not keda.get("enabled"):
                if o is not None:
                    ctx.error(f"{where}: a ScaledObject although KEDA is off")
                if s.flag("autoscaling.enabled") and full in hpas and s.kind == "helm":
                    want = s.flag(f"{name}.autoscaling.minReplicas")
                    got = hpas[full]["spec"].get("minReplicas")
                    if got != want:
                        ctx.error(f"{where}: HPA minReplicas {got}, values say {want}")
                continue
            if o is None:
                ctx.error(f"{where}: autoscaling.keda.enabled but no ScaledObject/{full}")
                continue
            if full in hpas:
                ctx.error(f"{where}: an HPA besides the KEDA ScaledObject")
            if "replicas" in apps[name]["spec"]:
                ctx.error(f"{where}: the Deployment sets replicas although KEDA owns the count")
            brokers = env_of(pod_spec(apps[name])["containers"][0], docs).get(
                "MERCATO_KAFKA_BROKERS", (None, None))[1]
            want = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": full},
                "pollingInterval": keda["pollingInterval"],
                "cooldownPeriod": keda["cooldownPeriod"],
                "minReplicaCount": 0, "maxReplicaCount": keda["maxReplicaCount"],
                # The consumer group is the worker's name (deploy/services.json,
                # MERCATO_KAFKA_BROKERS), the topic the order events'.
                "triggers": [{"type": "kafka", "metadata": {
                    "bootstrapServers": brokers, "consumerGroup": name, "topic": KEDA_TOPIC,
                    "lagThreshold": str(keda["lagThreshold"]),
                    "offsetResetPolicy": "earliest"}}]}}
            got = {"apiVersion": o["apiVersion"], "kind": o["kind"], "spec": o["spec"]}
            if got != want:
                ctx.error(f"{where}: ScaledObject/{full} differs from what the values ask: "
                          f"{first_difference(got, want)}")
    if not any(objects(s.docs, "ScaledObject") for s in ctx.rendered()):
        ctx.error("no scenario renders a ScaledObject (helm/mercato/ci/keda-values.yaml, "
                  "tests/deploy/overlays/dev-keda)")


# --- self-test ------------------------------------------------------------------------------
def _container(docs, name):
    return by_name(docs, "Deployment", f"{RELEASE}-{name}")["spec"]["template"]["spec"][
        "containers"][0]


def _widen_payment(docs):
    by_name(docs, "NetworkPolicy", f"{RELEASE}-payment")["spec"]["ingress"].insert(
        0, {"from": [{"podSelector": {}}], "ports": [{"port": 50055}]})
    by_name(docs, "NetworkPolicy", f"{RELEASE}-gateway")["spec"]["egress"].append(
        {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "payment"}}}]})


# (check, what is broken, how, the text the check must report[, scenario: helm:default])
MUTATIONS = [
    ("schema", "an unknown field",
     lambda d: _container(d, "cart").update(imagePullPolicyy="Always"), "imagePullPolicyy"),
    ("schema", "a wrong type",
     lambda d: by_name(d, "Service", f"{RELEASE}-cart")["spec"]["ports"][0].update(
         port="fifty"), "fifty"),
    ("policy", "writable root filesystem",
     lambda d: _container(d, "cart")["securityContext"].pop("readOnlyRootFilesystem"),
     "readOnlyRootFilesystem"),
    ("policy", "privilege escalation",
     lambda d: _container(d, "user")["securityContext"].update(allowPrivilegeEscalation=True),
     "allowPrivilegeEscalation"),
    ("policy", "no memory limit",
     lambda d: _container(d, "catalog")["resources"]["limits"].pop("memory"),
     "limits.memory"),
    ("policy", "no readiness probe", lambda d: _container(d, "gateway").pop("readinessProbe"),
     "no readinessProbe"),
    ("policy", "an HPA missing",
     lambda d: d.remove(by_name(d, "HorizontalPodAutoscaler", f"{RELEASE}-user")),
     "no HorizontalPodAutoscaler"),
    ("policy", "a PDB missing",
     lambda d: d.remove(by_name(d, "PodDisruptionBudget", f"{RELEASE}-cart")),
     "no PodDisruptionBudget"),
    ("policy", "no default deny",
     lambda d: d.remove(by_name(d, "NetworkPolicy", f"{RELEASE}-default-deny")),
     "no default-deny"),
    ("policy", "grace period shorter than the drain",
     lambda d: by_name(d, "Deployment", f"{RELEASE}-payment")["spec"]["template"]["spec"]
     .update(terminationGracePeriodSeconds=10), "terminationGracePeriodSeconds"),
    ("netpol", "an allow-list wider than the calls", _widen_payment, "gateway -> payment"),
    ("netpol", "a call blocked",
     lambda d: by_name(d, "NetworkPolicy", f"{RELEASE}-cart")["spec"]["egress"].pop(0),
     "block cart -> catalog"),
    ("netpol", "egress to the internet",
     lambda d: by_name(d, "NetworkPolicy", f"{RELEASE}-cart")["spec"]["egress"].append(
         {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}), "internet"),
    ("drift", "a wrong address port",
     lambda d: by_name(d, "ConfigMap", f"{RELEASE}-checkout")["data"].update(
         MERCATO_PAYMENT_ADDR=f"{RELEASE}-payment:50054"), "payment listens on 50055"),
    ("drift", "a variable the service does not read",
     lambda d: by_name(d, "ConfigMap", f"{RELEASE}-user")["data"].update(
         MERCATO_SERVICE_KEYS="x"), "MERCATO_SERVICE_KEYS"),
    ("drift", "a secret in a ConfigMap",
     lambda d: (by_name(d, "ConfigMap", f"{RELEASE}-gateway")["data"].update(
         MERCATO_SERVICE_KEY="x"), _container(d, "gateway").pop("env")),
     "MERCATO_SERVICE_KEY is a secret"),
    ("drift", "a callee without its caller's public key",
     lambda d: _container(d, "payment")["env"].remove(next(
         e for e in _container(d, "payment")["env"] if e["name"] == "MERCATO_CHECKOUT_PUBLIC_KEY")),
     "MERCATO_CHECKOUT_PUBLIC_KEY is not set"),
    ("drift", "a wrong metrics port",
     lambda d: _container(d, "gateway")["ports"][1].update(containerPort=9200), "admin_port"),
    ("drift", "another service's image",
     lambda d: _container(d, "cart").update(image="mercato/catalog:1"), "not mercato/cart"),
    ("schema", "an unknown ScaledObject field (KEDA's CRD schema)",
     lambda d: by_name(d, "ScaledObject", f"{RELEASE}-fulfillment")["spec"].update(
         minReplicas=0), "minReplicas", "helm:keda"),
    ("keda", "a ScaledObject's lag threshold",
     lambda d: by_name(d, "ScaledObject", f"{RELEASE}-fulfillment")["spec"]["triggers"][0][
         "metadata"].update(lagThreshold="5"), "lagThreshold", "helm:keda"),
    ("keda", "another consumer group",
     lambda d: by_name(d, "ScaledObject", f"{RELEASE}-notification")["spec"]["triggers"][0][
         "metadata"].update(consumerGroup="fulfillment"), "consumerGroup", "helm:keda"),
    ("keda", "an HPA besides the ScaledObject",
     lambda d: d.append(dict(copy.deepcopy(by_name(d, "HorizontalPodAutoscaler",
                                                   f"{RELEASE}-user")), spec=dict(
         copy.deepcopy(by_name(d, "HorizontalPodAutoscaler", f"{RELEASE}-user")["spec"]),
         scaleTargetRef={"apiVersion": "apps/v1", "kind": "Deployment",
                         "name": f"{RELEASE}-fulfillment"}))), "besides", "helm:keda"),
    ("netpol", "the SMTP server reachable by another service",
     lambda d: by_name(d, "NetworkPolicy", f"{RELEASE}-user")["spec"]["egress"].append(
         {"to": [{"ipBlock": {"cidr": "127.0.0.1/32"}}], "ports": [{"port": 2525}]})
     if by_name(d, "NetworkPolicy", f"{RELEASE}-user")["spec"].get("egress") else
     by_name(d, "NetworkPolicy", f"{RELEASE}-user")["spec"].update(
         egress=[{"to": [{"ipBlock": {"cidr": "127.0.0.1/32"}}], "ports": [{"port": 2525}]}]),
     "user may reach the SMTP server"),
    ("parity", "chart and overlay disagree",
     lambda d: by_name(d, "Deployment", f"{RELEASE}-cart")["spec"]["template"]["spec"]
     .update(terminationGracePeriodSeconds=30), "terminationGracePeriodSeconds",
     "kustomize:dev"),
]


@check("selftest")
def check_selftest(ctx):
    """Each check must catch a deliberately broken copy of a rendered scenario."""
    functions = dict(CHECKS)
    saved = [(s, s.docs) for s in ctx.scenarios]
    try:
        for name, what, mutate, expect, *target in MUTATIONS:
            target = target[0] if target else "helm:default"
            original = dict(saved)[next(s for s in ctx.scenarios if s.name == target)]
            if original is None:
                ctx.error(f"selftest needs {target} rendered")
                continue
            for s, docs in saved:  # only the broken copy is looked at
                s.docs = copy.deepcopy(docs) if s.name == target else None
            mutate(next(s for s in ctx.scenarios if s.name == target).docs)
            probe = Context(ctx.scenarios)
            with open(os.devnull, "w") as quiet:
                stdout, sys.stdout = sys.stdout, quiet
                try:
                    functions[name](probe)
                finally:
                    sys.stdout = stdout
            if not any(expect in e for e in probe.errors):
                ctx.error(f"{name} did not catch {what} (expected a message with {expect!r}; "
                          f"got {probe.errors[:3]})")
    finally:
        for s, docs in saved:
            s.docs = docs


# --- values ---------------------------------------------------------------------------------
def documented_params():
    params = {}
    section = ""
    for line in (CHART / "values.yaml").read_text().splitlines():
        m = re.match(r"\s*## @section (.+)", line)
        if m:
            section = m.group(1).strip()
        m = re.match(r"\s*## @param (\S+)\s*(.*)", line)
        if m:
            params[m.group(1)] = (m.group(2).strip(), section)
    return params


def value_paths(node, prefix=""):
    """Leaf paths of values.yaml (an empty map or list counts as a leaf)."""
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from value_paths(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


def lookup(values, path):
    node = values
    for part in path.split("."):
        node = node[part]
    return node


def schema_node(schema, path):
    node = schema
    for part in path.split("."):
        props = node.get("properties") or {}
        if part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


def values_table():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    rows, section = [], None
    for path, (desc, sec) in documented_params().items():
        if sec != section:
            rows.append(f"\n### {sec}\n\n| Value | Description | Default |\n|---|---|---|")
            section = sec
        default = json.dumps(lookup(values, path))
        default = "(see values.yaml)" if len(default) > 60 else f"`{default}`"
        desc = desc.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        rows.append(f"| `{path}` | {desc} | {default} |")
    return "\n".join(rows).strip() + "\n"


@check("workflow")
def check_workflow(ctx):
    """The GitHub workflow lints clean and runs every stage of scripts/test."""
    workflow = ROOT / ".github/workflows/ci.yml"
    r = run([str(TOOLS / "bin/actionlint"), "-no-color", str(workflow)])
    if r.returncode != 0:
        ctx.error(f"actionlint {workflow.relative_to(ROOT)}:\n{r.stdout}{r.stderr}")
    m = re.search(r'^stages=\$\{MERCATO_TEST_STAGES:-"([^"]+)"\}',
                  (ROOT / "scripts/test").read_text(), re.M)
    if not m:
        ctx.error("scripts/test: no default stage list")
        return
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    covered = {"build", "containers", "k8s"} & set(jobs)
    covered |= set(jobs.get("test", {}).get("strategy", {}).get("matrix", {}).get("stage", []))
    missing = set(m.group(1).split()) - covered
    if missing:
        ctx.error(f"{workflow.relative_to(ROOT)} runs no job for the stages {sorted(missing)}")


@check("generated")
def check_generated(ctx):
    """The files generated from deploy/services.json (compose.yaml, services/*/compose.yaml,
    docker/Dockerfile) are what docker/generate-compose writes now."""
    r = run([str(ROOT / "docker/generate-compose"), "--check"])
    if r.returncode != 0:
        ctx.error(f"docker/generate-compose --check:\n{r.stdout}{r.stderr}")


@check("labels")
def check_labels(ctx):
    """Every ctest label of tests/ has its `make test-<label>` target."""
    labels = set()
    for f in sorted((ROOT / "tests").rglob("*.cmake")) + sorted((ROOT / "tests").rglob("CMakeLists.txt")):
        labels |= set(re.findall(r"\bLABELS? +([a-z][a-z0-9_-]*)", f.read_text()))
    targets = set(re.findall(r"^([a-z0-9 _-]+):", (ROOT / "Makefile").read_text(), re.M))
    targets = {t for line in targets for t in line.split()}
    missing = sorted(label for label in labels if f"test-{label}" not in targets)
    if not labels:
        ctx.error("no ctest labels found under tests/")
    if missing:
        ctx.error(f"Makefile has no target for the ctest labels {missing} (add test-<label>)")


TABLE_START = "<!-- values-table:start (tests/deploy/run --write-docs) -->"
TABLE_END = "<!-- values-table:end -->"


@check("values")
def check_values(ctx):
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    params = documented_params()
    schema = json.loads((CHART / "values.schema.json").read_text())
    for path in value_paths(values):
        parts = path.split(".")
        if not any(".".join(parts[:i]) in params for i in range(1, len(parts) + 1)):
            ctx.error(f"values.yaml: {path} has no ## @param line")
    for path, (desc, _) in params.items():
        try:
            lookup(values, path)
        except (KeyError, TypeError):
            ctx.error(f"values.yaml: ## @param {path} documents a value that does not exist")
            continue
        if not desc:
            ctx.error(f"values.yaml: ## @param {path} has no description")
        node = schema_node(schema, path)
        if node is None or not (node.get("type") or node.get("$ref") or node.get("enum")
                                or node.get("oneOf") or node.get("anyOf")):
            ctx.error(f"values.schema.json: no type for {path}")
        if node is not None and not node.get("description"):
            ctx.error(f"values.schema.json: {path} has no description")
    if schema.get("additionalProperties") is not False:
        ctx.error("values.schema.json: the top level must refuse unknown values "
                  "(additionalProperties: false), or a typo goes unnoticed")
    jsonschema.Draft7Validator.check_schema(schema)
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(values))
    for e in errors[:5]:
        ctx.error(f"values.yaml does not satisfy values.schema.json: {e.message}")
    if DOCS.is_file():
        text = DOCS.read_text()
        m = re.search(re.escape(TABLE_START) + r"\n(.*?)" + re.escape(TABLE_END), text, re.S)
        if not m:
            ctx.error(f"{DOCS.relative_to(ROOT)}: no values table markers")
        elif m.group(1).strip() != values_table().strip():
            ctx.error(f"{DOCS.relative_to(ROOT)}: the values table is stale; run "
                      "tests/deploy/run --write-docs")
    else:
        ctx.error(f"{DOCS.relative_to(ROOT)} is missing")


def write_docs():
    text = DOCS.read_text()
    new = re.sub(re.escape(TABLE_START) + r"\n.*?" + re.escape(TABLE_END),
                 lambda _: f"{TABLE_START}\n{values_table()}{TABLE_END}", text, flags=re.S)
    DOCS.write_text(new)
    print(f"wrote the values table into {DOCS.relative_to(ROOT)}")


# --- main -----------------------------------------------------------------------------------
def main(argv):
    if "--write-docs" in argv:
        write_docs()
        return 0
    if "--list" in argv:
        print("\n".join(name for name, _ in CHECKS))
        return 0
    wanted = [a for a in argv if not a.startswith("-")]
    unknown = set(wanted) - {n for n, _ in CHECKS}
    if unknown:
        print(f"unknown checks {sorted(unknown)}; --list shows them", file=sys.stderr)
        return 2
    ctx = Context(scenarios())
    summary, failed, start_all = [], False, time.time()
    for name, fn in CHECKS:
        if wanted and name not in wanted and not (name == "render" and wanted):
            continue
        start, before = time.time(), len(ctx.errors)
        print(f"=== {name}", flush=True)
        try:
            fn(ctx)
        except Exception:
            ctx.error(f"{name} crashed:\n{traceback.format_exc()}")
        new = ctx.errors[before:]
        for e in new:
            print(f"  FAIL {e}")
        took = time.time() - start
        status = "FAIL" if new else "PASS"
        failed |= bool(new)
        problems = f"  ({len(new)} problems)" if new else ""
        summary.append(f"{status}  {name:8s} {took:6.1f} s{problems}")
    print("\n=== test-deploy summary (scenarios: " +
          ", ".join(s.name for s in ctx.scenarios) + ")")
    print("\n".join(summary))
    print(f"total {time.time() - start_all:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
