package io.vigil.parse;

import io.vigil.model.FeatureSpec;

/**
 * How a feature's value becomes model columns, as {@code docs/model-contract.md} defines it.
 * Arithmetic is done in double and each column is then rounded to float32, so that a Python
 * featurizer doing the same (float64 math, then {@code numpy.float32}) produces the same bits.
 */
public enum Encoding {
    /** x, one column. */
    NUMERIC,
    /** sign(x)·ln(1+|x|), one column. */
    LOG1P,
    /** One column per category: 1 for the matching one, 0 for the others. */
    ONEHOT,
    /** sin(2π·x/period), cos(2π·x/period): two columns. */
    CYCLIC;

    public static Encoding of(FeatureSpec feature) {
        return switch (feature.encoding()) {
            case FeatureSpec.NUMERIC -> NUMERIC;
            case FeatureSpec.LOG1P -> LOG1P;
            case FeatureSpec.ONEHOT -> ONEHOT;
            case FeatureSpec.CYCLIC -> CYCLIC;
            default -> throw new IllegalArgumentException("feature '" + feature.name() + "': unknown encoding '"
                    + feature.encoding() + "' (allowed: numeric, log1p, onehot, cyclic)");
        };
    }

    /**
     * Writes the columns of the number {@code x} to {@code out[at..]}. A finite {@code x} can still
     * give a non-finite column when it exceeds the float32 range (numeric): callers check.
     *
     * @param period the cyclic period; ignored by the other encodings
     */
    public void encode(double x, double period, float[] out, int at) {
        switch (this) {
            case NUMERIC -> out[at] = (float) x;
            case LOG1P -> out[at] = (float) (Math.signum(x) * Math.log1p(Math.abs(x)));
            case CYCLIC -> {
                double angle = 2 * Math.PI * x / period;
                out[at] = (float) Math.sin(angle);
                out[at + 1] = (float) Math.cos(angle);
            }
            case ONEHOT -> throw new IllegalStateException("onehot encodes a category, not a number");
        }
    }
}
