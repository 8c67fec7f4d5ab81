#!/usr/bin/env python3
"""Derives (semgrep Terraform rule -> checkov check) pairs from the two rule sets alone.

usage: <python of a venv with checkov and pyyaml> derive-control-map.py <semgrep-rules checkout>
Prints `rule<TAB>check<TAB>check name<TAB>rule message` for every rule whose pattern's resource
types and attribute names meet exactly one checkov check's supported resources and inspected
attribute (`get_inspected_key()`); ambiguous rules go to stderr. The output feeds
DERIVED_SEMGREP_TO_CONTROL in crates/posture-engine/src/control_map.rs (the reviewed table wins).
"""
import re, sys, yaml, json, glob
R = sys.argv[1].rstrip('/') + '/terraform'
sys.argv = sys.argv[:1]
# semgrep rules: resource types + attributes from the pattern text
rules={}
for f in glob.glob(R+'/**/*.yaml', recursive=True):
    if f.endswith('.test.yaml') or '.fixed.' in f: continue
    try: d=yaml.safe_load(open(f))
    except Exception: continue
    for r in (d or {}).get('rules',[]):
        txt=json.dumps(r)
        types=set(re.findall(r'resource \\"([a-z0-9_]+)\\"', txt))
        attrs=set(re.findall(r'\\n\s*([a-z_][a-z0-9_]*)\s*=', txt.replace('\\\\n','\\n')))
        attrs|=set(re.findall(r'(?:^|[\s{])([a-z][a-z0-9_]*)\s*=\s', txt))
        rules[r['id']]=(types,attrs,r.get('message','')[:90])
# checkov checks
from checkov.terraform.checks.resource.registry import resource_registry
import checkov.terraform.checks.resource  # noqa load all
ck={}
for rtype, checks in resource_registry.checks.items():
    for c in checks:
        try: key=c.get_inspected_key()
        except Exception: key=None
        if not key: continue
        first=re.split(r'[/\[]', key)[0]
        e=ck.setdefault(c.id,[set(),set(),c.name])
        e[0].add(rtype); e[1].add(first)
out=[]
for rid,(types,attrs,msg) in sorted(rules.items()):
    cands=[cid for cid,(ts,ks,name) in ck.items() if ts&types and ks&attrs]
    if len(cands)==1:
        out.append((rid,cands[0],ck[cands[0]][2],msg))
    elif cands: print('AMBIG',rid,cands,file=sys.stderr)
for o in out: print('\t'.join(o))
