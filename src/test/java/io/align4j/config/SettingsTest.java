package io.align4j.config;

import static org.junit.jupiter.api.Assertions.*;

import io.align4j.cli.Main;
import io.align4j.testing.CliRun;
import io.align4j.train.Training;
import io.align4j.util.UserError;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The settings are declared once, documented, and reach YAML, flags and help from that one declaration. */
class SettingsTest {
    static final List<Class<? extends RunConfig>> CONFIGS =
            List.of(SftConfig.class, RewardModelConfig.class, OfflineConfig.class, OnlineConfig.class);

    @TempDir Path dir;

    @Test
    void everyConfigFieldIsADocumentedSettingDeclaredOnce() {
        Set<Class<?>> seen = new HashSet<>();
        for (Class<? extends RunConfig> type : CONFIGS)
            for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
                if (!seen.add(c)) continue;
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) continue;
                    Setting s = f.getAnnotation(Setting.class);
                    assertNotNull(s, c.getSimpleName() + "." + f.getName() + " is not a @Setting");
                    assertTrue(s.value().strip().length() >= 20, c.getSimpleName() + "." + f.getName() + " has no real description");
                    assertTrue(Modifier.isPublic(f.getModifiers()), f + " is public");
                }
            }
        for (Class<? extends RunConfig> type : CONFIGS) {
            List<String> keys = Settings.of(type).stream().map(Settings.Entry::key).toList();
            assertEquals(keys.size(), new HashSet<>(keys).size(), type.getSimpleName() + " declares each key once (no shadowing): " + keys);
        }
    }

    /**
     * A setting's key is written in main code only by its field's name: no YAML key, parameter-map
     * key or flag spells it again. Exempt are keys that are also fields of an external format or
     * metric names (listed with the reason).
     */
    @Test
    void everySettingIsSpelledOnceInMainCode() throws IOException {
        Map<String, String> exempt = Map.of(
                "lora_alpha", "a field of PEFT's adapter_config.json",
                "lora_dropout", "a field of PEFT's adapter_config.json",
                "learning_rate", "a metric name in metrics.jsonl",
                "reward_model", "the name of the reward-model part in reward metrics",
                "eval_prompts", "a file key of a task's meta.json and a quickstart metric",
                "samples_per_prompt", "a quickstart metric",
                "truncation", "also the data command's own option");
        List<String> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".java")).toList()) sources.add(p + "\n" + Files.readString(p));
        }
        List<String> spelledAgain = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (Class<? extends RunConfig> type : CONFIGS) Settings.of(type).forEach(e -> keys.add(e.key()));
        for (String key : keys) {
            if (exempt.containsKey(key) || !key.contains("_") && !isHyperParameter(key)) continue; // one-word keys ("data") are common words
            String flag = "--" + key.replace('_', '-');
            for (String source : sources) {
                String file = source.substring(0, source.indexOf('\n'));
                for (String line : source.lines().toList())
                    if ((line.contains("\"" + key + "\"") || line.contains("\"" + flag + "\"")) && !line.contains("@Option(names = \"--"))
                        spelledAgain.add(key + " in " + file + ": " + line.strip());
            }
        }
        assertEquals(List.of(), spelledAgain);
        assertTrue(keys.contains("gamma_margin") && keys.contains("loss_type") && keys.contains("clip_range"));
    }

    private static boolean isHyperParameter(String key) {
        return CONFIGS.stream().flatMap(c -> Settings.of(c).stream()).anyMatch(e -> e.key().equals(key) && e.setting().hyperParameter());
    }

    @Test
    void everyFlagOfEveryCommandIsDescribedAndHelpFitsEightyColumns() {
        CommandLine cli = new CommandLine(new Main()).setUsageHelpWidth(80);
        List<String> problems = new ArrayList<>();
        for (CommandLine command : cli.getSubcommands().values()) {
            String name = command.getCommandName();
            for (OptionSpec o : command.getCommandSpec().options()) {
                String text = String.join(" ", o.description()).strip();
                if (text.isEmpty()) problems.add(name + " " + o.longestName() + ": no description");
            }
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
            help.lines().filter(l -> l.length() > 80).forEach(l -> problems.add(name + " --help line of " + l.length() + " columns: " + l));
        }
        assertEquals(List.of(), problems);
        String[] r = CliRun.run("train", "--help");
        assertEquals("0", r[0]);
        for (String flag : List.of("--gamma-margin", "--loss-type", "--num-generations", "--lora-r", "--clip-range", "--beta", "--reward"))
            assertTrue(r[1].contains(flag), "train --help lists " + flag);
        assertTrue(r[1].contains("Default: 0.2."), "defaults are shown");
    }

    @Test
    void flagsAreTypedAndOverrideTheYamlFile() throws IOException {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "objective: simpo\nbeta: 2.5\nmax_steps: 3\n");
        // resolve the way the CLI does, without training: through an unknown objective error after parsing
        OfflineConfig c = (OfflineConfig) Training.newConfig(ConfigLoader.peek(yaml, "objective"));
        c = ConfigLoader.resolve(c, yaml, Map.of("gamma_margin", 0.5, "max_steps", 5));
        assertEquals("simpo", c.objective);
        assertEquals(2.5, c.beta, 0);
        assertEquals(0.5, c.gammaMargin, 0);
        assertEquals(5, c.maxSteps);
    }

    @Test
    void configsWrittenBeforeTheSplitStillLoad() throws IOException {
        OfflineConfig dpo = (OfflineConfig) legacy("dpo");
        assertEquals("dpo", dpo.objective);
        assertEquals(4, dpo.maxSteps);
        assertEquals(5e-5, dpo.learningRate, 0);
        assertEquals(1, dpo.seed);
        assertNull(dpo.beta);
        OnlineConfig rkl = (OnlineConfig) legacy("rkl");
        assertEquals(0.05, rkl.beta, 0);
        assertEquals(0.01, rkl.gamma, 0);
        assertTrue(rkl.fixedLength);
        assertEquals(1, rkl.miniBatches);
        RewardModelConfig reward = (RewardModelConfig) legacy("reward");
        assertTrue(reward.rewardLikelihoodTerm);
        assertEquals("cosine", reward.schedule);

        // a key of another method holding something other than its default is named, not dropped
        Path edited = dir.resolve("edited.yaml");
        Files.writeString(edited, Files.readString(resource("dpo")).replace("clip_range: 0.2", "clip_range: 0.3"));
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.resolve(new OfflineConfig(), edited, Map.of()));
        assertEquals("config file " + edited + ": key 'clip_range' is a setting of online runs, not of offline runs; remove it",
                e.getMessage());
    }

    @Test
    void aFlagOfAnotherMethodOrAHyperParameterTheObjectiveDoesNotTakeIsOneLineAndExitTwo() {
        String[] r = CliRun.run("train", "--objective", "dpo", "--data", "x.jsonl", "--clip-range", "0.3");
        assertEquals("2", r[0]);
        assertEquals("align4j train: clip_range is a setting of online runs, not of offline runs", r[2].strip());
        r = CliRun.run("train", "--objective", "dpo", "--data", "x.jsonl", "--eta", "0.3");
        assertEquals("2", r[0]);
        assertEquals("align4j train: objective dpo does not take eta (its hyper-parameters: beta)", r[2].strip());
        r = CliRun.run("train", "--objective", "dpox");
        assertEquals("2", r[0]);
        assertTrue(r[2].strip().startsWith("align4j train: unknown objective 'dpox' (known: sft, bt, dpo,"), r[2]);
    }

    private RunConfig legacy(String name) throws IOException {
        Path yaml = resource(name);
        return ConfigLoader.resolve(Training.newConfig(ConfigLoader.peek(yaml, "objective")), yaml, Map.of());
    }

    private Path resource(String name) {
        try {
            return Path.of(getClass().getResource("legacy/" + name + ".yaml").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
