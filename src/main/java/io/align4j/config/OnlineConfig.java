package io.align4j.config;

import java.util.List;

/**
 * Online methods ({@code align4j train --objective pd|rebel|rlhf|rkl|grpo}): each step samples
 * from the current policy, scores the samples with the run's rewards, and updates. One step is
 * one rollout of {@code batch_size} prompts followed by {@code inner_epochs × mini_batches}
 * optimiser updates.
 */
public class OnlineConfig extends PolicyConfig {
    // prompts and rewards
    @Setting("Prompt file (prompt-only JSONL of {\"prompt\"} or messages, or the prompts of a preference file).")
    public String prompts;
    @Setting(value = "Reward model folder written by align4j reward, or gold for the tinystories-happy judge (oracle runs).",
            aliases = "--reward")
    public String rewardModel;
    @Setting("Java rewards (io.align4j.reward.RewardFunction), each a name registered with ServiceLoader or a class name.")
    public List<String> rewardClass;
    @Setting("Regular-expression rewards: 1 when the completion contains a match of the Java regex, else 0.")
    public List<String> rewardRegex;
    @Setting("External reward programs (sh -c CMD, started once per run): JSON lines {prompt, completion} in, one number per line out.")
    public List<String> rewardCommand;
    @Setting("Weight of each reward in the order reward_model, reward_class…, reward_regex…, reward_command… (TRL's"
            + " reward_weights); unset = all 1.")
    public List<Double> rewardWeights;
    @Setting("Seconds a Java reward may take per batch, and a reward command per answer, before the run stops.")
    public double rewardTimeout = 60;

    // sampling
    @Setting(value = "Responses sampled per prompt by rlhf, rkl and grpo (TRL's num_generations); pd and rebel always sample a pair.",
            aliases = "--num-generations")
    public int samplesPerPrompt = 4;
    @Setting("Longest sampled response in tokens.")
    public int maxNewTokens = 48;
    @Setting("Suppress BOS and EOS while sampling, so every response has exactly max_new_tokens tokens.")
    public boolean fixedLength = false;
    @Setting("Softmax temperature of the sampling policy.")
    public double samplingTemperature = 1.0;
    @Setting("Held-out prompts sampled per online evaluation (the first ones of the held-out split).")
    public int evalPrompts = 64;

    // updates per rollout
    @Setting("Passes over each rollout (PPO epochs; PD's inner epochs).")
    public int innerEpochs = 4;
    @Setting("Mini-batches each rollout is cut into per inner epoch; updates per step = inner_epochs × mini_batches.")
    public int miniBatches = 2;

    // PPO and RLOO (rlhf, rkl)
    @Setting("rlhf and rkl: ppo (value head, GAE, clipped surrogate) or rloo (leave-one-out baseline, no value head).")
    public String estimator = "ppo";
    @Setting("PPO's ratio clip ε: the ratio is kept within [1 − ε, 1 + ε].")
    public double clipRange = 0.2;
    @Setting("PPO's value clip: new values are kept within this distance of the rollout's.")
    public double clipRangeValue = 0.2;
    @Setting("GAE's λ, the bias–variance trade-off of the advantage estimate.")
    public double gaeLambda = 0.95;
    @Setting("Discount per token of the return.")
    public double discount = 1.0;
    @Setting("PPO: pay the KL and entropy terms of the shaped reward on each token, −β(ln π_t − ln π_0) − γ ln π_t, with R̂ on the"
            + " last (TRL's and Ziegler et al.'s form); false = the whole sequence reward on the last token.")
    public boolean denseShaping = true;
    @Setting("Weight of the value loss in PPO's loss.")
    public double valueCoef = 0.1;

    // GRPO
    @Setting("GRPO's aggregation of per-token losses: grpo (per-sequence mean, group-std scaling), dr_grpo (constant"
            + " normaliser, no std scaling) or dapo (token-level mean; TRL's default).")
    public String lossType = "dapo";
    @Setting("GRPO: lower clip ε_low, the ratio's floor 1 − ε_low for negative advantages (TRL's epsilon).")
    public double epsilonLow = 0.2;
    @Setting("GRPO: upper clip ε_high, the ratio's ceiling 1 + ε_high for positive advantages; unset = epsilon_low (DAPO uses 0.28).")
    public Double epsilonHigh;
    @Setting("GRPO: DAPO's dynamic sampling: groups whose rewards are all equal are dropped and fresh prompts sampled to refill"
            + " the batch, as a function of (seed, step, round).")
    public boolean dynamicSampling = false;
    @Setting("GRPO dynamic sampling: refill rounds per step at most, after which the step trains on the groups kept.")
    public int dynamicSamplingRounds = 3;

    // where rollouts are made
    @Setting("Shards each rollout is cut into (whole prompt groups; each sampled, scored and run through the reference on its own);"
            + " runs with the same value give bitwise the same rollouts, in one process or on a cluster's executors.")
    public int rolloutShards = 1;
    @Setting("Spark master URL (local[N], spark://host:port) whose executors make the rollouts and held-out samples, the policy's"
            + " weights broadcast once per rollout; needs the align4j-spark jar on the class path (bin/align4j-spark). Unset = this process.")
    public String sparkMaster;

    public OnlineConfig() {
        objective = "pd";
    }
}
