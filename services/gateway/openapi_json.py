#!/usr/bin/env python3
"""Build step of the gateway: docs/openapi.yaml (the API contract) as JSON, compiled in.

    openapi_json.py docs/openapi.yaml build/.../openapi_spec.cc

Writes a C++ file defining `std::string_view mercato::gateway::OpenApiJson()` (openapi.h), the
spec as compact JSON, which GET /api/v1/openapi.json serves as it is. Fails, naming the problem,
when the YAML does not parse or is not an OpenAPI 3.1 document whose every operation has an
operationId and responses. Needs PyYAML (Debian: python3-yaml; scripts/setup installs it).
"""
import json
import sys

try:
    import yaml
except ImportError:
    sys.exit("openapi_json.py: PyYAML is missing; run scripts/setup (python3-yaml)")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DELIMITER = "mercato_openapi"


def check(spec: dict, source: str) -> None:
    def fail(message: str) -> None:
        sys.exit(f"{source}: {message}")

    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3.1"):
        fail("not an OpenAPI 3.1 document (openapi: 3.1.x)")
    seen = set()
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            where = f"{method.upper()} {path}"
            op_id = operation.get("operationId")
            if not op_id:
                fail(f"{where} has no operationId")
            if op_id in seen:
                fail(f"{where}: operationId {op_id} is used twice")
            seen.add(op_id)
            if not operation.get("responses"):
                fail(f"{where} has no responses")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, output = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        try:
            spec = yaml.safe_load(f)
        except yaml.YAMLError as e:
            sys.exit(f"{source}: {e}")
    check(spec, source)
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
    if f"){DELIMITER}\"" in text:
        sys.exit(f"{source} contains the raw-string delimiter ){DELIMITER}\"")
    code = (
        "// Generated from docs/openapi.yaml by services/gateway/openapi_json.py; do not edit.\n"
        '#include "gateway/openapi.h"\n\n'
        "namespace mercato::gateway {\n\n"
        "std::string_view OpenApiJson() {\n"
        f'  static constexpr std::string_view kSpec = R"{DELIMITER}({text}){DELIMITER}";\n'
        "  return kSpec;\n"
        "}\n\n"
        "}  // namespace mercato::gateway\n")
    with open(output, "w", encoding="utf-8") as f:
        f.write(code)


if __name__ == "__main__":
    main()
