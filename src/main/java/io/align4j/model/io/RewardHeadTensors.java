package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors that make a Hugging Face folder a reward model: the scalar head {@value #SCORE_HEAD}
 * of shape [1, dim] that {@code *ForSequenceClassification} models read at the last token, and
 * optionally {@value #LIKELIHOOD_WEIGHT}. They sit in the weight files beside the backbone's.
 */
public final class RewardHeadTensors {
    /** The scalar head of a reward model, [1, dim], as {@code *ForSequenceClassification} names it. */
    public static final String SCORE_HEAD = "score.weight";
    /**
     * The optional weight α of a reward model's likelihood term, shape [1] (see
     * {@code RewardModel}); not part of the Hugging Face layout, which ignores unknown tensors.
     */
    public static final String LIKELIHOOD_WEIGHT = "score.log_likelihood_weight";

    private RewardHeadTensors() {}

    /** The head tensors a reward-model folder may hold, by name, with their shapes. */
    static Map<String, Shape> shapes(ModelConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(SCORE_HEAD, new Shape(1, config.dim()));
        shapes.put(LIKELIHOOD_WEIGHT, new Shape(1));
        return shapes;
    }

    /**
     * The head of a reward-model folder as {@code dtype}: {@value #SCORE_HEAD} always,
     * {@value #LIKELIHOOD_WEIGHT} when the model was trained with a likelihood term.
     *
     * @throws UserError when the folder holds no score head, or a head tensor has another shape
     */
    static Map<String, NDArray> read(Path folder, NDManager manager, DataType dtype) {
        ModelConfig config = HfConfigJson.read(folder);
        Map<String, NDArray> head = new LinkedHashMap<>();
        for (Path shard : ShardedSafeTensors.of(folder).shards()) {
            try (SafeTensors st = SafeTensors.open(shard)) {
                for (Map.Entry<String, Shape> e : shapes(config).entrySet()) {
                    SafeTensors.TensorInfo t = st.tensors().get(e.getKey());
                    if (t == null) continue;
                    if (!t.shape().equals(e.getValue()))
                        throw new UserError(shard + ": tensor '" + e.getKey() + "' has shape " + t.shape() + ", a reward head's is " + e.getValue());
                    head.put(e.getKey(), st.load(e.getKey(), manager, dtype));
                }
            }
        }
        if (!head.containsKey(SCORE_HEAD))
            throw new UserError(folder + ": no tensor '" + SCORE_HEAD + "', so this is not a reward model (align4j reward saves one)");
        return head;
    }
}
