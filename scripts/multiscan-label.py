#!/usr/bin/env python3
"""Labels the findings of several scanners on one project by the written rules of
tests/data/multiscan/LABELING.md (which extends the rules of the multiscan corpus).

usage: multiscan-label.py <target-source-dir> <report-dir> <PREFIX>

Reads the native reports in <report-dir> (semgrep.json, checkov.json, detect-secrets.json,
trufflehog3.json, whispers.json), reads the scanned sources (to find PEM blocks and where each
secret literal really is), and writes <report-dir>/LABELS.tsv and ISSUES.tsv. The rules are
applied mechanically; every issue they produce was then reviewed by hand (LABELING.md lists the
judgement calls). The control table is the one LABELING.md prints (table B and its extensions).
"""
import hashlib
import json
import os
import re
import sys

SRC, OUT, PREFIX = sys.argv[1], sys.argv[2], sys.argv[3]

# Table B + extensions (LABELING.md): semgrep rule name -> control
CONTROL = {
    "missing-user": "CKV_DOCKER_3", "missing-user-entrypoint": "CKV_DOCKER_3",
    "prefer-copy-over-add": "CKV_DOCKER_4", "maintainer-is-deprecated": "CKV_DOCKER_6",
    "missing-image-version": "CKV_DOCKER_7", "last-user-is-root": "CKV_DOCKER_8",
    "prefer-apt-get": "CKV_DOCKER_9", "use-absolute-workdir": "CKV_DOCKER_10",
    "alias-must-be-unique": "CKV_DOCKER_11",
    "privileged-container": "CKV_K8S_16", "hostpid-pod": "CKV_K8S_17", "hostipc-pod": "CKV_K8S_18",
    "hostnetwork-pod": "CKV_K8S_19", "allow-privilege-escalation": "CKV_K8S_20",
    "allow-privilege-escalation-true": "CKV_K8S_20",
    "allow-privilege-escalation-no-securitycontext": "CKV_K8S_20",
    "writable-filesystem-container": "CKV_K8S_22", "run-as-non-root": "CKV_K8S_23",
    "run-as-non-root-container-level": "CKV_K8S_23",
    "run-as-non-root-container-level-missing-security-context": "CKV_K8S_23",
    "run-as-non-root-security-context-pod-level": "CKV_K8S_23",
    "run-as-non-root-unsafe-value": "CKV_K8S_23", "exposing-docker-socket-hostpath": "CKV_K8S_27",
    "seccomp-confinement-disabled": "CKV_K8S_31",
}
FILE_LEVEL = {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV2_GHA_1"}
CRED_POLICIES = {"CKV_AWS_41", "CKV_AWS_45", "CKV_AWS_46"}
# CWE families (table A'): one class per family
CWE_CLASS = {}
for cls, ids in {
    "SQLI": [89, 564, 943], "CMD_INJECTION": [77, 78, 88], "CODE_INJECTION": [94, 95, 96, 1336],
    "XSS": [79, 80, 83, 116], "PATH_TRAVERSAL": [22, 23, 36, 73], "SECRET": [259, 321, 798, 547],
    "WEAK_HASH": [327, 328, 916], "INSECURE_RANDOM": [330, 338], "TLS_VERIFY_DISABLED": [295, 297],
    "DESERIALIZATION": [502], "XXE": [611, 776], "SSRF": [918], "OPEN_REDIRECT": [601],
    "CLEARTEXT": [319], "CSRF": [352], "REDOS": [1333], "NOSQLI": [],
}.items():
    for i in ids:
        CWE_CLASS[i] = cls


def sha1(s):
    return hashlib.sha1(s.encode()).hexdigest()


def load(name):
    p = os.path.join(OUT, name)
    return json.load(open(p)) if os.path.exists(p) else None


_src = {}


def source_lines(f):
    if f not in _src:
        try:
            _src[f] = open(os.path.join(SRC, f), errors="replace").read().split("\n")
        except OSError:
            _src[f] = []
    return _src[f]


rows = []


def add(**kw):
    kw.setdefault("sarif_ref", "")
    kw.setdefault("resource", "")
    kw.setdefault("secret_fp", "")
    kw.setdefault("value", None)
    kw.setdefault("end_line", kw["line"])
    rows.append(kw)


def rel(p):
    p = p.replace(os.path.abspath(SRC) + "/", "")
    return p.lstrip("./") if p.startswith("./") else p.lstrip("/")


sg = load("semgrep.json")
for i, r in enumerate(sg["results"] if sg else []):
    rid = r["check_id"]
    name = rid.split(".")[-1]
    meta = r["extra"].get("metadata", {})
    f = rel(r["path"])
    if ".secrets." in rid or "secrets" in (meta.get("technology") or []):
        cat, cls = "secret", "SECRET"
    elif any(s in rid for s in (".kubernetes.", ".dockerfile.", "dockerfile.", ".terraform.", ".docker-compose.", ".github-actions.")):
        cat = "config" if (".dockerfile." in rid or ".github-actions." in rid or ".docker-compose." in rid or rid.startswith("dockerfile.")) else "iac"
        cls = CONTROL.get(name, "SG:" + name)
    else:
        cat = "sast"
        cwes = [int(m) for c in (meta.get("cwe") or []) for m in re.findall(r"CWE-(\d+)", c)]
        cls = next((CWE_CLASS[c] for c in cwes if c in CWE_CLASS), "CWE-%s" % cwes[0] if cwes else "SG:" + name)
        if cls == "SECRET":
            cat = "secret"  # a SAST rule about a hard-coded credential (R3, as bandit B105)
    value = None
    if cat == "secret" and r["start"]["line"] == r["end"]["line"]:
        ln = source_lines(f)
        if r["start"]["line"] - 1 < len(ln):
            value = ln[r["start"]["line"] - 1][r["start"]["col"] - 1:r["end"]["col"] - 1]
    add(tool="semgrep", report="semgrep.json", locator="results[%d]" % i, file=f, line=r["start"]["line"],
        end_line=r["end"]["line"], rule_id=rid, category=cat, issue_class=cls, value=value,
        secret_fp=sha1(value)[:12] if value else "", detail=r["extra"]["message"][:150].replace("\n", " ").replace("\t", " "))

ck = load("checkov.json")
single = isinstance(ck, dict)  # one framework: checkov writes the report itself, not a list
if single:
    ck = [ck]
for k, fw in enumerate(ck or []):
    for j, c in enumerate(fw["results"]["failed_checks"]):
        loc = ("results.failed_checks[%d]" % j) if single else ("[%d].results.failed_checks[%d]" % (k, j))
        f = rel(c["file_path"])
        lr = c["file_line_range"]
        t = fw["check_type"]
        cid = c["check_id"]
        if t == "secrets":
            add(tool="checkov", report="checkov.json", locator=loc, file=f,
                line=lr[0], end_line=lr[0], rule_id=cid, category="secret", issue_class="SECRET",
                secret_fp=c["resource"][:12], hsha=c["resource"], detail=c["check_name"])
            continue
        cat = "config" if t in ("dockerfile", "github_actions") else "iac"
        cls = "SECRET" if cid in CRED_POLICIES else cid
        add(tool="checkov", report="checkov.json", locator=loc, file=f,
            line=lr[0], end_line=lr[1], rule_id=cid, category=cat, issue_class=cls, resource=c["resource"],
            detail="%s|%s|%s" % (t, c["resource"], c["check_name"]))

ds = load("detect-secrets.json")
for f, items in (ds or {}).get("results", {}).items():
    for i, x in enumerate(items):
        add(tool="detect-secrets", report="detect-secrets.json", locator='results["%s"][%d]' % (f, i), file=rel(f),
            line=x["line_number"], rule_id=x["type"], category="secret", issue_class="SECRET",
            secret_fp=x["hashed_secret"][:12], hsha=x["hashed_secret"], detail=x["type"])

th = load("trufflehog3.json")
for i, x in enumerate(th or []):
    add(tool="trufflehog3", report="trufflehog3.json", locator="[%d]" % i, file=rel(x["path"]), line=int(x["line"]),
        rule_id=x["rule"]["id"], category="secret", issue_class="SECRET", value=x["secret"],
        secret_fp=sha1(x["secret"])[:12], detail=x["rule"]["message"])

wh = load("whispers.json")
for i, x in enumerate(wh or []):
    sec = x["rule_id"] not in ("comment", "file-known") and x.get("severity") in ("Critical", "High", "Medium")
    add(tool="whispers", report="whispers.json", locator="[%d]" % i, file=rel(x["file"]), line=int(x["line"]),
        rule_id=x["rule_id"], category="secret" if sec else "misc", issue_class="SECRET" if sec else "WHISPERS:" + x["rule_id"],
        value=x.get("value") if sec else None, secret_fp=sha1(x["value"])[:12] if sec and x.get("value") else "",
        detail="%s: %s" % (x["message"], x.get("key", "")))

# ---- where is each secret literal? (line, start col, end col) from the source ----
for r in rows:
    r["span"] = None
    if r["category"] != "secret":
        continue
    ln = source_lines(r["file"])
    cands = range(max(1, r["line"] - 1), min(len(ln), r["line"] + 1) + 1)
    if r.get("value"):
        for L in sorted(cands, key=lambda L: abs(L - r["line"])):
            c = ln[L - 1].find(r["value"])
            if c >= 0:
                r["span"] = (L, c, c + len(r["value"]))
                break
    elif r.get("hsha"):
        for L in sorted(cands, key=lambda L: abs(L - r["line"])):
            text = ln[L - 1]
            quoted = [(m.start(1), m.group(1)) for m in re.finditer(r"'([^']+)'|\"([^\"]+)\"", text) if m.group(1)]
            quoted += [(m.start(2), m.group(2)) for m in re.finditer(r"'([^']+)'|\"([^\"]+)\"", text) if m.group(2)]
            for c0, q in quoted:
                if sha1(q) == r["hsha"]:
                    r["span"] = (L, c0, c0 + len(q))
                    break
            if r["span"]:
                break
            for m in re.finditer(r"[A-Za-z0-9+/=_\-.:@]{6,}", text):
                tok = m.group(0)
                for a in range(len(tok)):
                    for b in range(len(tok), a + 5, -1):
                        if sha1(tok[a:b]) == r["hsha"]:
                            r["span"] = (L, m.start() + a, m.start() + b)
                            break
                    if r["span"]:
                        break
                if r["span"]:
                    break
            if r["span"]:
                break

# ---- PEM/PGP blocks in the sources ----
blocks = {}
for f in {r["file"] for r in rows if r["category"] == "secret"}:
    ln = source_lines(f)
    start = None
    for n, text in enumerate(ln, 1):
        if re.search(r"-----BEGIN [A-Z0-9 ]+-----", text):
            start = n
        if start and re.search(r"-----END [A-Z0-9 ]+-----", text):
            blocks.setdefault(f, []).append((start, n))
            start = None

parent = list(range(len(rows)))
basis = {}


def find(i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def union(i, j, why):
    a, b = find(i), find(j)
    if a != b:
        parent[b] = a
        basis[a] = basis.get(a, set()) | basis.get(b, set()) | {why}


n = len(rows)
for i in range(n):
    a = rows[i]
    for j in range(i + 1, n):
        b = rows[j]
        if a["file"] != b["file"]:
            continue
        same_rule = a["tool"] == b["tool"] and a["rule_id"] == b["rule_id"]
        if a["category"] == "secret" and b["category"] == "secret":
            blk = [bl for bl in blocks.get(a["file"], []) if bl[0] <= a["line"] <= bl[1] and bl[0] <= b["line"] <= bl[1]]
            if blk:
                union(i, j, "R3b PEM block %d-%d" % blk[0])
                continue
            if same_rule:
                continue
            sa, sb = a["span"], b["span"]
            if sa and sb:
                if sa[0] == sb[0] and sa[1] < sb[2] and sb[1] < sa[2]:
                    union(i, j, "R3 same literal (source span)")
                continue
            if a["line"] == b["line"] and (not a["secret_fp"] or not b["secret_fp"] or a["secret_fp"] == b["secret_fp"]):
                union(i, j, "R3 same line, value unknown on one side")
            continue
        if a["category"] in ("iac", "config") and b["category"] in ("iac", "config") and a["issue_class"] == b["issue_class"] and not same_rule:
            if a["issue_class"] in FILE_LEVEL:
                union(i, j, "R5 file-level control")
                continue
            if a["issue_class"].startswith("SG:"):
                continue
            inside = (a["line"] <= b["line"] <= a["end_line"]) or (b["line"] <= a["line"] <= b["end_line"])
            if inside and (a["tool"] != b["tool"] or a["tool"] == "semgrep"):
                union(i, j, "R4 equivalent control on the same block")
            continue
        # R1: only classes of the CWE families (table A'); a bare CWE shared by rules that test
        # different settings (CWE-522 on each cookie option) joins nothing
        if a["category"] == "sast" and b["category"] == "sast" and not same_rule and a["issue_class"] == b["issue_class"] \
                and a["issue_class"] in CWE_CLASS.values():
            if a["line"] <= b["end_line"] and b["line"] <= a["end_line"]:
                union(i, j, "R1 same weakness, overlapping lines")

# R3 access key id + secret key on adjacent lines; IaC credential policy on the enclosing block
def kind(r):
    t = (r["rule_id"] + " " + r["detail"]).lower()
    if "access key" in t or "access-key-id" in t or "aws-api-key" in t or "access-token" in t:
        return "id"
    if "secret" in t:
        return "secret"
    return None


sec = [i for i in range(n) if rows[i]["category"] == "secret"]
for i in sec:
    for j in sec:
        a, b = rows[i], rows[j]
        if a["file"] == b["file"] and b["line"] == a["line"] + 1 and kind(a) == "id" and find(i) != find(j):
            # the next line holds the secret key of this key id
            if any(kind(rows[k]) == "secret" or rows[k]["rule_id"] in ("high-entropy", "Base64 High Entropy String") for k in sec if find(k) == find(j)):
                union(i, j, "R3 access key id + secret key on adjacent lines")
for i in range(n):
    a = rows[i]
    if a["issue_class"] == "SECRET" and a["category"] in ("iac", "config"):
        for j in sec:
            b = rows[j]
            if b["file"] == a["file"] and a["line"] < b["line"] <= a["end_line"] and kind(b) == "id":
                union(i, j, "R3 IaC credential policy on the block holding the credential")

groups = {}
for i in range(n):
    groups.setdefault(find(i), []).append(i)
order = sorted(groups.values(), key=lambda g: (rows[g[0]]["file"], min(rows[k]["line"] for k in g), rows[g[0]]["tool"]))
cols = ["tool", "report", "locator", "sarif_ref", "file", "line", "end_line", "rule_id", "category", "issue_class",
        "issue", "match_basis", "resource", "secret_fp", "detail"]
with open(os.path.join(OUT, "LABELS.tsv"), "w") as out, open(os.path.join(OUT, "ISSUES.tsv"), "w") as iss:
    out.write("\t".join(cols) + "\n")
    iss.write("issue\tissue_class\tcategory\tfile\tlines\trows\ttools\tmatch_basis\n")
    for k, g in enumerate(order, 1):
        label = "%s-%04d" % (PREFIX, k)
        why = "; ".join(sorted(basis.get(find(g[0]), set()))) or "singleton"
        # the class of a secret issue is SECRET even when an IaC policy joined it
        cls = "SECRET" if any(rows[i]["issue_class"] == "SECRET" for i in g) else rows[g[0]]["issue_class"]
        for i in sorted(g, key=lambda i: (rows[i]["line"], rows[i]["tool"])):
            r = dict(rows[i], issue=label, match_basis=why)
            out.write("\t".join(str(r[c]).replace("\t", " ").replace("\n", " ") for c in cols) + "\n")
        tools = sorted({rows[i]["tool"] for i in g})
        lines = sorted({rows[i]["line"] for i in g})
        iss.write("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n" % (label, cls, rows[g[0]]["category"], rows[g[0]]["file"],
                                                         ",".join(map(str, lines[:8])) + ("..." if len(lines) > 8 else ""),
                                                         len(g), "+".join(tools), why))
print("%d rows, %d issues, %d cross-tool" % (n, len(order), sum(1 for g in order if len({rows[i]['tool'] for i in g}) > 1)))
