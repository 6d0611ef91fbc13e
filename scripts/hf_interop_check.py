#!/usr/bin/env python3
"""Loads checkpoints that Align4j saved with Hugging Face transformers and compares the logits.

Usage: hf_interop_check.py CASES.json

CASES.json lists {"name", "folder", "input_ids", "logits"} objects: a folder written by Align4j
(config.json + safetensors), the token ids of one sequence and Align4j's float32 logits at every
position ([T][vocab]). For each case transformers' AutoModelForCausalLM loads the folder in float32
with eager attention, and the logits must agree within 1e-5 x max(1, max |logit|), the tolerance of
the architecture fixtures. Prints one line per case and exits 1 if any case disagrees.
Run it in the environment of ../shared/bench/make_env.sh (transformers, PyTorch).
"""
import json
import sys

import torch
import transformers


def main(path):
    cases = json.load(open(path))
    failed = 0
    for case in cases:
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(
                case["folder"], dtype=torch.float32, attn_implementation="eager")
        except Exception as e:  # a folder transformers cannot open is a failed case, not the end of the check
            failed += 1
            print(f"FAIL {case['name']}: transformers could not load it: {type(e).__name__}: {str(e).splitlines()[0]}")
            continue
        model.eval()
        ids = torch.tensor([case["input_ids"]], dtype=torch.long)
        with torch.no_grad():
            theirs = model(input_ids=ids).logits[0].float()
        ours = torch.tensor(case["logits"], dtype=torch.float32)
        tolerance = 1e-5 * max(1.0, ours.abs().max().item())
        worst = (theirs - ours).abs().max().item()
        ok = theirs.shape == ours.shape and worst <= tolerance
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case['name']}: {type(model).__name__}, largest difference {worst:.3g}"
              f" (tolerance {tolerance:.3g}), transformers {transformers.__version__}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
