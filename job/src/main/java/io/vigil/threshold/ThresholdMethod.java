package io.vigil.threshold;

/** How a key's threshold is set ({@code threshold.method}); see {@code docs/thresholds.md}. */
public enum ThresholdMethod {
    /** A fixed score, or a quantile of the model's calibration: the same for every key. */
    STATIC,
    /** Exponentially weighted mean + k standard deviations of ln(score), per key. */
    SIGMA,
    /** A streaming quantile of the key's own scores (t-digest). */
    QUANTILE,
    /** Peaks over threshold: a generalized Pareto tail fitted to the key's largest scores, at a chosen risk. */
    POT
}
