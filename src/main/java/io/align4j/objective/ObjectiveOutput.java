package io.align4j.objective;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A scalar loss to differentiate and the batch metrics that go with it, named as the Python
 * tools name them ({@code rewards/chosen}, {@code rewards/margins}, {@code logps/chosen}, ...).
 * Metrics are scalar arrays, detached from the graph, so that reading them costs nothing until
 * a logger asks for {@link #values()}.
 */
public record ObjectiveOutput(NDArray loss, Map<String, NDArray> metrics) {

    /** The metrics as plain numbers, with {@code loss} first. */
    public Map<String, Double> values() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble());
        metrics.forEach((k, v) -> out.put(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble()));
        return out;
    }

    /** One metric as a number. */
    public double value(String name) {
        NDArray v = "loss".equals(name) ? loss : metrics.get(name);
        if (v == null) throw new IllegalArgumentException("no metric " + name + " among " + metrics.keySet());
        return v.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }
}
