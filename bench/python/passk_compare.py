#!/usr/bin/env python3
# Paired comparison of two models' per-prompt success counts (eval --per-prompt): pass@k difference ± SE, unsolved prompts.
import json, sys, math
rows = [json.loads(l) for l in open(sys.argv[1])]
models = list(dict.fromkeys(r["model"] for r in rows))
c = {m: [r["successes"] for r in rows if r["model"] == m] for m in models}
n = rows[0]["samples"]
def pk(n, c, k):
    if n - c < k: return 1.0
    p = 1.0
    for i in range(n - c + 1, n + 1): p *= 1 - k / i
    return 1 - p
base, trained = models
P = len(c[base])
for k in (1, 4, 16, 64, 256):
    d = [pk(n, t, k) - pk(n, b, k) for b, t in zip(c[base], c[trained])]
    mean = sum(d) / P; se = math.sqrt(sum((x - mean) ** 2 for x in d) / (P - 1) / P)
    print(f"pass@{k}: trained - base = {mean:+.4f} ± {se:.4f} (paired SE over {P} prompts)")
never_base = [i for i in range(P) if c[base][i] == 0]
never_trained = [i for i in range(P) if c[trained][i] == 0]
print("base never solves (in", n, "samples):", never_base, "-> trained successes there:", [c[trained][i] for i in never_base])
print("trained never solves:", never_trained, "-> base successes there:", [c[base][i] for i in never_trained])
print("prompts where trained success rate < base:", sum(1 for b, t in zip(c[base], c[trained]) if t < b), "of", P)
