package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A policy's weights as bytes, exactly as they are (what a cluster broadcasts to its executors
 * once per rollout): every parameter's name, shape, dtype and raw little-endian values.
 */
public record PolicySnapshot(List<String> names, List<long[]> shapes, List<String> dtypes, List<byte[]> values)
        implements Serializable {

    /** The current weights of {@code policy} (detached copies; training is not disturbed). */
    public static PolicySnapshot of(CausalLM policy) {
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        List<String> dtypes = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : policy.parameters().entrySet()) {
            NDArray p = e.getValue();
            names.add(e.getKey());
            shapes.add(p.getShape().getShape());
            dtypes.add(p.getDataType().name());
            ByteBuffer raw = p.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            byte[] bytes = new byte[raw.remaining()];
            raw.get(bytes);
            values.add(bytes);
        }
        return new PolicySnapshot(names, shapes, dtypes, values);
    }

    /** Bytes of the weights (what one broadcast ships, before compression). */
    public long bytes() {
        long n = 0;
        for (byte[] v : values) n += v.length;
        return n;
    }

    /** A model of {@code config} over these weights, owned by {@code manager}. */
    public CausalLM model(ModelConfig config, NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(values.get(i).length).order(ByteOrder.nativeOrder());
            buffer.put(values.get(i)).flip();
            params.put(names.get(i), manager.create(buffer, new Shape(shapes.get(i)), DataType.valueOf(dtypes.get(i))));
        }
        return Models.create(config, params, manager);
    }
}
