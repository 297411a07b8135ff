package io.vigil.threshold;

import io.vigil.model.ModelContract;

/**
 * One key's baseline, kept in keyed state: an exponentially weighted mean and variance of ln(score).
 * Scores of normal windows are close to log-normal, so the threshold is mean + k·sd on the log scale.
 *
 * <p>The calibration of the model seeds every key ({@link #seed}); it counts as {@code warmup}
 * pseudo-observations, so the n-th score of the key's own gets weight max(alpha, 1/(warmup + n)):
 * an exact running mean and variance over calibration and own scores while that term dominates,
 * then a fixed-rate EWMA that follows slow drift.
 *
 * @param count how many of the key's own scores have been learned (alerting scores are not)
 * @param mean the weighted mean of ln(score)
 * @param variance the weighted variance of ln(score)
 */
public record ThresholdState(long count, double mean, double variance) {

    /** A key's state before its first score: the model's calibration on held-out normal data. */
    public static ThresholdState seed(ModelContract.Calibration calibration) {
        return new ThresholdState(0, calibration.logMean(), calibration.logStd() * calibration.logStd());
    }

    /** The alert threshold on the log scale. */
    public double logThreshold(double k) {
        return mean + k * Math.sqrt(variance);
    }

    /**
     * The state after one more normal score. Exponentially weighted mean and variance as in Finch,
     * "Incremental calculation of weighted mean and variance" (2009), section 9: with weight a,
     * mean' = mean + a·δ and variance' = (1 − a)·(variance + a·δ²), δ = x − mean. For a = 1/N this
     * is the exact population variance of N values.
     */
    public ThresholdState learn(double logScore, double alpha, int warmup) {
        long n = count + 1;
        double a = Math.max(alpha, 1.0 / (warmup + n));
        double delta = logScore - mean;
        return new ThresholdState(n, mean + a * delta, (1 - a) * (variance + a * delta * delta));
    }
}
