package io.vigil.threshold;

import java.io.Serializable;

/**
 * How each key's threshold behaves. Parsed from job parameters elsewhere; {@link #validate()}
 * names the parameter, the value and what is allowed.
 *
 * @param method how the threshold is set ({@code threshold.method})
 * @param k how many standard deviations of ln(score) above the key's mean a score must be to alert
 *     ({@code threshold.k}, method sigma)
 * @param alpha the EWMA weight of a score once warm-up is over: the baseline's memory is about
 *     1/alpha scores ({@code threshold.alpha}, method sigma); 0 keeps a cumulative average forever
 * @param warmup how many of its own scores a key needs before its own estimate has replaced the
 *     model's calibration ({@code threshold.warmup}). For sigma the calibration counts as this many
 *     pseudo-scores: the n-th own score gets weight max(alpha, 1/(warmup + n)). For quantile and
 *     pot the threshold is blended on the log scale with weight min(1, n / warmup) for the key's own.
 * @param topFeatures how many model columns an alert lists as its explanation ({@code alerts.top-features})
 * @param staticValue the fixed threshold of method static, NaN when not set ({@code threshold.static-value})
 * @param staticQuantile the calibration quantile of method static, NaN when not set ({@code threshold.static-quantile})
 * @param quantile the quantile of the key's scores that is its threshold ({@code threshold.quantile})
 * @param quantileHorizon the quantile covers the key's last horizon to 2·horizon scores; 0 keeps
 *     all of them ({@code threshold.quantile-horizon})
 * @param risk the probability that a normal score exceeds the threshold, method pot ({@code threshold.risk})
 * @param potLevel the quantile of the initial scores above which peaks are fitted ({@code threshold.pot-level})
 * @param potInitScores how many scores of a key initialize its tail model ({@code threshold.pot-init-scores})
 * @param potMaxPeaks how many of the most recent peaks the tail is fitted to ({@code threshold.pot-max-peaks})
 * @param potDriftWindow DSPOT: pot runs on the score minus the mean of the key's last this many
 *     normal scores; 0 turns it off ({@code threshold.pot-drift-window})
 * @param learnFromAnomalies whether scores that raised an alert are learned too ({@code threshold.learn-from-anomalies})
 */
public record ThresholdSettings(
        ThresholdMethod method,
        double k,
        double alpha,
        int warmup,
        int topFeatures,
        double staticValue,
        double staticQuantile,
        double quantile,
        long quantileHorizon,
        double risk,
        double potLevel,
        int potInitScores,
        int potMaxPeaks,
        int potDriftWindow,
        boolean learnFromAnomalies) implements Serializable {

    public static final ThresholdMethod DEFAULT_METHOD = ThresholdMethod.SIGMA;
    public static final double DEFAULT_K = 3.5;
    public static final double DEFAULT_ALPHA = 0.01;
    public static final int DEFAULT_WARMUP = 50;
    /** The most floats one of pot's per-key buffers may hold. */
    public static final int MAX_POT_BUFFER = 100_000;
    public static final int DEFAULT_TOP_FEATURES = 3;
    public static final double DEFAULT_QUANTILE = 0.999;
    public static final long DEFAULT_QUANTILE_HORIZON = 100_000;
    public static final double DEFAULT_RISK = 1e-4;
    public static final double DEFAULT_POT_LEVEL = 0.98;
    public static final int DEFAULT_POT_INIT_SCORES = 1_000;
    public static final int DEFAULT_POT_MAX_PEAKS = 1_000;
    public static final int DEFAULT_POT_DRIFT_WINDOW = 0;

    /** The sigma method with the other parameters at their defaults. */
    public ThresholdSettings(double k, double alpha, int warmup, int topFeatures) {
        this(DEFAULT_METHOD, k, alpha, warmup, topFeatures, Double.NaN, Double.NaN, DEFAULT_QUANTILE,
                DEFAULT_QUANTILE_HORIZON, DEFAULT_RISK, DEFAULT_POT_LEVEL, DEFAULT_POT_INIT_SCORES,
                DEFAULT_POT_MAX_PEAKS, DEFAULT_POT_DRIFT_WINDOW, false);
    }

    public static ThresholdSettings defaults() {
        return new ThresholdSettings(DEFAULT_K, DEFAULT_ALPHA, DEFAULT_WARMUP, DEFAULT_TOP_FEATURES);
    }

    public ThresholdSettings withMethod(ThresholdMethod value) {
        return new ThresholdSettings(value, k, alpha, warmup, topFeatures, staticValue, staticQuantile, quantile,
                quantileHorizon, risk, potLevel, potInitScores, potMaxPeaks, potDriftWindow, learnFromAnomalies);
    }

    public ThresholdSettings withStatic(double value, double calibrationQuantile) {
        return new ThresholdSettings(ThresholdMethod.STATIC, k, alpha, warmup, topFeatures, value, calibrationQuantile,
                quantile, quantileHorizon, risk, potLevel, potInitScores, potMaxPeaks, potDriftWindow, learnFromAnomalies);
    }

    public ThresholdSettings withQuantile(double value, long horizon) {
        return new ThresholdSettings(ThresholdMethod.QUANTILE, k, alpha, warmup, topFeatures, staticValue, staticQuantile,
                value, horizon, risk, potLevel, potInitScores, potMaxPeaks, potDriftWindow, learnFromAnomalies);
    }

    public ThresholdSettings withPot(double riskValue, double level, int initScores, int maxPeaks, int driftWindow) {
        return new ThresholdSettings(ThresholdMethod.POT, k, alpha, warmup, topFeatures, staticValue, staticQuantile,
                quantile, quantileHorizon, riskValue, level, initScores, maxPeaks, driftWindow, learnFromAnomalies);
    }

    public ThresholdSettings withLearnFromAnomalies(boolean value) {
        return new ThresholdSettings(method, k, alpha, warmup, topFeatures, staticValue, staticQuantile, quantile,
                quantileHorizon, risk, potLevel, potInitScores, potMaxPeaks, potDriftWindow, value);
    }

    /** Throws IllegalArgumentException naming the first parameter out of range. */
    public ThresholdSettings validate() {
        if (method == null) {
            throw new IllegalArgumentException("threshold.method is missing: must be static, sigma, quantile or pot");
        }
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
        if (method == ThresholdMethod.STATIC && Double.isNaN(staticValue) == Double.isNaN(staticQuantile)) {
            throw new IllegalArgumentException("threshold.method = static: needs exactly one of threshold.static-value "
                    + "(a score) and threshold.static-quantile (a quantile of the model's calibration)");
        }
        if (!Double.isNaN(staticValue) && !(staticValue > 0 && Double.isFinite(staticValue))) {
            throw new IllegalArgumentException("threshold.static-value = " + staticValue + ": must be a finite number > 0");
        }
        if (!Double.isNaN(staticQuantile) && !(staticQuantile > 0 && staticQuantile < 1)) {
            throw new IllegalArgumentException("threshold.static-quantile = " + staticQuantile + ": must be in (0, 1)");
        }
        if (!(quantile > 0 && quantile < 1)) {
            throw new IllegalArgumentException("threshold.quantile = " + quantile + ": must be in (0, 1)");
        }
        if (quantileHorizon < 0) {
            throw new IllegalArgumentException("threshold.quantile-horizon = " + quantileHorizon + ": must be >= 0 (0: no horizon)");
        }
        if (!(potLevel >= 0.5 && potLevel < 1)) {
            throw new IllegalArgumentException("threshold.pot-level = " + potLevel + ": must be in [0.5, 1)");
        }
        if (!(risk > 0 && risk < 1 - potLevel)) {
            throw new IllegalArgumentException("threshold.risk = " + risk + ": must be > 0 and below 1 - threshold.pot-level ("
                    + (1 - potLevel) + "): the alert threshold must lie above the peaks' threshold");
        }
        // The tail model is fitted as soon as the initial scores are in: they must hold enough peaks.
        if (potInitScores * (1 - potLevel) < Spot.MIN_PEAKS) {
            throw new IllegalArgumentException("threshold.pot-init-scores = " + potInitScores + ": with threshold.pot-level "
                    + potLevel + " must leave at least " + Spot.MIN_PEAKS + " peaks, so >= "
                    + (int) Math.ceil(Spot.MIN_PEAKS / (1 - potLevel)));
        }
        if (potMaxPeaks < Spot.MIN_PEAKS) {
            throw new IllegalArgumentException("threshold.pot-max-peaks = " + potMaxPeaks + ": must be >= " + Spot.MIN_PEAKS);
        }
        if (potDriftWindow < 0) {
            throw new IllegalArgumentException("threshold.pot-drift-window = " + potDriftWindow + ": must be >= 0 (0: off)");
        }
        // Each is a float array in every key's state, written at every score: a typo of a few zeros
        // (or a control command, which is replayed after every restore) would take the TaskManagers' memory.
        requireBuffer("pot-init-scores", potInitScores);
        requireBuffer("pot-max-peaks", potMaxPeaks);
        requireBuffer("pot-drift-window", potDriftWindow);
        return this;
    }

    private static void requireBuffer(String parameter, int size) {
        if (size > MAX_POT_BUFFER) {
            throw new IllegalArgumentException("threshold." + parameter + " = " + size + ": must be <= " + MAX_POT_BUFFER
                    + " (a buffer of that many floats in every key's state)");
        }
    }
}
