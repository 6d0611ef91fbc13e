package io.align4j.cli;

import io.align4j.LanguageModel;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Continues a prompt with the KV-cache sampler. Only the generated text goes to stdout (logs go
 * to stderr), so the output can be piped; {@code --ids} prints token ids instead.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt (or of BOS) and print it on stdout.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    static final class PromptChoice {
        @Option(names = "--prompt", description = "prompt text (default: continue from BOS)")
        String text;

        @Option(names = "--prompt-ids", description = "prompt token ids, e.g. \"1 403 407\"")
        String ids;
    }

    @ArgGroup(exclusive = true)
    PromptChoice prompt = new PromptChoice();

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

    @Option(names = "--ids", description = "print the generated token ids instead of text")
    boolean printIds;

    @Override
    public Integer call() {
        try (LanguageModel lm = modelOptions.open()) {
            TextTokenizer tok = lm.tokenizer();
            int bos = lm.bosId();
            int[] promptIds = prompt.ids != null ? ModelFiles.parseIds(prompt.ids, "--prompt-ids")
                    : prompt.text != null ? lm.encodePrompt(prompt.text)
                    : new int[] {bos >= 0 ? bos : tok.padId()};
            SamplingConfig config;
            try {
                config = new SamplingConfig(temperature, topK, topP, maxNewTokens, tok.stopIds(), new int[0], seed);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            Generation g = lm.generateIds(List.of(promptIds), config).get(0);
            int[] generated = g.finish() == Generation.Finish.STOP ? Arrays.copyOf(g.tokens(), g.tokens().length - 1) : g.tokens();
            System.out.println(printIds
                    ? IntStream.of(generated).mapToObj(Integer::toString).collect(Collectors.joining(" "))
                    : LanguageModel.continuation(tok, promptIds, generated));
            return 0;
        }
    }
}
