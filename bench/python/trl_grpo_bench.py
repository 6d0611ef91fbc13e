"""Reference: Hugging Face TRL's GRPOTrainer on a random-weight model of a real shape, CPU, fp32,
so Align4j's `train --objective grpo` step can be compared with it side by side (modelled on
../shared/bench/trl_dpo_bench.py; same shapes and word-level tokenizer).

Usage: python trl_grpo_bench.py CONFIG [--prompts 4] [--generations 8] [--prompt-tokens 32]
                                [--completion-tokens 64] [--steps 6] [--threads 2]
CONFIG: 15M | 110M | smollm2-135M
One step = one generation batch: PROMPTS prompts x GENERATIONS completions of exactly
COMPLETION_TOKENS tokens (min_new_tokens = max_completion_length), a trivial reward, then one
optimiser update on all of it (num_iterations 1, one step per generation, beta 0: no reference
model, loss_type dapo: TRL's defaults). Prints, over the timed steps (the first 2 are warm-up),
the median generation time and update time (step minus generation) as tokens/s: generation =
new tokens / generation time, update = (prompt + completion) tokens / update time; and the
process's peak resident memory."""
import argparse, resource, tempfile, time
import torch
from datasets import Dataset
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, TrainerCallback
from tokenizers import Tokenizer, models, pre_tokenizers
from trl import GRPOConfig, GRPOTrainer

SHAPES = {  # hidden, intermediate, layers, heads, kv heads, vocab, tied, rope theta
    "15M": (288, 768, 6, 6, 6, 32000, True, 10000.0),
    "110M": (768, 2048, 12, 12, 12, 32000, True, 10000.0),
    "smollm2-135M": (576, 1536, 30, 9, 3, 49152, True, 100000.0),
}
ap = argparse.ArgumentParser()
ap.add_argument("config"); ap.add_argument("--prompts", type=int, default=4); ap.add_argument("--generations", type=int, default=8)
ap.add_argument("--prompt-tokens", type=int, default=32); ap.add_argument("--completion-tokens", type=int, default=64)
ap.add_argument("--steps", type=int, default=6); ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
D, HID, L, H, KV, V, TIED, THETA = SHAPES[a.config]
model = LlamaForCausalLM(LlamaConfig(hidden_size=D, intermediate_size=HID, num_hidden_layers=L, num_attention_heads=H,
                                     num_key_value_heads=KV, vocab_size=V, tie_word_embeddings=TIED, rope_theta=THETA,
                                     max_position_embeddings=4096, bos_token_id=1, eos_token_id=2, pad_token_id=0))

# A word-level tokenizer whose words are "t<id>" (ids 3..V-1): text "t5 t9 ..." encodes to exactly those ids.
vocab = {f"t{i}": i for i in range(3, V)}; vocab.update({"<pad>": 0, "<s>": 1, "</s>": 2})
tk = Tokenizer(models.WordLevel(vocab, unk_token="<pad>")); tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", bos_token="<s>")
tok.padding_side = "left"
g = torch.Generator().manual_seed(1)
def words(n): return " ".join(f"t{int(i)}" for i in torch.randint(3, V, (n,), generator=g))
data = Dataset.from_dict({"prompt": [words(a.prompt_tokens) for _ in range(a.prompts * (a.steps + 1))]})

def reward_len(completions, **_):  # trivial, so the step measures the trainer, not the reward
    return [float(len(c) % 7) for c in completions]

gen_times = []
_generate = model.generate
def timed_generate(*args, **kw):
    t0 = time.perf_counter(); out = _generate(*args, **kw); gen_times.append(time.perf_counter() - t0); return out
model.generate = timed_generate

class Timer(TrainerCallback):
    def __init__(s): s.t = []
    def on_step_begin(s, *_, **__): s.t0 = time.perf_counter()
    def on_step_end(s, *_, **__): s.t.append(time.perf_counter() - s.t0)
timer = Timer()
rows = a.prompts * a.generations
args = GRPOConfig(output_dir=tempfile.mkdtemp(prefix="trl_grpo_bench"), per_device_train_batch_size=rows, num_generations=a.generations,
                  max_completion_length=a.completion_tokens, generation_kwargs={"min_new_tokens": a.completion_tokens},
                  max_steps=a.steps, learning_rate=1e-6, bf16=False, report_to="none", logging_steps=1000, save_strategy="no",
                  use_cpu=True, dataloader_num_workers=0, seed=0, temperature=1.0)
trainer = GRPOTrainer(model=model, reward_funcs=reward_len, args=args, train_dataset=data, processing_class=tok, callbacks=[timer])
trainer.train()
steps, gens = timer.t[2:], gen_times[-len(timer.t):][2:]
med = lambda x: sorted(x)[len(x) // 2]
step, gen = med(steps), med(gens)
upd = med([s - q for s, q in zip(steps, gens)])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import trl, transformers
print(f"trl {trl.__version__} transformers {transformers.__version__} torch {torch.__version__} {a.config} prompts={a.prompts} "
      f"generations={a.generations} prompt_tokens={a.prompt_tokens} completion_tokens={a.completion_tokens} "
      f"median_step={step:.3f}s generation={gen:.3f}s update={upd:.3f}s "
      f"generation_tokens/s={rows * a.completion_tokens / gen:.0f} update_tokens/s={rows * (a.prompt_tokens + a.completion_tokens) / upd:.0f} "
      f"peak_rss_MiB={rss:.0f}")
