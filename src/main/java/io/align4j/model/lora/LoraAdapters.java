package io.align4j.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.CausalLM;
import io.align4j.model.Linear;
import io.align4j.model.family.Models;
import io.align4j.model.Transformer;
import io.align4j.model.family.Families;
import io.align4j.safetensors.SafeTensors;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Low-rank adapters for a base model (LoRA, Hu et al. 2021): per adapted linear layer, A [r, in]
 * and B [out, r], the layer computing {@code W x + (α/r)·B A x}. The base stays frozen and is
 * shared: {@link #applyTo} gives a model over the same base arrays, and the base itself (adapters
 * off) is the reference policy, so no second copy is held.
 *
 * <p>Stored in PEFT's layout: {@value #CONFIG} and {@value #WEIGHTS} with tensors named
 * {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}, so PEFT loads what
 * Align4j writes and the other way round.
 */
public final class LoraAdapters {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final Pattern KEY = Pattern.compile("base_model\\.model\\.(.+)\\.lora_([AB])(?:\\.default)?\\.weight");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LoraConfig config;
    /** Module path to {A, B}, in the model's layer order. */
    private final Map<String, NDArray[]> byModule;

    private LoraAdapters(LoraConfig config, Map<String, NDArray[]> byModule) {
        this.config = config;
        this.byModule = byModule;
    }

    public LoraConfig config() { return config; }

    /** The adapted module paths, in layer order. */
    public List<String> modules() { return List.copyOf(byModule.keySet()); }

    /**
     * Fresh adapters on the layers of {@code base} that {@code config} targets: A uniform in
     * ±1/√in (PEFT's {@code kaiming_uniform_(a=√5)}), B zero, so the adapted model starts equal to
     * the base. Draws come from a Java generator seeded by {@code seed}, the same on every engine.
     *
     * @throws UserError when no layer matches the targets
     */
    public static LoraAdapters init(CausalLM base, LoraConfig config, long seed, NDManager manager) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NDArray[]> byModule = new LinkedHashMap<>();
        for (Linear l : weightsOf(base).blockLinears()) {
            if (!config.matches(l.module())) continue;
            float[] a = new float[config.rank() * l.inFeatures()];
            double bound = 1 / Math.sqrt(l.inFeatures());
            for (int i = 0; i < a.length; i++) a[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            NDArray aArray = manager.create(a, new Shape(config.rank(), l.inFeatures())).toType(dtype(base), false);
            NDArray bArray = manager.zeros(new Shape(l.outFeatures(), config.rank()), dtype(base));
            byModule.put(l.module(), new NDArray[] {aArray, bArray});
        }
        if (byModule.isEmpty())
            throw new UserError("lora_target " + config.targets() + " matches no linear layer of this " + base.config().family()
                    + " model (its layers: " + String.join(", ", layerNames(base)) + ")");
        return new LoraAdapters(config, byModule);
    }

    /** The trained tensors by their PEFT names: what the optimiser updates and a checkpoint holds. */
    public Map<String, NDArray> tensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        byModule.forEach((module, ab) -> {
            out.put(PREFIX + module + ".lora_A.weight", ab[0]);
            out.put(PREFIX + module + ".lora_B.weight", ab[1]);
        });
        return out;
    }

    /**
     * The adapted model: {@code base}'s arrays (not copied) with each targeted layer wrapped.
     * Closing it frees nothing of the base or of the adapters.
     */
    public CausalLM applyTo(CausalLM base) {
        double scaling = config.scaling();
        float dropout = (float) config.dropout();
        return Models.withLinears(base, l -> {
            NDArray[] ab = byModule.get(l.module());
            return ab == null ? l : new Linear.LowRank((Linear.Dense) l, ab[0], ab[1], scaling, dropout);
        });
    }

    /** The base's parameters with every adapter merged in, {@code W + (α/r)·B·A}: a plain checkpoint's weights. */
    public Map<String, NDArray> merged(CausalLM base, NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>(base.parameters());
        for (Linear l : weightsOf(base).blockLinears()) {
            NDArray[] ab = byModule.get(l.module());
            if (ab == null) continue;
            Linear.Dense dense = (Linear.Dense) l;
            String name = l.module() + ".weight";
            NDArray delta = ab[1].matMul(ab[0]);
            delta.attach(manager);
            NDArray update = io.align4j.model.ScalarOps.mul(dense.storedInOut() ? delta.transpose() : delta, config.scaling());
            NDArray merged = update.add(dense.weight());
            merged.attach(manager);
            params.put(name, merged);
        }
        return params;
    }

    // ------------------------------------------------------------------ PEFT files

    /** Writes {@value #CONFIG} and {@value #WEIGHTS} into {@code folder} (which must exist). */
    public void writeInto(Path folder, CausalLM base, String baseModel) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", config.rank());
        c.put("lora_alpha", config.alpha());
        c.put("lora_dropout", config.dropout());
        var targets = c.putArray("target_modules");
        byModule.keySet().stream().map(m -> m.substring(m.lastIndexOf('.') + 1)).distinct().forEach(targets::add);
        c.put("bias", "none");
        c.put("fan_in_fan_out", base.config().family().equals("gpt2"));
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("inference_mode", true);
        c.putNull("modules_to_save");
        c.putNull("layers_to_transform");
        JSON.writeValue(folder.resolve(CONFIG).toFile(), c);
        SafeTensors.write(folder.resolve(WEIGHTS), tensors());
    }

    /**
     * Reads a PEFT LoRA folder for {@code base}: every {@code lora_A}/{@code lora_B} pair must name a
     * linear layer of the base with matching shapes. Refuses, naming the key, what would change the
     * computation and is not implemented (DoRA, trained biases, extra modules, per-layer ranks).
     */
    public static LoraAdapters read(Path folder, CausalLM base, NDManager manager) {
        Path configFile = folder.resolve(CONFIG), weightsFile = folder.resolve(WEIGHTS);
        JsonNode c;
        try {
            c = JSON.readTree(configFile.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UserError(configFile + ": file not found (a PEFT adapter folder holds " + CONFIG + " and " + WEIGHTS + ")");
        } catch (IOException e) {
            throw new UserError(configFile + ": invalid JSON: " + e.getMessage());
        }
        if (!"LORA".equals(c.path("peft_type").asText("LORA")))
            throw new UserError(configFile + ": peft_type " + c.get("peft_type") + " is not LORA");
        reject(configFile, c, "use_dora", n -> n.asBoolean(), "DoRA is not supported");
        reject(configFile, c, "bias", n -> !n.asText().equals("none"), "trained biases are not supported");
        reject(configFile, c, "modules_to_save", n -> n.size() > 0, "extra trained modules are not supported");
        reject(configFile, c, "rank_pattern", n -> n.size() > 0, "per-layer ranks are not supported");
        reject(configFile, c, "alpha_pattern", n -> n.size() > 0, "per-layer alphas are not supported");
        if (!c.hasNonNull("r") || !c.hasNonNull("lora_alpha"))
            throw new UserError(configFile + ": missing field " + (c.hasNonNull("r") ? "lora_alpha" : "r"));
        int rank = c.get("r").asInt();
        double alpha = c.get("lora_alpha").asDouble();
        // rsLoRA scales by α/√r: expressed as the α that gives that factor with α/r
        if (c.path("use_rslora").asBoolean(false)) alpha = alpha * rank / Math.sqrt(rank);
        Map<String, Linear> layers = new LinkedHashMap<>();
        for (Linear l : weightsOf(base).blockLinears()) layers.put(l.module(), l);
        Map<String, NDArray[]> byModule = new LinkedHashMap<>();
        if (!Files.exists(weightsFile)) throw new UserError(weightsFile + ": file not found");
        try (SafeTensors st = SafeTensors.open(weightsFile)) {
            for (String key : st.tensors().keySet()) {
                Matcher m = KEY.matcher(key);
                if (!m.matches()) throw new UserError(weightsFile + ": tensor '" + key + "' is not a LoRA weight (base_model.model.<module>.lora_A/B.weight)");
                Linear l = layers.get(m.group(1));
                if (l == null) throw new UserError(weightsFile + ": tensor '" + key + "' adapts " + m.group(1)
                        + ", which is not a linear layer of this " + base.config().family() + " model");
                Shape shape = st.tensors().get(key).shape();
                boolean isA = m.group(2).equals("A");
                Shape expected = isA ? new Shape(rank, l.inFeatures()) : new Shape(l.outFeatures(), rank);
                if (!shape.equals(expected))
                    throw new UserError(weightsFile + ": tensor '" + key + "' has shape " + shape + ", expected " + expected + " for r = " + rank);
                byModule.computeIfAbsent(m.group(1), k -> new NDArray[2])[isA ? 0 : 1] = st.load(key, manager, dtype(base));
            }
        }
        for (Map.Entry<String, NDArray[]> e : byModule.entrySet())
            if (e.getValue()[0] == null || e.getValue()[1] == null)
                throw new UserError(weightsFile + ": module " + e.getKey() + " has lora_" + (e.getValue()[0] == null ? "B" : "A") + " but not lora_"
                        + (e.getValue()[0] == null ? "A" : "B"));
        if (byModule.isEmpty()) throw new UserError(weightsFile + ": no LoRA tensors");
        Map<String, NDArray[]> ordered = new LinkedHashMap<>();
        layers.keySet().forEach(k -> { if (byModule.containsKey(k)) ordered.put(k, byModule.get(k)); });
        List<String> targets = ordered.keySet().stream().map(k -> k.substring(k.lastIndexOf('.') + 1)).distinct().toList();
        return new LoraAdapters(new LoraConfig(rank, alpha, c.path("lora_dropout").asDouble(0), targets), ordered);
    }

    private static void reject(Path file, JsonNode c, String field, java.util.function.Predicate<JsonNode> bad, String why) {
        JsonNode n = c.get(field);
        if (n != null && !n.isNull() && bad.test(n)) throw new UserError(file + ": field " + field + " = " + n + ": " + why);
    }

    private static io.align4j.model.TransformerWeights weightsOf(CausalLM model) {
        if (!(model instanceof Transformer t)) throw new IllegalArgumentException("LoRA needs a Transformer model");
        return t.weights();
    }

    private static ai.djl.ndarray.types.DataType dtype(CausalLM base) {
        return base.parameters().values().iterator().next().getDataType();
    }

    private static List<String> layerNames(CausalLM base) {
        return weightsOf(base).blockLinears().stream().map(l -> l.module().substring(l.module().lastIndexOf('.') + 1)).distinct().toList();
    }

    /** Default targets when none are given: PEFT's defaults for the family. */
    public static List<String> defaultTargets(String family) {
        return Families.find(family) == null ? List.of(LoraConfig.ALL_LINEAR) : Families.find(family).defaultLoraTargets();
    }
}
