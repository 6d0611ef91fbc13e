package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import io.align4j.model.ModelConfig;
import java.util.Map;

/**
 * What a checkpoint reader returns: the model's hyper-parameters and its parameters, keyed and
 * ordered as {@link io.align4j.model.family.ParameterLayout#of(ModelConfig)} lists them, owned by the
 * manager the caller passed to the reader.
 */
public record LoadedWeights(ModelConfig config, Map<String, NDArray> parameters) {}
