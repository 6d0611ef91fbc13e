#!/usr/bin/env python3
"""PEFT and Align4j read each other's LoRA adapters.

Usage:
  peft_interop_check.py load CASES.json   for each case {"name", "base", "adapter", "input_ids", "logits"}: PEFT
                                          loads the adapter folder (written by Align4j) onto the base folder (saved
                                          by Align4j), and its logits must equal Align4j's within
                                          1e-5 x max(1, max |logit|). Exits 1 on any mismatch.
  peft_interop_check.py write BASE OUT R TARGETS SEED
                                          writes a PEFT adapter (get_peft_model(...).save_pretrained) for BASE
                                          with rank R on the comma-separated TARGETS, lora_B randomised (seeded) so
                                          the adapter changes the outputs; prints nothing else.
Run it in the environment of ../shared/bench/make_env.sh (transformers, PEFT, PyTorch).
"""
import json
import sys

import peft
import torch
import transformers


def load(path):
    failed = 0
    cases = json.load(open(path))
    for case in cases:
        try:
            base = transformers.AutoModelForCausalLM.from_pretrained(case["base"], dtype=torch.float32,
                                                                     attn_implementation="eager")
            model = peft.PeftModel.from_pretrained(base, case["adapter"])
            model.eval()
            with torch.no_grad():
                theirs = model(input_ids=torch.tensor([case["input_ids"]])).logits[0].float()
        except Exception as e:
            failed += 1
            print(f"FAIL {case['name']}: PEFT could not load it: {type(e).__name__}: {str(e).splitlines()[0]}")
            continue
        ours = torch.tensor(case["logits"], dtype=torch.float32)
        tolerance = 1e-5 * max(1.0, ours.abs().max().item())
        worst = (theirs - ours).abs().max().item()
        ok = worst <= tolerance
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case['name']}: PEFT {peft.__version__}, largest difference {worst:.3g}"
              f" (tolerance {tolerance:.3g})")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


def write(base_dir, out, rank, targets, seed):
    torch.manual_seed(int(seed))
    base = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    config = peft.LoraConfig(r=int(rank), lora_alpha=2 * int(rank), target_modules=targets.split(","),
                             lora_dropout=0.0, task_type="CAUSAL_LM")
    model = peft.get_peft_model(base, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    model.save_pretrained(out)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "load":
        sys.exit(load(sys.argv[2]))
    sys.exit(write(*sys.argv[2:7]))
