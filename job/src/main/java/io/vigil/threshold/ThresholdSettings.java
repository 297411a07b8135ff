package io.vigil.threshold;

import java.io.Serializable;

/**
 * How each key's adaptive threshold behaves. Parsed from job parameters elsewhere; {@link #validate()}
 * names the parameter, the value and what is allowed.
 *
 * @param k how many standard deviations of ln(score) above the key's mean a score must be to alert
 *     ({@code threshold.k})
 * @param alpha the EWMA weight of a score once warm-up is over: the baseline's memory is about
 *     1/alpha scores ({@code threshold.alpha}); 0 keeps a cumulative average forever
 * @param warmup how many of its own scores the model calibration is worth to a new key
 *     ({@code threshold.warmup}); the n-th own score gets weight max(alpha, 1/(warmup + n)), so a
 *     warm-up shorter than 1/alpha lets a key replace the calibration by its own level faster than
 *     the EWMA alone would
 * @param topFeatures how many model columns an alert lists as its explanation ({@code alerts.top-features})
 */
public record ThresholdSettings(double k, double alpha, int warmup, int topFeatures) implements Serializable {

    public static final double DEFAULT_K = 3.5;
    public static final double DEFAULT_ALPHA = 0.01;
    public static final int DEFAULT_WARMUP = 50;
    public static final int DEFAULT_TOP_FEATURES = 3;

    public static ThresholdSettings defaults() {
        return new ThresholdSettings(DEFAULT_K, DEFAULT_ALPHA, DEFAULT_WARMUP, DEFAULT_TOP_FEATURES);
    }

    /** Throws IllegalArgumentException naming the first parameter out of range. */
    public ThresholdSettings validate() {
        if (!(k > 0) || !Double.isFinite(k)) {
            throw new IllegalArgumentException("threshold.k = " + k + ": must be a finite number > 0");
        }
        // alpha = 1 would keep only the last score: the variance would collapse to 0.
        if (!(alpha >= 0 && alpha < 1)) {
            throw new IllegalArgumentException("threshold.alpha = " + alpha + ": must be in [0, 1)");
        }
        // warmup = 0 would give a key's first score weight 1 and a zero variance: every larger
        // score after it would alert.
        if (warmup < 1) {
            throw new IllegalArgumentException("threshold.warmup = " + warmup + ": must be >= 1");
        }
        if (topFeatures < 0) {
            throw new IllegalArgumentException("alerts.top-features = " + topFeatures + ": must be >= 0");
        }
        return this;
    }
}
