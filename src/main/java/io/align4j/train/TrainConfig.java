package io.align4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of a training run, read by {@link io.align4j.config.ConfigLoader} from defaults, a
 * YAML file and flags (YAML keys are the snake_case of the field names). Objective
 * hyper-parameters left null take the defaults of the objective's class (the specification's
 * reported settings); a hyper-parameter the objective does not take is an error.
 */
public class TrainConfig {
    // what to train on
    /**
     * Pairwise objective: dpo, cdpo, robust, hinge, ipo, simpo, pmle, mio; unpaired: kto; online:
     * pd, rebel, rlhf, rkl, grpo; {@code sft} and {@code bt} for those trainers.
     */
    public String objective = "dpo";
    /** Model folder (Hugging Face) or llama2.c .bin; null = stories260K from the shared data. */
    public String model;
    /** Tokenizer file or folder; null = the model's. */
    public String tokenizer;
    /** Reference model; null = a frozen copy of the starting policy. */
    public String reference;
    /** Training data file (any supported preference format). */
    public String data;
    /** Held-out data file; null = a hash split of {@link #data} by {@link #evalFraction}. */
    public String evalData;
    public String format = "auto";
    /** fail (default) or skip malformed records. */
    public String onError = "fail";
    /** Leave out pairs (or unpaired completions) whose response is empty; false (default) keeps them, an empty answer being a real one. */
    public boolean dropEmptyResponses = false;
    /** Train only on pairs of this split (summarize-from-feedback's {@code split}, e.g. {@code train}); null = all. */
    public String split;
    /** Train only on scored pairs with {@code score_chosen − score_rejected >= minScoreGap} (UltraFeedback); null = all. */
    public Double minScoreGap;
    /** Output folder: config, metrics, checkpoints, final model. */
    public String output = "runs/train";

    // objective hyper-parameters (null = the objective's default)
    public Double beta;
    public Double gamma;
    public Double epsilon;
    public Double gammaMargin;
    public Double eta;
    public Double margin;
    public Boolean lengthNormalised;
    /**
     * Reward centring ({@code align4j reward}): adds {@code c · mean((r+ + r-)²)} to the loss, which
     * pins the rewards' mean near zero (TRL's {@code center_rewards_coefficient}); null = off.
     */
    public Double centerRewardsCoefficient;
    /** Reward models: add α·ln π_φ(a|x), α learned (see {@code RewardModel}); off gives the standard last-token head. */
    public boolean rewardLikelihoodTerm = false;
    /** Samples per prompt for the on-policy KL term of PMLE when its beta is positive. */
    public int klSamples = 2;
    /** Preference distillation: z uses ln π_θ − ln π_t (the sampling policy) instead of ln π_θ; null = off. */
    public Boolean ratioToSampling;
    /** Preference distillation: β shapes the scores, R̂ − β(ln π_t − ln π_0), instead of an explicit KL term; null = off. */
    public Boolean klAsShaping;
    /** KTO: weight λ_D of the desirable examples' losses; null = 1 (TRL's). */
    public Double desirableWeight;
    /** KTO: weight λ_U of the undesirable examples' losses; null = 1 (TRL's). */
    public Double undesirableWeight;

    // online methods (pd, rebel, rlhf, rkl): each step samples from the current policy
    /** Prompt file of the online methods (prompt-only JSONL, or the prompts of a preference file). */
    public String prompts;
    /** Reward of the samples: a reward-model folder ({@code align4j reward}), or {@code gold} for the tinystories-happy judge. */
    public String rewardModel;
    /**
     * Java rewards ({@link io.align4j.reward.RewardFunction}), each a name registered with
     * ServiceLoader or a class name on the class path; null = none. Every reward of the run is
     * summed with {@link #rewardWeights}.
     */
    public List<String> rewardClass;
    /** Regular-expression (or keyword) rewards: 1 when the completion contains a match, else 0; null = none. */
    public List<String> rewardRegex;
    /**
     * External reward programs ({@code sh -c CMD}, started once per run; a JSON line
     * {@code {"prompt", "completion"}} in, one number per line out); null = none.
     */
    public List<String> rewardCommand;
    /**
     * Weight of each reward in the order reward_model, reward_class..., reward_regex...,
     * reward_command... (TRL's {@code reward_weights}); null = all 1.
     */
    public List<Double> rewardWeights;
    /** Seconds a Java reward may take per batch, and a reward command per answer, before the run stops (default 60). */
    public double rewardTimeout = 60;
    /** rlhf and rkl: {@code ppo} (value head, GAE, clipped surrogate) or {@code rloo} (leave-one-out baseline, no value head). */
    public String estimator = "ppo";
    /** Responses sampled per prompt by rlhf, rkl and grpo (TRL's {@code num_generations}); pd and rebel always sample a pair. */
    public int samplesPerPrompt = 4;
    /** Longest sampled response in tokens. */
    public int maxNewTokens = 48;
    /**
     * Suppress BOS and EOS while sampling, so every response has exactly {@link #maxNewTokens}
     * tokens (as the tinystories-happy evaluation samples).
     */
    public boolean fixedLength = false;
    public double samplingTemperature = 1.0;
    /** Passes over each rollout (PPO epochs; PD's inner epochs). */
    public int innerEpochs = 4;
    /** Mini-batches each rollout is cut into per inner epoch; updates per step = inner_epochs × mini_batches. */
    public int miniBatches = 2;
    /** PPO ratio clip ε. */
    public double clipRange = 0.2;
    /** PPO value clip around the rollout's values. */
    public double clipRangeValue = 0.2;
    public double gaeLambda = 0.95;
    public double discount = 1.0;
    /**
     * PPO: pay the KL and entropy terms of the shaped reward on each token,
     * {@code −β(ln π_t(a_t) − ln π_0(a_t)) − γ ln π_t(a_t)}, with R̂ on the last (TRL's and
     * Ziegler et al.'s form); false = the whole sequence reward on the last token.
     */
    public boolean denseShaping = true;
    /** Weight of the value loss in the PPO loss. */
    public double valueCoef = 0.1;
    /**
     * GRPO's aggregation of per-token losses ({@link io.align4j.objective.Grpo}): {@code grpo}
     * (per-sequence mean, group-std scaling), {@code dr_grpo} (constant normaliser, no std
     * scaling) or {@code dapo} (token-level mean; TRL's default, kept here).
     */
    public String lossType = "dapo";
    /** GRPO: lower clip ε_low, the ratio's floor 1 − ε_low for negative advantages (TRL's {@code epsilon}; default 0.2). */
    public double epsilonLow = 0.2;
    /** GRPO: upper clip ε_high, the ratio's ceiling 1 + ε_high for positive advantages; null = epsilon_low (TRL's default; DAPO uses 0.28). */
    public Double epsilonHigh;
    /**
     * GRPO: DAPO's dynamic sampling. Prompt groups whose rewards are all equal (no learning
     * signal) are dropped and fresh prompts sampled to refill the step's batch; the refills are
     * a function of (seed, step, round), so no state crosses steps and resume stays exact
     * (default false).
     */
    public boolean dynamicSampling = false;
    /** GRPO dynamic sampling: refill rounds per step at most, after which the step trains on the groups kept (default 3). */
    public int dynamicSamplingRounds = 3;
    /** Held-out prompts sampled per online evaluation (the first ones of the held-out split). */
    public int evalPrompts = 64;

    // optimisation
    public double learningRate = 1e-4;
    /** constant, linear or cosine (after warm-up). */
    public String schedule = "linear";
    public int warmupSteps = 0;
    public int epochs = 1;
    /** Optimiser steps; positive values override {@link #epochs}. */
    public int maxSteps = -1;
    /** Pairs (or SFT sequences) per optimiser step (before accumulation). */
    public int batchSize = 8;
    public int gradientAccumulation = 1;
    public double maxGradNorm = 1.0;
    public double weightDecay = 0.0;
    public double adamBeta1 = 0.9;
    public double adamBeta2 = 0.999;
    public double adamEpsilon = 1e-8;
    /** Fixes data order and every sample drawn during training. */
    public long seed = 42;

    // tokenization
    /** Longest prompt + response in tokens; SFT cuts plain text into blocks of this length. */
    public int maxLength = 512;
    public int maxPromptLength = 256;
    /** keep_end (default) or keep_start, for prompts over the limit. */
    public String truncation = "keep_end";
    public double evalFraction = 0.05;

    // efficiency
    /** Reference log-probs are computed once and cached here; null = ~/.cache/align4j/reference. */
    public String referenceCache;
    /** false = run the reference model inside every step instead (slower; for measuring the difference). */
    public boolean useReferenceCache = true;
    /** Chosen and rejected in one forward pass (false = two passes, for measuring the difference). */
    public boolean concatenatedForward = true;

    // where and how precisely to compute
    /** Device every tensor of the run lives on: cpu, or gpu / gpu:N with a CUDA libtorch on the class path (only cpu is tested). */
    public String device = "cpu";
    /** Floating-point type of the weights and the computation: float32 or float64 (checkpoints are written as float32). */
    public String dtype = "float32";

    // low-rank adaptation (PEFT's LoraConfig names and defaults)
    /** LoRA rank r; 0 trains every weight (full fine-tuning). With r &gt; 0 only the adapters train and the frozen base is also the reference. */
    public int loraR = 0;
    /** LoRA α: the update B·A is scaled by α/r (PEFT's default 8). */
    public double loraAlpha = 8;
    /** Dropout on an adapted layer's input during training (0 = none). */
    public double loraDropout = 0.0;
    /**
     * Layers to adapt, comma-separated module names as PEFT spells them ({@code q_proj,v_proj};
     * {@code query_key_value} for GPT-NeoX, {@code qkv_proj} for Phi-3, {@code c_attn} for GPT-2;
     * {@code all-linear} for every block layer); null = PEFT's default for the family.
     */
    public String loraTarget;

    // logging and checkpoints
    public int logEvery = 10;
    /** Held-out evaluation every N steps (0 = only at the end). */
    public int evalEvery = 0;
    /** Checkpoint every N steps (0 = only at the end). */
    public int saveEvery = 0;
    public int keepLast = 2;
    /** Continue from the newest complete checkpoint in {@link #output}. */
    public boolean resume = false;
    /**
     * Checkpoint and exit after this many steps of this invocation (0 = run to the end); the
     * schedule still spans the whole run, so a later {@code resume} continues it exactly
     * (for time-boxed or preemptible jobs).
     */
    public int stopAfterSteps = 0;

    /** The objective hyper-parameters that were set, by their registry keys. */
    public Map<String, Object> objectiveParams() {
        Map<String, Object> p = new LinkedHashMap<>();
        if (beta != null) p.put("beta", beta);
        if (gamma != null) p.put("gamma", gamma);
        if (epsilon != null) p.put("epsilon", epsilon);
        if (gammaMargin != null) p.put("gamma_margin", gammaMargin);
        if (eta != null) p.put("eta", eta);
        if (margin != null) p.put("margin", margin);
        if (lengthNormalised != null) p.put("length_normalised", lengthNormalised);
        if (ratioToSampling != null) p.put("ratio_to_sampling", ratioToSampling);
        if (klAsShaping != null) p.put("kl_as_shaping", klAsShaping);
        if (desirableWeight != null) p.put("desirable_weight", desirableWeight);
        if (undesirableWeight != null) p.put("undesirable_weight", undesirableWeight);
        return p;
    }
}
