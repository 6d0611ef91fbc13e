"""Yardstick for Align4j's sampling figures: Hugging Face `generate` on a model of the same shape.

Random weights (transformers' own initialisation), fp32 on the CPU, `threads` torch threads;
every row starts from BOS and samples exactly NEW tokens (min_new_tokens = max_new_tokens,
so no row stops early) at temperature 1, top-p 0.9, with the KV cache: what
`align4j bench --config CONFIG --sample-tokens NEW --engine-sample-tokens NEW` times.

Usage: python hf_generate_bench.py CONFIG [--batches 1,16,64] [--new 32] [--threads 2] [--repeats 3]
CONFIG: 260K | 15M | 110M (llama2.c shapes, tied) | smollm2-135M | qwen2.5-0.5B
Prints one line per batch: the median new tokens/s over the repeats, after one warm-up run."""
import argparse, statistics, time, torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

# dim, hidden, layers, heads, kv heads, vocab, context, rope theta, rms eps
SHAPES = {
    "260K": (64, 172, 5, 8, 4, 512, 512, 10000.0, 1e-5),
    "15M": (288, 768, 6, 6, 6, 32000, 256, 10000.0, 1e-5),
    "110M": (768, 2048, 12, 12, 12, 32000, 1024, 10000.0, 1e-5),
    "smollm2-135M": (576, 1536, 30, 9, 3, 49152, 8192, 100000.0, 1e-5),
    "qwen2.5-0.5B": (896, 4864, 24, 14, 2, 151936, 32768, 1000000.0, 1e-6),
}

ap = argparse.ArgumentParser()
ap.add_argument("config", choices=sorted(SHAPES))
ap.add_argument("--batches", default="1,16,64")
ap.add_argument("--new", type=int, default=32)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
D, HID, L, H, KV, V, CTX, THETA, EPS = SHAPES[a.config]
common = dict(hidden_size=D, intermediate_size=HID, num_hidden_layers=L, num_attention_heads=H, num_key_value_heads=KV,
              vocab_size=V, max_position_embeddings=CTX, rope_theta=THETA, rms_norm_eps=EPS, tie_word_embeddings=True,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)
if a.config == "qwen2.5-0.5B":
    model = Qwen2ForCausalLM(Qwen2Config(**common))
else:
    model = LlamaForCausalLM(LlamaConfig(**common))
model.eval()
print(f"{a.config}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, torch {torch.__version__}, "
      f"{torch.get_num_threads()} threads, {a.new} new tokens a row, top-p 0.9", flush=True)
for batch in [int(b) for b in a.batches.split(",")]:
    ids = torch.full((batch, 1), 1, dtype=torch.long)
    mask = torch.ones_like(ids)

    def run():
        with torch.inference_mode():
            out = model.generate(ids, attention_mask=mask, do_sample=True, top_p=0.9, top_k=0, temperature=1.0,
                                 max_new_tokens=a.new, min_new_tokens=a.new, use_cache=True)
        assert out.shape == (batch, 1 + a.new), out.shape

    run()
    times = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    t = statistics.median(times)
    print(f"{a.config} batch {batch}: HF generate {batch * a.new / t:.1f} new tokens/s "
          f"(median of {a.repeats}: {', '.join(f'{batch * a.new / x:.1f}' for x in times)})", flush=True)
