#!/usr/bin/env python3
# The project's shared CRD validator (shared/tools/crd_validate.py), kept here so a clean clone can run it.
"""Validate custom resources against the openAPIV3Schema of CRDs (what kubeconform does with CRD-derived schemas).
usage: crd_validate.py [--strict] --crds CRD_FILE_OR_DIR... --targets FILE_OR_DIR...
--strict adds additionalProperties:false to every object schema that has properties and no
additionalProperties / x-kubernetes-preserve-unknown-fields (like openapi2jsonschema's strict mode).
apiVersion/kind/metadata are checked for presence only. Exit 1 if any CR fails."""
import sys, os, yaml, copy, collections, jsonschema
yaml.SafeLoader.add_constructor('tag:yaml.org,2002:value', lambda l, n: l.construct_scalar(n))
def files(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, fs in sorted(os.walk(a)):
                for f in sorted(fs):
                    if f.endswith(('.yaml', '.yml')): yield os.path.join(root, f)
        else: yield a
def objs(args):
    for f in files(args):
        for d in yaml.safe_load_all(open(f)):
            if not d: continue
            yield from (d.get('items') or [] if str(d.get('kind', '')).endswith('List') else [d])
def strictify(s):
    if isinstance(s, dict):
        if s.get('type') == 'object' and 'properties' in s and 'additionalProperties' not in s \
           and not s.get('x-kubernetes-preserve-unknown-fields'):
            s['additionalProperties'] = False
        for v in s.values(): strictify(v)
    elif isinstance(s, list):
        for v in s: strictify(v)
    return s
def fix_nullable(s):  # OpenAPI 'nullable: true' -> also allow null
    if isinstance(s, dict):
        if s.get('nullable') and 'type' in s: s['type'] = [s['type'], 'null'] if isinstance(s['type'], str) else s['type'] + ['null']
        for v in s.values(): fix_nullable(v)
    elif isinstance(s, list):
        for v in s: fix_nullable(v)
    return s
a = sys.argv[1:]; strict = '--strict' in a; a = [x for x in a if x != '--strict']
crds = a[a.index('--crds') + 1:a.index('--targets')]; targets = a[a.index('--targets') + 1:]
schemas = {}
for o in objs(crds):
    if o.get('kind') != 'CustomResourceDefinition': continue
    g = o['spec']['group']; k = o['spec']['names']['kind']
    for v in o['spec']['versions']:
        s = copy.deepcopy(v.get('schema', {}).get('openAPIV3Schema', {}))
        for key in ('apiVersion', 'kind', 'metadata'):
            s.setdefault('properties', {})[key] = {}
        fix_nullable(s)
        if strict: strictify(s)
        schemas[(f"{g}/{v['name']}", k)] = s
res = collections.Counter(); bad = 0
for o in objs(targets):
    key = (o.get('apiVersion'), o.get('kind'))
    if key not in schemas: continue
    v = jsonschema.Draft7Validator(schemas[key]); errs = sorted(v.iter_errors(o), key=lambda e: list(e.path))
    if errs:
        res['FAIL'] += 1; bad = 1
        for e in errs[:3]: print(f"FAIL {key[1]}/{o['metadata'].get('name')}: {'.'.join(map(str, e.path))}: {e.message[:200]}")
    else: res['PASS'] += 1
    res[f"  {key[1]}"] += 1
print(f"crd_validate strict={strict}: schemas={len(schemas)} PASS={res['PASS']} FAIL={res['FAIL']} " + ' '.join(f"{k.strip()}={v}" for k, v in res.items() if k.startswith('  ')))
sys.exit(bad)
