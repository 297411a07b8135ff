package io.vigil.threshold;

import io.vigil.model.ModelContract;
import java.util.Map;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.special.Erf;

/**
 * Tail probabilities and the severity scale shared by every method, so that a severity means the
 * same for every key and method: how rarely a normal window of that key scores this high.
 *
 * <p>Severity = clamp(round(−10·log10 p), 0, 100), p the estimated probability that a normal
 * window of the key scores at least this much: 40 is one in 10⁴ windows, 60 one in 10⁶, 100 one in
 * 10¹⁰ or rarer.
 */
final class Tails {

    private Tails() {}

    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    /** P(Z &gt; z) for a standard normal Z, accurate far into the tail (erfc, not 1 − Φ). */
    static double upperNormal(double z) {
        return 0.5 * Erf.erfc(z / Math.sqrt(2));
    }

    /** z such that P(Z &gt; z) = p. */
    static double normalQuantileAbove(double p) {
        return STANDARD_NORMAL.inverseCumulativeProbability(1 - p);
    }

    /** P(score &gt; s) when ln(score) ~ N(logMean, logStd²). */
    static double logNormalTail(double score, double logMean, double logStd) {
        return upperNormal((Math.log(Math.max(score, AdaptiveThreshold.MIN_SCORE)) - logMean) / logStd);
    }

    /**
     * P(score &gt; s) given that the threshold sits at tail probability {@code thresholdTail}, with
     * the spread of ln(score) above it taken from the model's calibration. Used where a method knows
     * its threshold's tail probability but has no model of the tail beyond it.
     */
    static double tailAbove(double score, double threshold, double thresholdTail, double logStd) {
        double z = normalQuantileAbove(thresholdTail)
                + (Math.log(Math.max(score, AdaptiveThreshold.MIN_SCORE)) - Math.log(threshold)) / logStd;
        return upperNormal(z);
    }

    /**
     * The calibration's score at {@code level}: the model.json quantile when it lists that level and
     * its windows reach that far, otherwise from the calibration's log-normal fit. They reach it when
     * at least one of them is expected above it, samples · (1 − level) ≥ 1: with fewer, the listed
     * value is no more than the largest score seen (the 0.9999 quantile of 33 windows is their
     * maximum) and says nothing of the tail beyond it, which the fit at least extrapolates.
     */
    static double calibrationQuantile(ModelContract.Calibration calibration, double level) {
        Double listed = listedQuantile(calibration, level);
        if (listed != null && calibration.samples() * (1 - level) >= 1 - 1e-9) {
            return listed;
        }
        return Math.exp(calibration.logMean() + calibration.logStd() * normalQuantileAbove(1 - level));
    }

    /** The model.json quantile at exactly {@code level}, or null. Keys are decimal strings ("0.999"). */
    static Double listedQuantile(ModelContract.Calibration calibration, double level) {
        if (calibration.quantiles() == null) {
            return null;
        }
        for (Map.Entry<String, Double> entry : calibration.quantiles().entrySet()) {
            try {
                if (Double.parseDouble(entry.getKey()) == level) {
                    return entry.getValue();
                }
            } catch (NumberFormatException e) {
                // A key that is not a number names no level: skip it.
            }
        }
        return null;
    }

    /** clamp(round(−10·log10 p), 0, 100): see the class comment. */
    static int severity(double tailProbability) {
        if (!(tailProbability > 0)) {
            return 100;
        }
        long severity = Math.round(-10 * Math.log10(tailProbability));
        return (int) Math.max(0, Math.min(100, severity));
    }

    /** Blends two positive thresholds on the log scale: weight {@code own} for the key's own. */
    static double blend(double calibration, double own, double ownWeight) {
        if (ownWeight <= 0) {
            return calibration;
        }
        if (ownWeight >= 1) {
            return own;
        }
        double logOwn = Math.log(Math.max(own, AdaptiveThreshold.MIN_SCORE));
        return Math.exp((1 - ownWeight) * Math.log(calibration) + ownWeight * logOwn);
    }
}
