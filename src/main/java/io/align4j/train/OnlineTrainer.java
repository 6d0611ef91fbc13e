package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.config.OnlineConfig;
import io.align4j.objective.PairwiseObjective;
import io.align4j.data.ChatTemplate;
import io.align4j.data.DatasetRead;
import io.align4j.data.EvalSplit;
import io.align4j.data.OnError;
import io.align4j.data.PromptDatasets;
import io.align4j.data.PromptExample;
import io.align4j.model.CausalLM;
import io.align4j.model.io.ModelLoader;
import io.align4j.objective.Grpo;
import io.align4j.objective.Objectives;
import io.align4j.objective.ShapedReward;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code align4j train --objective pd|rebel|rlhf|rkl|grpo}: the online methods, which sample from the
 * current policy at every step ({@link PairOnlineTask} for PD and REBEL,
 * {@link PolicyGradientTask} for RLHF and RKL with PPO or RLOO, {@link GrpoTask} for GRPO), on the shared
 * {@link TrainingLoop}: one step is one rollout of {@code batch_size} prompts followed by
 * {@code inner_epochs × mini_batches} optimiser updates; checkpoints fall between rollouts and
 * carry PPO's value head ({@value TrainingLoop#AUXILIARY_STATE}) and its optimiser moments.
 */
public final class OnlineTrainer {
    /** The value of {@code reward_model} that selects the gold judge of tinystories-happy. */
    public static final String GOLD = "gold";

    private OnlineTrainer() {}

    public static TrainingLoop.Result run(OnlineConfig c, Consumer<String> log) throws IOException {
        Objectives.Method method = Objectives.method(c.objective, Objectives.Kind.ONLINE);
        if (c.prompts == null) throw new UserError("objective " + c.objective + " samples from prompts: set prompts (--prompts FILE)");
        RewardSpec rewardSpec = RewardSpec.of(c);
        if (rewardSpec.count() == 0)
            throw new UserError("objective " + c.objective + " needs a reward: --reward-model DIR, --reward gold, --reward-class NAME,"
                    + " --reward-regex PATTERN or --reward-command CMD");
        if (c.gradientAccumulation != 1)
            throw new UserError("online methods cut each rollout into mini_batches; gradient_accumulation must be 1, was " + c.gradientAccumulation);
        if (c.innerEpochs < 1 || c.miniBatches < 1 || c.miniBatches > c.batchSize)
            throw new UserError("need inner_epochs >= 1 and 1 <= mini_batches <= batch_size (got " + c.innerEpochs + ", "
                    + c.miniBatches + ", " + c.batchSize + ")");
        if (c.maxNewTokens < 1) throw new UserError("max_new_tokens must be >= 1, was " + c.maxNewTokens);
        if (c.rolloutShards < 1) throw new UserError("rollout_shards must be >= 1, was " + c.rolloutShards);
        if (c.sparkMaster != null && c.loraR > 0)
            throw new UserError("spark_master ships the policy's full weights to the executors; LoRA runs make their rollouts here (unset spark_master)");
        boolean pairwise = PairwiseObjective.class.isAssignableFrom(method.parameters());
        Grpo grpo = method.parameters() == Grpo.class ? grpo(c) : null;
        if (grpo != null && c.samplesPerPrompt < 2)
            throw new UserError("grpo compares the completions of a prompt: samples_per_prompt (num_generations) must be >= 2, was "
                    + c.samplesPerPrompt);
        PolicyGradientTask.Estimator estimator = estimator(c.estimator);
        if (!pairwise && c.samplesPerPrompt < 2 && estimator == PolicyGradientTask.Estimator.RLOO)
            throw new UserError("estimator rloo needs samples_per_prompt >= 2, was " + c.samplesPerPrompt);
        if (!pairwise && c.samplesPerPrompt < 1) throw new UserError("samples_per_prompt must be >= 1, was " + c.samplesPerPrompt);

        PairwiseObjective pairObjective = pairwise ? Objectives.pairwise(c.objective, c) : null;
        ShapedReward shaping = pairwise || grpo != null ? null : shaping(c);
        try (RunStart run = RunStart.open(c, false)) {
            NDManager manager = run.manager;
            TextTokenizer tok = run.tokenizer();
            List<int[]> train = new ArrayList<>(), eval = new ArrayList<>();
            readPrompts(c, tok, train, eval, log);
            if (train.isEmpty()) throw new UserError("no training prompts in " + c.prompts);
            // GRPO with β = 0 never looks at π_0, so it is not loaded (TRL does the same)
            boolean needsReference = grpo == null || grpo.beta() > 0;
            Optional<Path> checkpoint = run.checkpoint;
            RunStart.Policy started = run.policy(needsReference);
            CausalLM policy = started.model();
            CausalLM reference = started.reference();
            RewardSource reward = rewardSpec.build(tok, manager);
            int[] suppress = c.fixedLength ? new int[] {tok.bosId(), tok.eosId()} : new int[] {tok.bosId()};
            int[] stop = c.fixedLength ? new int[0] : tok.stopIds();

            TrainingLoop.Trainable trainable;
            OnlineTask task;
            if (grpo != null) {
                task = new GrpoTask(policy, reference, reward, grpo, train, eval, tok.padId(), stop, suppress, c);
                trainable = started.trainable();
            } else if (pairwise) {
                task = new PairOnlineTask(policy, reference, reward, pairObjective, train, eval, tok.padId(), stop, suppress, c);
                trainable = started.trainable();
            } else {
                ValueHead head = null;
                if (estimator == PolicyGradientTask.Estimator.PPO) {
                    head = checkpoint.isPresent() ? ValueHead.of(TrainingLoop.readAuxiliary(checkpoint.get(), manager))
                            : ValueHead.zeros(reference.config().dim(), manager);
                }
                task = new PolicyGradientTask(policy, reference, reward, shaping, estimator, head, checkpoint.isEmpty(), train, eval,
                        tok.padId(), stop, suppress, c);
                trainable = started.trainable().withAuxiliary(head == null ? Map.of() : head.parameters());
            }
            String variant = grpo != null ? " (" + grpo.lossType().name().toLowerCase(Locale.ROOT) + ")" : pairwise ? "" : " (" + c.estimator + ")";
            log.accept(String.format(Locale.ROOT, "training %s%s online on %d prompts (%d held out), reward %s",
                    c.objective, variant, train.size(), eval.size(), rewardSpec.describe()));
            RolloutSource cluster = c.sparkMaster == null ? null : RolloutCluster.connect(c.sparkMaster,
                    new RolloutWorkerSpec(run.modelPath.toAbsolutePath().toString(), absolute(c.reference), absolute(c.tokenizer),
                            c.device, c.dtype, needsReference, rewardSpec), log);
            if (cluster != null) task.useRollouts(cluster);
            try (reward; cluster) {
                return run.train(trainable, task, log);
            }
        }
    }

    private static String absolute(String path) {
        return path == null ? null : Path.of(path).toAbsolutePath().toString();
    }

    /** GRPO's loss from the config: loss_type, epsilon_low, epsilon_high (default epsilon_low), beta (default 0). */
    public static Grpo grpo(OnlineConfig c) {
        Objectives.checkHyperParameters(c.objective, c);
        return new Grpo(Grpo.LossType.parse(c.lossType), c.epsilonLow, c.epsilonHigh != null ? c.epsilonHigh : c.epsilonLow,
                c.beta != null ? c.beta : 0, c.maxNewTokens);
    }

    /** β and γ of RLHF (γ = 0; a γ is an error) and RKL, defaults those of {@link ShapedReward}. */
    public static ShapedReward shaping(OnlineConfig c) {
        ShapedReward defaults = new ShapedReward();
        Objectives.checkHyperParameters(c.objective, c);
        if (c.objective.equals("rlhf") && c.gamma != null)
            throw new UserError("objective rlhf has no entropy term, so it does not take gamma (rkl does); its hyper-parameters: beta");
        double beta = c.beta != null ? c.beta : defaults.beta();
        if (!(beta >= 0)) throw new UserError("beta must be >= 0, was " + beta);
        if (c.objective.equals("rlhf")) return ShapedReward.rlhf(beta);
        double gamma = c.gamma != null ? c.gamma : defaults.gamma();
        if (!(gamma >= 0)) throw new UserError("gamma must be >= 0, was " + gamma);
        return ShapedReward.reverseKl(beta, gamma);
    }

    static PolicyGradientTask.Estimator estimator(String name) {
        return switch (name == null ? "ppo" : name.toLowerCase(Locale.ROOT)) {
            case "ppo" -> PolicyGradientTask.Estimator.PPO;
            case "rloo" -> PolicyGradientTask.Estimator.RLOO;
            default -> throw new UserError("estimator '" + name + "': expected ppo or rloo");
        };
    }

    /**
     * Prompt ids (BOS, then the rendered prompt; over {@code max_prompt_length} tokens the end is
     * kept after BOS), split by {@code eval_prompts}' file or the content hash.
     */
    static void readPrompts(OnlineConfig c, TextTokenizer tok, List<int[]> train, List<int[]> eval, Consumer<String> log) {
        OnError onError = OnError.parse(c.onError);
        ChatTemplate template = ChatTemplate.forTokenizer(tok);
        DatasetRead<PromptExample> read = PromptDatasets.read(Path.of(c.prompts), onError);
        log.accept(read.summary());
        for (PromptExample p : read.examples()) {
            boolean held = c.evalData == null && EvalSplit.isEval(p, c.evalFraction);
            (held ? eval : train).add(encode(p, template, tok, c.maxPromptLength));
        }
        if (c.evalData != null)
            for (PromptExample p : PromptDatasets.read(Path.of(c.evalData), onError).examples())
                eval.add(encode(p, template, tok, c.maxPromptLength));
    }

    private static int[] encode(PromptExample p, ChatTemplate template, TextTokenizer tok, int maxLength) {
        int[] ids = tok.encode(p.render(template), true, false);
        if (ids.length <= maxLength || maxLength < 2) return ids;
        int[] kept = new int[maxLength];
        kept[0] = ids[0];
        System.arraycopy(ids, ids.length - (maxLength - 1), kept, 1, maxLength - 1);
        return kept;
    }
}
