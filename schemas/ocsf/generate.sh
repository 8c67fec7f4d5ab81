#!/usr/bin/env bash
# Regenerates the OCSF JSON Schema of class 2002 (vulnerability_finding) that Posture's OCSF
# export is validated against. OCSF publishes class definitions (the ocsf/ocsf-schema
# repository, compiled and served by schema.ocsf.io), not JSON Schema files; the PyPI package
# `ocsf-json-schema` ships the compiled official schema of each OCSF release and turns a class
# into a JSON Schema (draft 2020-12) with every referenced object embedded under $defs.
#
# Usage: schemas/ocsf/generate.sh [OCSF_VERSION]   (default 1.5.0, the version Posture emits)
set -euo pipefail
version="${1:-1.5.0}"
here="$(cd "$(dirname "$0")" && pwd)"
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet 'ocsf-json-schema==1.2.0'
"$venv/bin/python" - "$version" "$here/vulnerability_finding-$version.schema.json" <<'PY'
import json, sys
from ocsf_json_schema import get_ocsf_schema, OcsfJsonSchemaEmbedded
version, out = sys.argv[1], sys.argv[2]
schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
assert schema.lookup_class_name_from_uid(class_uid=2002) == "vulnerability_finding"
doc = schema.get_class_schema(class_name="vulnerability_finding", profiles=[])
with open(out, "w") as f:
    f.write(json.dumps(doc, indent=1))
print(out)
PY
