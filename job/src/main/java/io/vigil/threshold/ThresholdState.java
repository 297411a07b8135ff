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
 * <p>Two guards keep an anomaly from teaching a key to accept it. A score that creeps up slowly (a
 * sensor drifting away) stays under the threshold for a while, and learned as is it would raise
 * the threshold a little at every step until the threshold runs away from the scores. So a learned
 * score is first clipped to mean ± {@value #LEARN_CLIP_SD}·sd (a winsorized, Huber-style update; the
 * lower side keeps a skewed left tail from inflating the variance),
 * and the key's mean and standard deviation stay within bounds of the model's calibration: what
 * it learns, and so its mean, within {@value #MEAN_BOUND_SD} calibration standard deviations of the calibration mean,
 * its standard deviation within a factor {@value #SD_BOUND_FACTOR} of the calibration's. A key
 * may be noisier or quieter than the fleet the model was calibrated on, within those limits.
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
    public ThresholdState learn(double logScore, double alpha, int warmup, ModelContract.Calibration calibration) {
        long n = count + 1;
        double a = Math.max(alpha, 1.0 / (warmup + n));
        double calibrationSd = calibration.logStd();
        // The learned value, not the mean, is bounded: the mean then stays in bounds and the
        // variance measures the spread of what was learned rather than the distance to a bound.
        double sd = Math.sqrt(variance);
        double low = Math.max(mean - LEARN_CLIP_SD * sd, calibration.logMean() - MEAN_BOUND_SD * calibrationSd);
        double high = Math.min(mean + LEARN_CLIP_SD * sd, calibration.logMean() + MEAN_BOUND_SD * calibrationSd);
        double delta = clamp(logScore, low, high) - mean;
        double nextSd = clamp(Math.sqrt((1 - a) * (variance + a * delta * delta)),
                calibrationSd / SD_BOUND_FACTOR, calibrationSd * SD_BOUND_FACTOR);
        return new ThresholdState(n, mean + a * delta, nextSd * nextSd);
    }

    private static double clamp(double value, double low, double high) {
        return Math.max(low, Math.min(high, value));
    }

    /** A learned ln(score) is clipped at the key's mean plus this many standard deviations. */
    public static final double LEARN_CLIP_SD = 2.0;
    /** A key's mean of ln(score) stays within this many calibration standard deviations of the calibration mean. */
    public static final double MEAN_BOUND_SD = 2.0;
    /** A key's standard deviation of ln(score) stays within this factor of the calibration's. */
    public static final double SD_BOUND_FACTOR = 2.0;
}
