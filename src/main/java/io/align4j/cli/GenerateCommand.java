package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.generate.Sampler;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Continues a prompt with the KV-cache sampler and prints only the generated token ids on stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation; prints the generated token ids (space-separated) on stdout.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c checkpoint (.bin)")
    Path model;

    @Option(names = "--prompt-ids", description = "prompt token ids, e.g. \"1 403 407\"; default: BOS alone")
    String promptIds;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 for greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--max-new-tokens", defaultValue = "200", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 keeps all")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "nucleus mass in (0, 1]")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    long seed;

    @Override
    public Integer call() {
        try (NDManager manager = NDManager.newBaseManager(); CausalLM lm = ModelFiles.load(model, manager)) {
            ModelConfig c = lm.config();
            int[] prompt = promptIds == null ? new int[] {c.bosId()} : ModelFiles.parseIds(promptIds, "--prompt-ids");
            int[] stopIds = IntStream.of(c.eosId(), c.bosId()).filter(id -> id >= 0).distinct().toArray();
            SamplingConfig config;
            try {
                config = new SamplingConfig(temperature, topK, topP, maxNewTokens, stopIds, new int[0], seed);
            } catch (IllegalArgumentException e) {
                throw new io.align4j.util.UserError(e.getMessage());
            }
            Generation g = Sampler.generate(lm, List.of(prompt), config).get(0);
            int[] shown = g.finish() == Generation.Finish.STOP ? Arrays.copyOf(g.tokens(), g.tokens().length - 1) : g.tokens();
            System.out.println(IntStream.of(shown).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
            return 0;
        }
    }
}
