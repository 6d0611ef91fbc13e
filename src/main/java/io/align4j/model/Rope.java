package io.align4j.model;

/**
 * Rotary position embedding in the rotate-half convention of Hugging Face checkpoints: the
 * first {@code rotaryDim} components of a head, split into halves (x₁, x₂), become
 * {@code x·cos θ + (−x₂, x₁)·sin θ} with {@code θ_i = pos · f_i}; the remaining components pass
 * through (GPT-NeoX's {@code rotary_pct}, Phi-3's {@code partial_rotary_factor}).
 *
 * @param theta     the base ({@code rope_theta})
 * @param rotaryDim components of each head that rotate (even, at most head_dim)
 * @param scaling   the {@code rope_scaling} of the checkpoint, or null for none
 */
public record Rope(double theta, int rotaryDim, Scaling scaling) {

    /** No scaling, every component of a head of {@code headDim} rotating. */
    public static Rope plain(double theta, int headDim) { return new Rope(theta, headDim, null); }

    /**
     * {@code rope_scaling} as transformers defines it: {@code linear} divides every frequency by
     * {@code factor}; {@code llama3} divides the low frequencies by {@code factor} and blends the
     * middle band (Llama 3.1); {@code dynamic} (NTK) raises the base once a sequence is longer than
     * {@code originalMaxPositions}.
     */
    public record Scaling(Type type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
        public enum Type {
            LINEAR("linear"), LLAMA3("llama3"), DYNAMIC("dynamic");

            public final String hfName;

            Type(String hfName) { this.hfName = hfName; }
        }
    }

    /**
     * The frequencies {@code f_i}, i &lt; rotaryDim/2, for a forward whose largest position is
     * {@code maxPosition} (only {@code dynamic} scaling depends on it). Computed in float64 as
     * transformers' {@code _compute_*_parameters} define them.
     */
    public double[] inverseFrequencies(long maxPosition) {
        int half = rotaryDim / 2;
        double base = theta;
        if (scaling != null && scaling.type() == Scaling.Type.DYNAMIC) {
            long length = Math.max(maxPosition + 1, scaling.originalMaxPositions());
            double f = scaling.factor();
            base = theta * Math.pow(f * length / scaling.originalMaxPositions() - (f - 1), rotaryDim / (rotaryDim - 2.0));
        }
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = Math.pow(base, -2.0 * i / rotaryDim);
        if (scaling == null) return inv;
        switch (scaling.type()) {
            case LINEAR -> { for (int i = 0; i < half; i++) inv[i] /= scaling.factor(); }
            case LLAMA3 -> {
                double old = scaling.originalMaxPositions();
                double lowWavelength = old / scaling.lowFreqFactor(), highWavelength = old / scaling.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelength = 2 * Math.PI / inv[i];
                    if (wavelength > lowWavelength) {
                        inv[i] /= scaling.factor();
                    } else if (wavelength >= highWavelength) {
                        double smooth = (old / wavelength - scaling.lowFreqFactor())
                                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        inv[i] = (1 - smooth) * inv[i] / scaling.factor() + smooth * inv[i];
                    }
                }
            }
            case DYNAMIC -> { }
        }
        return inv;
    }

    /** Whether the frequencies depend on the sequence length (so a KV cache must not outlive a change). */
    public boolean dependsOnLength() { return scaling != null && scaling.type() == Scaling.Type.DYNAMIC; }
}
