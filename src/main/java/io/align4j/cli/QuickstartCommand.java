package io.align4j.cli;

import io.align4j.hub.HubModel;
import io.align4j.hub.HubSettings;
import io.align4j.hub.ModelResolver;
import io.align4j.hub.ResolvedModel;
import io.align4j.quickstart.Budget;
import io.align4j.quickstart.Preset;
import io.align4j.quickstart.Quickstart;
import io.align4j.report.QuickstartMetrics;
import io.align4j.report.QuickstartReport;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j quickstart}: every method on the known-target task, evaluated side by side, with a report. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"Build the tinystories-happy task, train a reward model, align stories260K with DPO, PMLE, MIO, PD,",
                "REBEL, RLHF and RKL under equal budgets, evaluate pi_0 and each policy on the same held-out prompts (first",
                "the KL to the known target pi* and to each method's predicted optimum, both ways, then win rate and the rest),",
                "and write OUT/report/index.html with OUT/report/metrics.json. Running it again continues an interrupted run.",
                "The model comes from --model, else ALIGN4J_MODEL_PATH, else the shared data folder, else the user cache,",
                "else a download from the Hugging Face hub (karpathy/tinyllamas)."})
final class QuickstartCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "Folder holding stories260K.bin and tok512.bin, or the .bin itself.")
    Path model;

    @Option(names = "--out", defaultValue = "quickstart", description = "Working and output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--budget", defaultValue = "default",
            description = "tiny (seconds, for tests), small, or default (about ten minutes on 2 cores) (default: ${DEFAULT-VALUE}).")
    String budget;

    @Option(names = "--preset", defaultValue = "theory",
            description = {"The methods' settings: theory (each at the settings under which its source states where it converges;",
                    "the report gives the distance to that optimum) or win-rate (the settings tuned for win rate against pi_0)",
                    "(default: ${DEFAULT-VALUE})."})
    String preset;

    @Override
    public Integer call() throws Exception {
        Budget chosen = Budget.named(budget);
        ResolvedModel resolved = new ModelResolver(withSharedData(HubSettings.fromEnvironment())).resolveStories260K(model);
        Path bin = resolved.file(HubModel.STORIES260K_CHECKPOINT);
        System.err.println("align4j quickstart: model " + bin + " (" + resolved.source().name().toLowerCase() + "), budget " + chosen.name());
        QuickstartMetrics metrics = Quickstart.run(bin, out, chosen, Preset.named(preset), msg -> System.err.println("align4j quickstart: " + msg));
        QuickstartReport.Written written = QuickstartReport.write(metrics, out.resolve("report"));
        var o = spec.commandLine().getOut();
        o.print(QuickstartReport.table(metrics));
        o.printf("took %.0f s; report: %s%n", metrics.task().seconds(), written.html().toAbsolutePath().normalize());
        o.flush();
        return 0;
    }

    /** The shared data folder's stories260K, when present, is searched after ALIGN4J_MODEL_PATH and before the cache. */
    private static HubSettings withSharedData(HubSettings s) {
        Path shared = DataPaths.root().resolve(DataPaths.STORIES260K_MODEL).getParent();
        if (!Files.isDirectory(shared)) return s;
        List<Path> search = new ArrayList<>(s.searchPath());
        search.add(shared);
        return new HubSettings(s.endpoint(), search, s.cacheRoot(), s.offline(), s.offlineReason(), s.connectTimeout(),
                s.requestTimeout(), s.progress());
    }
}
