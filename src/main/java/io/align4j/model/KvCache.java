package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Keys and values of every layer for the positions already processed, shape
 * [B, kvHeads, length, headDim] each. The cache owns its arrays in its own manager, so a
 * caller may run each decoding step in a short-lived sub-manager without losing them.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int nLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[nLayers];
        this.values = new NDArray[nLayers];
    }

    /** Positions held so far. */
    public int length() { return length; }

    /**
     * Appends this step's keys and values of one layer and returns the full [keys, values].
     * The length advances when the last layer is appended.
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray fullV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        fullK.attach(manager);
        fullV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = fullK;
        values[layer] = fullV;
        if (layer == keys.length - 1) length = (int) fullK.getShape().get(2);
        return new NDArray[] {fullK, fullV};
    }

    /** Keeps only the given batch rows (for example after some sequences finished). */
    public void keepRows(long[] rows) {
        try (NDManager tmp = manager.newSubManager()) {
            NDArray idx = tmp.create(rows);
            for (int l = 0; l < keys.length; l++) {
                if (keys[l] == null) continue;
                NDArray k = keys[l].get(new NDIndex("{}", idx));
                NDArray v = values[l].get(new NDIndex("{}", idx));
                k.attach(manager);
                v.attach(manager);
                keys[l].close();
                values[l].close();
                keys[l] = k;
                values[l] = v;
            }
        }
    }

    @Override
    public void close() { manager.close(); }
}
