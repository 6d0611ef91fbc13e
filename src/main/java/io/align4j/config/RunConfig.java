package io.align4j.config;

/**
 * What every training run has: the model and data it starts from, the optimiser and its
 * schedule, batching, tokenization limits, where and how precisely it computes, low-rank
 * adapters, and checkpoints. Each method adds its own settings in a subclass ({@link SftConfig},
 * {@link RewardModelConfig}, {@link OfflineConfig}, {@link OnlineConfig}), as TRL's method
 * configs extend its {@code TrainingArguments}.
 *
 * <p>Every field is a {@link Setting}: its YAML key is the field name in snake_case, its flag
 * the same in kebab-case, its default the initial value here. {@link ConfigLoader} resolves a
 * run's config from these defaults, a YAML file and flags, and every run writes the resolved
 * config to {@code config.yaml} in its output folder.
 */
public abstract class RunConfig {
    // what to train
    @Setting("Objective, by its registered name (see align4j train --help): it also picks the config class.")
    public String objective;
    @Setting("Starting model: a Hugging Face folder or a llama2.c checkpoint file; unset = stories260K from the shared data.")
    public String model;
    @Setting("Tokenizer file or folder; unset = the model's own.")
    public String tokenizer;
    @Setting("Training data file (JSONL, JSON, text; .gz too).")
    public String data;
    @Setting("Held-out data file; unset = a hash split of data by eval_fraction.")
    public String evalData;
    @Setting("Share of the data held out by content hash when eval_data is unset (a fraction in [0, 1]).")
    public double evalFraction = 0.05;
    @Setting("A malformed record: fail (stop, naming the file, line and field) or skip (count it and go on).")
    public String onError = "fail";
    @Setting("Output folder: resolved config, metrics, checkpoints and the final model.")
    public String output = "runs/train";

    // optimisation
    @Setting("Peak learning rate of AdamW.")
    public double learningRate = 1e-4;
    @Setting("Learning-rate schedule after warm-up: constant, linear (to 0) or cosine (to 0).")
    public String schedule = "linear";
    @Setting("Optimiser steps of linear warm-up from 0 to learning_rate.")
    public int warmupSteps = 0;
    @Setting("Passes over the training data; ignored when max_steps is positive.")
    public int epochs = 1;
    @Setting("Optimiser steps of the run; a positive value overrides epochs.")
    public int maxSteps = -1;
    @Setting("Examples (pairs, sequences or prompts) per optimiser step, before gradient accumulation.")
    public int batchSize = 8;
    @Setting("Micro-batches of batch_size whose gradients are summed before each optimiser step.")
    public int gradientAccumulation = 1;
    @Setting("Global gradient-norm clip (L2 over every trained tensor).")
    public double maxGradNorm = 1.0;
    @Setting("AdamW's decoupled weight decay (per step, scaled by the learning rate).")
    public double weightDecay = 0.0;
    @Setting("AdamW's β1, the decay of the first-moment average.")
    public double adamBeta1 = 0.9;
    @Setting("AdamW's β2, the decay of the second-moment average.")
    public double adamBeta2 = 0.999;
    @Setting("AdamW's ε, added to the root of the second moment.")
    public double adamEpsilon = 1e-8;
    @Setting("Seed of the data order and of every sample drawn in training; a row's randomness is a function of (seed, step, row).")
    public long seed = 42;

    // tokenization
    @Setting("Longest prompt + response in tokens; SFT cuts plain text into blocks of this length.")
    public int maxLength = 512;
    @Setting("Longest prompt in tokens; longer prompts are cut as truncation says.")
    public int maxPromptLength = 256;
    @Setting("Which end of an over-long prompt to keep: keep_end or keep_start.")
    public String truncation = "keep_end";

    @Setting("Recompute each transformer block's activations in the backward pass instead of keeping them from the forward"
            + " (activation checkpointing): less memory for about one more forward of compute per step; not with lora_dropout > 0.")
    public boolean gradientCheckpointing = false;
    @Setting("Response positions whose logits (positions × vocabulary floats) the LM head computes at a time, forwards and"
            + " backwards, so a step's full logits never exist at once; 0 computes them all together (more memory, no recomputation).")
    public int logitChunkTokens = 512;

    // where and how precisely to compute
    @Setting("Device every tensor of the run lives on: cpu, or gpu / gpu:N with a CUDA libtorch on the class path (only cpu is tested).")
    public String device = "cpu";
    @Setting("Floating-point type of the weights and the computation: float32 or float64 (checkpoints are written as float32).")
    public String dtype = "float32";

    // low-rank adaptation (PEFT's LoraConfig names and defaults)
    @Setting("LoRA rank r; 0 trains every weight. With r > 0 only the adapters train, and the frozen base is also the reference.")
    public int loraR = 0;
    @Setting("LoRA α: the update B·A is scaled by α/r (PEFT's default 8).")
    public double loraAlpha = 8;
    @Setting("Dropout probability on an adapted layer's input during training.")
    public double loraDropout = 0.0;
    @Setting("Layers to adapt, comma-separated as PEFT names them (q_proj,v_proj; query_key_value, qkv_proj, c_attn; all-linear);"
            + " unset = PEFT's default for the family.")
    public String loraTarget;

    // logging and checkpoints
    @Setting("Steps between metric lines in metrics.jsonl.")
    public int logEvery = 10;
    @Setting("Steps between held-out evaluations; 0 = only at the end.")
    public int evalEvery = 0;
    @Setting("Steps between checkpoints; 0 = only at the end.")
    public int saveEvery = 0;
    @Setting("Checkpoints kept in the output folder (older ones are deleted).")
    public int keepLast = 2;
    @Setting("Continue from the newest complete checkpoint in the output folder.")
    public boolean resume = false;
    @Setting("Checkpoint and exit after this many steps of this invocation (0 = run to the end); the schedule spans the whole"
            + " run, so a later resume continues it exactly.")
    public int stopAfterSteps = 0;
}
