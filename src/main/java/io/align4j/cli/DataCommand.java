package io.align4j.cli;

import io.align4j.data.DataInspection;
import io.align4j.data.OnError;
import io.align4j.data.PairFilter;
import io.align4j.data.UnpairedDatasets;
import io.align4j.data.UnpairedExample;
import io.align4j.data.DatasetRead;
import io.align4j.data.PreferenceFormat;
import io.align4j.data.TokenLimits;
import io.align4j.data.Truncation;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.tokenizer.Tokenizers;
import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code align4j data ...}: look at datasets before training on them. */
@Command(name = "data", description = "Inspect datasets.", mixinStandardHelpOptions = true,
        subcommands = {DataCommand.Inspect.class, DataCommand.Unpair.class})
final class DataCommand {

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Print the format, counts, problems by reason, token length histograms, truncation/drop counts"
                    + " and three examples with the prompt/response boundary marked.")
    static final class Inspect implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Preference data: JSONL, JSON array, optionally .gz.")
        Path file;

        @Option(names = "--format", defaultValue = "auto",
                description = "auto, standard, conversational, implicit, sharegpt, openai, summarize_from_feedback or scored"
                        + " (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--tokenizer", paramLabel = "T", description = "llama2.c tokenizer.bin, tokenizer.json, or a folder holding one.")
        Path tokenizer;

        @Option(names = "--model", paramLabel = "M", description = "Hugging Face model folder; its tokenizer is used.")
        Path model;

        @Option(names = "--max-length", defaultValue = "0", description = "Longest prompt + response in tokens (0 = none).")
        int maxLength;

        @Option(names = "--max-prompt-length", defaultValue = "0", description = "Longest prompt in tokens (0 = none).")
        int maxPromptLength;

        @Option(names = "--truncation", defaultValue = "keep_end", description = "Which end of a long prompt to keep: keep_start or keep_end.")
        String truncation;

        @Option(names = "--on-error", defaultValue = "fail", description = "fail (default) or skip malformed records, counting them.")
        String onError;

        @Option(names = "--drop-empty", description = "Leave out pairs with an empty response (kept by default), counting them.")
        boolean dropEmpty;

        @Option(names = "--split", paramLabel = "NAME", description = "Only pairs of this split (summarize-from-feedback's 'split').")
        String split;

        @Option(names = "--min-score-gap", paramLabel = "G", description = "Only pairs with score_chosen - score_rejected >= G (scored feedback).")
        Double minScoreGap;

        @Override
        public Integer call() {
            TextTokenizer tok = null;
            if (tokenizer != null) {
                tok = Tokenizers.load(tokenizer);
            } else if (model != null) {
                if (!Files.isDirectory(model)) {
                    throw new UserError("--model " + model + " is not a Hugging Face folder; for a llama2.c .bin model pass its"
                            + " tokenizer with --tokenizer");
                }
                tok = Tokenizers.load(model);
            }
            TokenLimits limits = new TokenLimits(maxLength, maxPromptLength, Truncation.parse(truncation));
            PairFilter filter = new PairFilter(dropEmpty, split, minScoreGap);
            spec.commandLine().getOut().print(DataInspection.report(file, PreferenceFormat.parse(format), OnError.parse(onError), filter,
                    tok, limits));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "unpair", mixinStandardHelpOptions = true,
            description = "Write a preference file as unpaired data for KTO: {prompt, completion, label} JSONL, every chosen"
                    + " response (label true) and then every rejected one (false), as TRL's unpair_preference_dataset does.")
    static final class Unpair implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Preference data in any supported layout.")
        Path file;

        @Option(names = "--out", required = true, paramLabel = "OUT", description = "The JSONL file to write.")
        Path out;

        @Option(names = "--on-error", defaultValue = "fail", description = "fail (default) or skip malformed records, counting them.")
        String onError;

        @Override
        public Integer call() {
            DatasetRead<UnpairedExample> read = UnpairedDatasets.read(file, OnError.parse(onError), false);
            UnpairedDatasets.write(read.examples(), out);
            spec.commandLine().getOut().println(read.summary() + "; wrote " + out);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
