package io.vigil.threshold;

import java.util.Arrays;

/**
 * Streaming peaks over threshold, SPOT and DSPOT of Siffer, Fouque, Termier and Largouët,
 * "Anomaly Detection in Streams with Extreme Value Theory" (KDD 2017), on a {@link PotState}.
 *
 * <p>The first {@code pot-init-scores} values of a key set t, their {@code pot-level} quantile;
 * the excesses over t (the peaks) follow a generalized Pareto distribution GPD(γ, σ) by the
 * Pickands–Balkema–de Haan theorem. With n values seen and N_t peaks, the value exceeded with
 * probability q (the risk) is z_q = t + σ/γ·((q·n/N_t)^(−γ) − 1), or t − σ·ln(q·n/N_t) as γ → 0.
 * A value above z_q is an anomaly; a learned value above t is a new peak and refits the tail, one
 * below t only counts in n. (SPOT learns no anomaly; {@link Judge#judgePot} says why this job
 * learns isolated ones at z_q.)
 *
 * <p>DSPOT ({@code pot-drift-window} d &gt; 0) runs the same on the score minus the mean of the
 * key's last d normal scores, so a slowly moving level does not read as a tail event; the first d
 * scores only fill that window.
 *
 * <p>The GPD is fitted by the method of moments on the retained peaks: with mean m and variance
 * s², γ = (1 − m²/s²)/2 and σ = m·(1 + m²/s²)/2. Why not Grimshaw's maximum likelihood, as the
 * paper does: reconstruction errors have light tails (γ near 0, where the moments exist), and
 * there Hosking and Wallis (Technometrics, 1987) found the moment estimators at least as accurate
 * as maximum likelihood for the few hundred peaks kept here, while they need no root search that
 * can fail to converge on a small or tied sample. The moment estimate of γ falls short of a heavy
 * tail's (the moments do not exist for γ ≥ 1/2), so there the threshold comes out lower than it
 * should and alerts somewhat more often than {@code risk}: measured on simulated peaks, about 1.2
 * times the risk at γ = 0.25 and twice it at γ = 0.8.
 *
 * <p>Why the peaks are bounded ({@code pot-max-peaks}, the most recent kept): keyed state must
 * not grow with a key's age. N_t and n keep
 * counting every peak and value, so the tail's weight q·n/N_t stays exact; the most recent peaks
 * are a sample of the same tail while the stream is stationary, and follow it when it is not.
 */
final class Spot {

    private Spot() {}

    /** Fewer peaks than this give no usable fit: the calibration threshold applies until then. */
    static final int MIN_PEAKS = 10;

    /** Below this |γ| the γ → 0 (exponential) form is used: the general one loses precision. */
    private static final double GAMMA_EPSILON = 1e-6;

    /** The fitted tail of a state, or null when there is none yet. */
    record Tail(double t, double gamma, double sigma, long n, long peaks) {

        /** z_q: the value exceeded with probability {@code risk}. */
        double threshold(double risk) {
            double r = risk * n / peaks;
            if (Math.abs(gamma) < GAMMA_EPSILON) {
                return t - sigma * Math.log(r);
            }
            return t + sigma / gamma * (Math.pow(r, -gamma) - 1);
        }

        /** P(value &gt; x) under the fitted tail, for x above t. */
        double probabilityAbove(double x) {
            double rate = (double) peaks / n;
            double excess = Math.max(0, x - t);
            if (Math.abs(gamma) < GAMMA_EPSILON) {
                return rate * Math.exp(-excess / sigma);
            }
            double base = 1 + gamma * excess / sigma;
            // γ < 0 has a finite end point t − σ/γ: beyond it the fitted tail gives probability 0.
            return base <= 0 ? 0 : rate * Math.pow(base, -1 / gamma);
        }
    }

    static PotState create(ThresholdSettings settings) {
        PotState state = new PotState();
        state.init = new float[settings.potInitScores()];
        state.peaks = new float[settings.potMaxPeaks()];
        state.drift = settings.potDriftWindow() > 0 ? new float[settings.potDriftWindow()] : null;
        return state;
    }

    /** Whether the DSPOT window is still filling: the score is learned but not judged by the tail. */
    static boolean fillingDrift(PotState state) {
        return state.drift != null && state.driftFilled < state.drift.length;
    }

    /** The mean of the drift window; 0 without DSPOT. */
    static double driftMean(PotState state) {
        if (state.drift == null || state.driftFilled == 0) {
            return 0;
        }
        return state.driftSum / state.driftFilled;
    }

    /** The fitted tail, on drift-corrected values; null until initialized. */
    static Tail tail(PotState state) {
        if (Double.isNaN(state.initialThreshold) || state.peaksFilled < MIN_PEAKS) {
            return null;
        }
        int filled = state.peaksFilled;
        double mean = state.peakSum / filled;
        // Excesses over t have a mean of the order of their spread, so the one-pass formula does
        // not lose the variance to cancellation.
        double variance = (state.peakSquares - filled * mean * mean) / (filled - 1);
        double gamma;
        double sigma;
        // Equal peaks leave a variance of rounding noise, of either sign: below 1e-9 of m² it counts
        // as none, so tied data gets one threshold and not one that depends on the last bits.
        if (!(variance > 1e-9 * mean * mean) || !(mean > 0)) {
            // All peaks equal (a quantized score): an exponential tail of that mean, or of a
            // tiny scale when they are all zero, rather than a division by zero.
            gamma = 0;
            sigma = Math.max(mean, 1e-12);
        } else {
            double ratio = mean * mean / variance;
            gamma = 0.5 * (1 - ratio);
            sigma = 0.5 * mean * (1 + ratio);
        }
        return new Tail(state.initialThreshold, gamma, sigma, state.count, state.peakCount);
    }

    /** Learns one normal score; {@code level} is {@code threshold.pot-level}. */
    static void learn(PotState state, double score, double level) {
        if (fillingDrift(state)) {
            pushDrift(state, score);
            return;
        }
        double x = score - driftMean(state);
        if (state.init != null) {
            state.init[state.initCount++] = (float) x;
            state.count++;
            if (state.initCount == state.init.length) {
                initialize(state, level);
            }
        } else {
            state.count++;
            if (x > state.initialThreshold) {
                addPeak(state, x - state.initialThreshold);
            }
        }
        if (state.drift != null) {
            pushDrift(state, score);
        }
    }

    /** SPOT's initialization: t is the level quantile of the initial values, the excesses over it the first peaks. */
    private static void initialize(PotState state, double level) {
        float[] sorted = state.init.clone();
        Arrays.sort(sorted);
        // The smallest value with at least a fraction `level` of the values at or below it.
        int index = Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(level * sorted.length) - 1));
        state.initialThreshold = sorted[index];
        for (float value : sorted) {
            if (value > state.initialThreshold) {
                addPeak(state, value - state.initialThreshold);
            }
        }
        state.init = null; // initCount stays: how many values set t, which warm-up counts from
    }

    private static void addPeak(PotState state, double excess) {
        if (state.peaksFilled == state.peaks.length) {
            double evicted = state.peaks[state.peaksNext];
            state.peakSum -= evicted;
            state.peakSquares -= evicted * evicted;
        }
        float value = (float) excess;
        state.peakSum += value;
        state.peakSquares += (double) value * value;
        state.peaks[state.peaksNext] = value;
        state.peaksNext = (state.peaksNext + 1) % state.peaks.length;
        state.peaksFilled = Math.min(state.peaksFilled + 1, state.peaks.length);
        if (state.peaksNext == 0) {
            // Once per lap the sums are recomputed, so rounding cannot build up over a key's life.
            state.peakSum = 0;
            state.peakSquares = 0;
            for (float peak : state.peaks) {
                state.peakSum += peak;
                state.peakSquares += (double) peak * peak;
            }
        }
        state.peakCount++;
    }

    private static void pushDrift(PotState state, double score) {
        if (state.driftFilled == state.drift.length) {
            state.driftSum -= state.drift[state.driftNext];
        }
        float value = (float) score;
        state.driftSum += value;
        state.drift[state.driftNext] = value;
        state.driftNext = (state.driftNext + 1) % state.drift.length;
        state.driftFilled = Math.min(state.driftFilled + 1, state.drift.length);
        if (state.driftNext == 0) {
            state.driftSum = 0;
            for (float kept : state.drift) {
                state.driftSum += kept;
            }
        }
    }
}
