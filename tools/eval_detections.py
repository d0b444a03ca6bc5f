#!/usr/bin/env python3
"""Score `kubesift detect` against a ground truth (attacks.jsonl / benign.jsonl).

    python3 tools/eval_detections.py --index .kubesift --truth tests/ground-truth [--bin target/release/kubesift]

Recall: for every attack step and every detection number it lists, does a finding of a rule
claiming that number include one of the step's audit IDs? Also: does any finding of the
step's family include one of them? Precision: benign scenarios whose audit IDs appear in
findings above what they allow ("no findings" allows none, "no high/critical" allows up to
medium, "low" allows up to low).
"""
import argparse, json, subprocess, sys

SEV = ["info", "low", "medium", "high", "critical"]

def run(bin, *args):
    return subprocess.run([bin, *args], check=True, capture_output=True, text=True).stdout

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=".kubesift")
    ap.add_argument("--truth", default="tests/ground-truth")
    ap.add_argument("--bin", default="target/release/kubesift")
    a = ap.parse_args()
    rules = {r["id"]: r for r in json.loads(run(a.bin, "rules", "--format", "json"))}
    findings = [json.loads(l) for l in run(a.bin, "--index", a.index, "detect", "--format", "jsonl").splitlines() if l]
    by_id = {}
    for f in findings:
        for aid in f["audit_ids"]:
            by_id.setdefault(aid, []).append(f)
    steps = [json.loads(l) for l in open(f"{a.truth}/attacks.jsonl")]
    hit = total = fam_hit = 0
    for s in steps:
        fs = [f for aid in s["audit_ids"] for f in by_id.get(aid, [])]
        fam = any(f["family"] == s["family"] for f in fs)
        fam_hit += fam
        missing = []
        for d in s["detections"]:
            total += 1
            if any(d in rules[f["rule_id"]]["detection"] for f in fs):
                hit += 1
            else:
                missing.append(d)
        mark = "ok " if not missing else "MISS"
        print(f"{mark} {s['step']:<36} {s['family']:<24} family={'yes' if fam else 'NO '} missing={missing}")
    print(f"detection recall {hit}/{total}, family recall {fam_hit}/{len(steps)}")
    fp = 0
    for l in open(f"{a.truth}/benign.jsonl"):
        b = json.loads(l)
        allowed = -1 if b["expected"].startswith("no findings") else (2 if "no high" in b["expected"] else 1)
        bad = {(f["rule_id"], f["severity"]) for aid in b["audit_ids"] for f in by_id.get(aid, []) if SEV.index(f["severity"]) > allowed}
        if bad:
            fp += 1
            print(f"FP  {b['scenario']:<36} {sorted(bad)}")
    sev = {s: sum(1 for f in findings if f["severity"] == s) for s in SEV}
    print(f"benign scenarios over their limit: {fp}; findings by severity: {sev}")
    return 0 if hit == total and fp == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
