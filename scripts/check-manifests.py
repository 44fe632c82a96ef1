#!/usr/bin/env python3
"""Checks the Knative manifests in knative/ against the CRD schemas of the
operators we target (../shared/schemas/crds), strictly: unknown fields fail,
as `kubectl --validate=strict` would fail them.

Usage: scripts/check-manifests.py [SCHEMA_DIR] (default: ../shared/schemas/crds)
"""
import copy
import pathlib
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Loader(yaml.SafeLoader):
    """YAML without timestamp resolution, so that dates stay strings."""


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def strict(schema, root=False):
    """The API server's view of a CRD schema, as plain JSON Schema draft 4."""
    s = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("nullable") and isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            if node.get("x-kubernetes-embedded-resource"):
                props = node.setdefault("properties", {})
                for k in ("apiVersion", "kind"):
                    props.setdefault(k, {"type": "string"})
                props.setdefault("metadata", {"type": "object"})
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s)
    props = s.setdefault("properties", {})
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    return s


def load_crds(schema_dir):
    crds = {}
    for f in sorted(schema_dir.glob("*.yaml")):
        for doc in yaml.load_all(f.read_text(), Loader=Loader):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for v in spec["versions"]:
                if v.get("served"):
                    key = (f"{spec['group']}/{v['name']}", spec["names"]["kind"])
                    crds[key] = strict(v["schema"]["openAPIV3Schema"])
    return crds


def main():
    schema_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "schemas" / "crds"
    if not schema_dir.is_dir():
        print(f"check-manifests: no CRD schemas at {schema_dir}", file=sys.stderr)
        return 2
    crds = load_crds(schema_dir)
    failures = checked = 0
    for f in sorted((ROOT / "knative").glob("*.yaml")):
        for doc in yaml.load_all(f.read_text(), Loader=Loader):
            if not doc:
                continue
            name = f"{f.name}: {doc.get('kind')} {doc.get('metadata', {}).get('name')}"
            schema = crds.get((doc.get("apiVersion"), doc.get("kind")))
            if schema is None:
                print(f"FAIL {name}: no schema for {doc.get('apiVersion')} {doc.get('kind')}")
                failures += 1
                continue
            errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
            checked += 1
            for e in errors:
                print(f"FAIL {name}: {'/'.join(map(str, e.path))}: {e.message}")
            failures += bool(errors)
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
