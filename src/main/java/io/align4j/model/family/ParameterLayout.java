package io.align4j.model.family;

import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import java.util.Map;

/**
 * The one list of a model's parameters: names as Hugging Face checkpoints of the family use
 * them, shapes as stored there, in binding order. It is what the family's
 * {@link io.align4j.model.family.Family#bind} asks for, recorded, so model code, checkpoint
 * readers and writers never spell a name twice.
 */
public final class ParameterLayout {
    private ParameterLayout() {}

    public static Map<String, Shape> of(ModelConfig c) {
        Tensors.Recorder recorder = Tensors.recorder();
        Families.of(c).bind(c, recorder);
        return recorder.layout();
    }
}
