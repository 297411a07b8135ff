package io.vigil.threshold;

import io.vigil.model.ModelContract;

/**
 * Judges one score of one key against the key's threshold, per method, and learns it into the
 * key's state when it is normal (or always, with {@code threshold.learn-from-anomalies}). Free of
 * Flink so that the methods can be checked on millions of scores; {@link AdaptiveThreshold} keeps
 * the states in keyed state and calls these.
 *
 * <p>Cold start: until a key has {@code threshold.warmup} scores of its own, its threshold comes
 * from the model's calibration and is blended into the key's own estimate (see
 * {@link ThresholdSettings#warmup()}). While a quantile or pot estimate is being formed (the
 * quantile's warm-up, pot's initial scores) every score is learned, alerting or not: a key whose
 * level differs from the calibration's would otherwise learn only what falls below the
 * calibration's threshold, and its own estimate would be stuck there.
 */
final class Judge {

    /**
     * @param threshold the key's threshold this score was judged against, in score units
     * @param tailProbability the estimated probability that a normal window of the key scores at
     *     least this much; what severity is made of
     */
    record Judgement(double threshold, boolean anomalous, double tailProbability) {}

    private final ThresholdSettings settings;
    private final ModelContract.Calibration calibration;
    /** The calibration's threshold for methods quantile and pot, and the threshold of method static. */
    private final double calibrationThreshold;

    Judge(ThresholdSettings settings, ModelContract.Calibration calibration) {
        this.settings = settings;
        this.calibration = calibration;
        this.calibrationThreshold = switch (settings.method()) {
            case STATIC -> staticThreshold(settings, calibration);
            case QUANTILE -> Tails.calibrationQuantile(calibration, settings.quantile());
            case POT -> Tails.calibrationQuantile(calibration, 1 - settings.risk());
            case SIGMA -> Double.NaN;
        };
    }

    /**
     * The threshold of method static. Throws, naming the parameter, when the calibration lists no
     * such quantile: a quantile that is not in model.json would be a guess, not a calibration.
     */
    static double staticThreshold(ThresholdSettings settings, ModelContract.Calibration calibration) {
        if (!Double.isNaN(settings.staticValue())) {
            return settings.staticValue();
        }
        Double listed = Tails.listedQuantile(calibration, settings.staticQuantile());
        if (listed == null) {
            throw new IllegalArgumentException("threshold.static-quantile = " + settings.staticQuantile()
                    + ": the model's calibration lists only the quantiles "
                    + (calibration.quantiles() == null ? "[]" : new java.util.TreeSet<>(calibration.quantiles().keySet())));
        }
        return listed;
    }

    /** Method static: the same threshold for every key, tail probabilities from the calibration. */
    Judgement judgeStatic(double score) {
        double threshold = calibrationThreshold;
        return new Judgement(threshold, score > threshold,
                Tails.logNormalTail(score, calibration.logMean(), calibration.logStd()));
    }

    /** Method sigma, on the immutable {@link ThresholdState}: the state to keep comes back in {@code next[0]}. */
    Judgement judgeSigma(ThresholdState current, double score, ThresholdState[] next) {
        double logThreshold = current.logThreshold(settings.k());
        double logScore = Math.log(Math.max(score, AdaptiveThreshold.MIN_SCORE));
        boolean anomalous = logScore > logThreshold;
        next[0] = !anomalous || settings.learnFromAnomalies()
                ? current.learn(logScore, settings.alpha(), settings.warmup(), calibration)
                : current;
        double z = (logScore - current.mean()) / Math.sqrt(current.variance());
        return new Judgement(Math.exp(logThreshold), anomalous, Tails.upperNormal(z));
    }

    /** The threshold method sigma would judge the next score against, without judging one. */
    double sigmaThreshold(ThresholdState current) {
        return Math.exp(current.logThreshold(settings.k()));
    }

    /**
     * An isolated alerting score is learned by method quantile at no more than this times the
     * threshold it exceeded; see {@link #judgeQuantile}.
     */
    static final double LEARN_CAP = 1.1;

    /**
     * Method quantile; learns into {@code sketch}. A quantile is a rank: leaving every alerting
     * score out would make the sketch a sample cut off at the threshold, whose q-quantile lies
     * below the threshold, so the threshold would sink score after score. So an alert that follows
     * a normal window (isolated: where false alarms are) is learned, at no more than
     * {@value #LEARN_CAP} × the threshold: it counts in the ranks, and a threshold that is too low
     * rises until the alert rate is 1 − q. An alert that continues an anomaly is not learned, so a
     * key that stays anomalous keeps alerting. {@code threshold.learn-from-anomalies} learns all.
     */
    Judgement judgeQuantile(QuantileSketch sketch, double score) {
        double threshold = quantileThreshold(sketch);
        boolean anomalous = score > threshold;
        if (!anomalous || settings.learnFromAnomalies() || sketch.count() < settings.warmup()) {
            sketch.add(score);
        } else if (!sketch.lastAnomalous) {
            sketch.add(Math.min(score, threshold * LEARN_CAP));
        }
        sketch.lastAnomalous = anomalous;
        // A sketch knows nothing above its largest score: the tail beyond the threshold is
        // extended with the calibration's spread, from the threshold's own tail probability.
        return new Judgement(threshold, anomalous,
                Tails.tailAbove(score, threshold, 1 - settings.quantile(), calibration.logStd()));
    }

    double quantileThreshold(QuantileSketch sketch) {
        if (sketch.count() == 0) {
            return calibrationThreshold;
        }
        double ownWeight = Math.min(1.0, (double) sketch.count() / settings.warmup());
        return Tails.blend(calibrationThreshold, sketch.quantile(settings.quantile()), ownWeight);
    }

    /** Method pot; learns into {@code state}. */
    Judgement judgePot(PotState state, double score) {
        Spot.Tail tail = Spot.tail(state);
        double drift = Spot.driftMean(state);
        double threshold = potThreshold(state, tail, drift);
        boolean anomalous = score > threshold;
        // While the key's tail is being formed every score is taken (see the class comment).
        if (!anomalous || settings.learnFromAnomalies() || forming(state, tail)) {
            Spot.learn(state, score, settings.potLevel());
        } else if (!state.lastAnomalous) {
            // SPOT leaves alarms out of the peaks. But the peaks are then cut off at z_q, their
            // spread looks smaller, the fitted tail lighter, z_q lower, more are cut off: measured
            // on log-normal scores at q = 1e-3 that spiral ends at 13 times the risk. So an alarm
            // that follows a normal score (isolated: where false alarms are) is learned as a peak
            // at z_q, a censored value where it was cut off. An alarm that continues an anomaly
            // is not learned, so a key that stays anomalous keeps alerting.
            Spot.learn(state, Math.min(score, threshold), settings.potLevel());
        }
        state.lastAnomalous = anomalous;
        double tailProbability = tail != null && ownWeight(state) >= 1
                ? tail.probabilityAbove(score - drift)
                : Tails.tailAbove(score, threshold, settings.risk(), calibration.logStd());
        return new Judgement(threshold, anomalous, tailProbability);
    }

    double potThreshold(PotState state) {
        return potThreshold(state, Spot.tail(state), Spot.driftMean(state));
    }

    private double potThreshold(PotState state, Spot.Tail tail, double drift) {
        if (tail == null || Spot.fillingDrift(state)) {
            return calibrationThreshold;
        }
        return Tails.blend(calibrationThreshold, drift + tail.threshold(settings.risk()), ownWeight(state));
    }

    /** Whether the key's tail is still being formed: not yet fitted, or not yet fully in charge. */
    boolean potForming(PotState state) {
        return forming(state, Spot.tail(state));
    }

    private boolean forming(PotState state, Spot.Tail tail) {
        return tail == null || Spot.fillingDrift(state) || ownWeight(state) < 1;
    }

    /**
     * The initial scores set the tail; it then replaces the calibration over the next warm-up
     * scores. Counted from the initial scores the key's tail was set with, not the parameter's
     * current value: a larger {@code pot-init-scores} applies to keys created afterwards and does not
     * send a key with a tail back into warm-up.
     */
    private double ownWeight(PotState state) {
        long initial = state.init != null ? state.init.length : state.initCount;
        return Math.min(1.0, (double) (state.count - initial) / settings.warmup());
    }
}
