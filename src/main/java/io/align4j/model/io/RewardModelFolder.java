package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.model.RewardModel;
import io.align4j.safetensors.SafeTensors;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reward model's Hugging Face folder: the backbone's folder ({@link HfCheckpoint}) whose weight
 * files also hold the head, {@value RewardModel#SCORE_HEAD} [1, dim] (read at the last token by
 * {@code *ForSequenceClassification} models) and optionally {@value RewardModel#LIKELIHOOD_WEIGHT},
 * with {@code "architectures": ["LlamaForSequenceClassification"]} (or the family's) and
 * {@code num_labels: 1} in {@code config.json}.
 */
public final class RewardModelFolder {
    private RewardModelFolder() {}

    /**
     * Opens a reward-model folder written by {@link #save} (or by Hugging Face's
     * {@code save_pretrained} of a Llama/GPT-2 {@code ForSequenceClassification} model with one
     * label), with its tokenizer. Its parameters require no gradient, so scoring records no graph.
     */
    public static RewardModel load(Path folder, NDManager manager) {
        ModelLoader.LoadedModel loaded = ModelLoader.load(folder, null, manager);
        try {
            return new RewardModel(loaded.model(), readHead(folder, loaded.model().manager(), DataType.FLOAT32), loaded.tokenizer());
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /** Writes the folder: backbone, head, config and tokenizer files, replacing an earlier one whole. */
    public static void save(RewardModel model, Path folder, Path... tokenizerFiles) {
        HfCheckpoint.write(folder, model.backbone().config(), model.parameters(), DataType.FLOAT32, tokenizerFiles);
    }

    /** The head tensors a reward-model folder may hold, by name, with their shapes. */
    static Map<String, Shape> headShapes(ModelConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(RewardModel.SCORE_HEAD, new Shape(1, config.dim()));
        shapes.put(RewardModel.LIKELIHOOD_WEIGHT, new Shape(1));
        return shapes;
    }

    /**
     * The head of a reward-model folder as {@code dtype}: {@value RewardModel#SCORE_HEAD} always,
     * {@value RewardModel#LIKELIHOOD_WEIGHT} when the model was trained with a likelihood term.
     *
     * @throws UserError when the folder holds no score head, or a head tensor has another shape
     */
    public static Map<String, NDArray> readHead(Path folder, NDManager manager, DataType dtype) {
        ModelConfig config = HfConfigJson.read(folder);
        Map<String, NDArray> head = new LinkedHashMap<>();
        for (Path shard : ShardedSafeTensors.of(folder).shards()) {
            try (SafeTensors st = SafeTensors.open(shard)) {
                for (Map.Entry<String, Shape> e : headShapes(config).entrySet()) {
                    SafeTensors.TensorInfo t = st.tensors().get(e.getKey());
                    if (t == null) continue;
                    if (!t.shape().equals(e.getValue()))
                        throw new UserError(shard + ": tensor '" + e.getKey() + "' has shape " + t.shape() + ", a reward head's is " + e.getValue());
                    head.put(e.getKey(), st.load(e.getKey(), manager, dtype));
                }
            }
        }
        if (!head.containsKey(RewardModel.SCORE_HEAD))
            throw new UserError(folder + ": no tensor '" + RewardModel.SCORE_HEAD + "', so this is not a reward model (align4j reward saves one)");
        return head;
    }
}
