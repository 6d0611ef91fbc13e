package io.align4j.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.Rope;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Typed access to the fields of one {@code config.json}, with every error naming the file and
 * the key. Understands both the transformers 4.x keys ({@code rope_theta}, {@code rope_scaling})
 * and the 5.x form ({@code rope_parameters}).
 */
public record HfConfig(Path file, JsonNode root) {

    public boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    public int requiredInt(String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw error("missing field " + field);
        return asInt(field, n);
    }

    public int optionalInt(String field, int fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : asInt(field, n);
    }

    public double requiredDouble(String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) throw error("missing field " + field);
        return asDouble(field, n);
    }

    public double optionalDouble(String field, double fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : asDouble(field, n);
    }

    /**
     * A number that may be absent (its default applies) or explicitly null (the feature is off,
     * returned as {@code whenNull}), as Gemma 2's soft-capping and sliding window are.
     */
    public double nullableDouble(String field, double whenAbsent, double whenNull) {
        JsonNode n = root.get(field);
        if (n == null) return whenAbsent;
        return n.isNull() ? whenNull : asDouble(field, n);
    }

    public boolean optionalBoolean(String field, boolean fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isBoolean()) throw error("field " + field + " is not true or false: " + n);
        return n.asBoolean();
    }

    public String optionalString(String field, String fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isTextual()) throw error("field " + field + " is not a string: " + n);
        return n.asText();
    }

    /** A token id, the first of a list (Llama 3 lists several eos ids), or -1 when absent. */
    public int tokenId(String field) {
        JsonNode n = root.get(field);
        if (n != null && n.isArray()) n = n.size() == 0 ? null : n.get(0);
        return n == null || n.isNull() ? -1 : asInt(field, n);
    }

    /** Fails naming the key when it is present, not null, and {@code unsupported}. */
    public void reject(String field, Predicate<JsonNode> unsupported, String why) {
        JsonNode n = root.get(field);
        if (n != null && !n.isNull() && unsupported.test(n)) throw error("field " + field + " = " + n + ": " + why);
    }

    /** The activation {@code field} names, or {@code fallback} when absent; an unknown name is an error. */
    public BlockFeatures.Activation activation(String field, BlockFeatures.Activation fallback) {
        String name = optionalString(field, null);
        if (name == null) return fallback;
        BlockFeatures.Activation a = BlockFeatures.Activation.ofHfName(name);
        if (a == null)
            throw error("field " + field + " = \"" + name + "\": activation not supported (silu, gelu, gelu_new, gelu_pytorch_tanh)");
        return a;
    }

    /**
     * The rotary embedding: base from {@code rope_parameters.rope_theta}, else {@code thetaKeys}
     * in order (families spell it differently), else {@code defaultTheta}; the rotating fraction
     * of a head from {@code partial_rotary_factor} (or {@code rotaryPctKey}); scaling from
     * {@code rope_parameters} or {@code rope_scaling}, of the types the family allows.
     */
    public Rope rope(int headDim, int maxPositions, double defaultTheta, String rotaryPctKey,
                     Set<Rope.Scaling.Type> allowed, String... thetaKeys) {
        JsonNode params = root.get("rope_parameters");
        String scalingKey = params != null && !params.isNull() ? "rope_parameters" : "rope_scaling";
        JsonNode scaling = root.get(scalingKey);
        if (scaling != null && !scaling.isNull() && !scaling.isObject()) throw error("field " + scalingKey + " is not an object: " + scaling);
        double theta = defaultTheta;
        for (String key : thetaKeys) if (has(key)) { theta = requiredDouble(key); break; }
        double fraction = 1.0;
        if (rotaryPctKey != null && has(rotaryPctKey)) fraction = requiredDouble(rotaryPctKey);
        if (has("partial_rotary_factor")) {
            double factor = requiredDouble("partial_rotary_factor");
            if (rotaryPctKey != null && !rotaryPctKey.equals("partial_rotary_factor") && has(rotaryPctKey) && factor != fraction)
                throw error("fields " + rotaryPctKey + " = " + fraction + " and partial_rotary_factor = " + factor + " disagree");
            fraction = factor;
        }
        Rope.Scaling parsed = null;
        if (scaling != null && !scaling.isNull()) {
            HfConfig s = new HfConfig(file, scaling);
            if (s.has("rope_theta")) theta = s.requiredDouble("rope_theta");
            if (s.has("partial_rotary_factor")) fraction = s.requiredDouble("partial_rotary_factor");
            String type = s.optionalString("rope_type", s.optionalString("type", "default"));
            if (!type.equals("default")) {
                Rope.Scaling.Type t = Arrays.stream(Rope.Scaling.Type.values()).filter(v -> v.hfName.equals(type)).findFirst()
                        .filter(allowed::contains).orElseThrow(() -> error("field " + scalingKey + " = " + scaling
                                + ": rope type '" + type + "' is not supported for this family (" + names(allowed) + ")"));
                parsed = new Rope.Scaling(t, requiredIn(s, scalingKey, "factor"),
                        t == Rope.Scaling.Type.LLAMA3 ? requiredIn(s, scalingKey, "low_freq_factor") : 0,
                        t == Rope.Scaling.Type.LLAMA3 ? requiredIn(s, scalingKey, "high_freq_factor") : 0,
                        t == Rope.Scaling.Type.LLAMA3 ? (int) requiredIn(s, scalingKey, "original_max_position_embeddings")
                                : s.optionalInt("original_max_position_embeddings", maxPositions));
            }
        }
        int rotaryDim = (int) (headDim * fraction);
        if (fraction <= 0 || fraction > 1 || rotaryDim % 2 != 0)
            throw error("partial rotary factor " + fraction + " of head_dim " + headDim + " gives " + rotaryDim
                    + " rotating components; an even number from 2 to head_dim is needed");
        return new Rope(theta, rotaryDim, parsed);
    }

    /** Writes {@code rope_theta}, {@code rope_scaling} (4.x form, which 5.x reads too) and the rotating fraction. */
    public static void writeRope(ObjectNode o, Rope rope, int headDim, String thetaKey, String rotaryPctKey) {
        o.put(thetaKey, rope.theta());
        Rope.Scaling s = rope.scaling();
        if (s == null) {
            o.putNull("rope_scaling");
        } else {
            ObjectNode n = o.putObject("rope_scaling");
            n.put("rope_type", s.type().hfName);
            n.put("factor", s.factor());
            if (s.type() == Rope.Scaling.Type.LLAMA3) {
                n.put("low_freq_factor", s.lowFreqFactor());
                n.put("high_freq_factor", s.highFreqFactor());
            }
            n.put("original_max_position_embeddings", s.originalMaxPositions());
        }
        String fractionKey = rotaryPctKey != null ? rotaryPctKey : rope.rotaryDim() != headDim ? "partial_rotary_factor" : null;
        if (fractionKey != null) o.put(fractionKey, (double) rope.rotaryDim() / headDim);
    }

    /**
     * Per-layer sliding windows: from {@code layer_types} ({@code sliding_attention} /
     * {@code full_attention}) when the config lists them, else {@code fallback} layer by layer.
     */
    public List<Integer> slidingWindows(int layers, int window, Predicate<Integer> slidingByDefault) {
        List<Integer> windows = new ArrayList<>();
        JsonNode types = root.get("layer_types");
        if (types != null && !types.isNull()) {
            if (!types.isArray() || types.size() != layers)
                throw error("field layer_types must list one type for each of the " + layers + " layers: " + types);
            for (JsonNode t : types) {
                switch (t.asText()) {
                    case "full_attention" -> windows.add(0);
                    case "sliding_attention" -> {
                        if (window <= 0) throw error("field layer_types has a sliding_attention layer but sliding_window is not set");
                        windows.add(window);
                    }
                    default -> throw error("field layer_types: layer type " + t + " is not supported (full_attention, sliding_attention)");
                }
            }
            return windows;
        }
        for (int i = 0; i < layers; i++) windows.add(window > 0 && slidingByDefault.test(i) ? window : 0);
        return windows;
    }

    /** Writes {@code layer_types} for per-layer windows. */
    public static void writeLayerTypes(ObjectNode o, List<Integer> windows) {
        var array = o.putArray("layer_types");
        for (int w : windows) array.add(w > 0 ? "sliding_attention" : "full_attention");
    }

    public UserError error(String message) { return new UserError(file + ": " + message); }

    private double requiredIn(HfConfig nested, String parent, String field) {
        JsonNode n = nested.root().get(field);
        if (n == null || n.isNull()) throw error("field " + parent + " lacks " + field);
        return asDouble(parent + "." + field, n);
    }

    private static String names(Set<Rope.Scaling.Type> allowed) {
        return allowed.isEmpty() ? "none" : String.join(", ", allowed.stream().map(t -> t.hfName).sorted().toList());
    }

    private int asInt(String field, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw error("field " + field + " is not an integer: " + n);
        return n.asInt();
    }

    private double asDouble(String field, JsonNode n) {
        if (!n.isNumber()) throw error("field " + field + " is not a number: " + n);
        return n.asDouble();
    }
}
