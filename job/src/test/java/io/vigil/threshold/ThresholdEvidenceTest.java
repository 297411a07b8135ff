package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.model.ModelContract.Calibration;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * Each method on 10⁶ i.i.d. scores of known distributions, through the same {@link Judge} the
 * operator runs: the false alarm rate it reaches against the one it aims at. Every score here is
 * normal, so every alert is a false alarm. The measured rates are printed.
 */
class ThresholdEvidenceTest {

    static final int N = 1_000_000;

    /** Scores with ln(score) ~ N(ln 0.3, 0.4²), the test model's calibration. */
    static final Calibration CALIBRATION = new Calibration(20_000, Math.log(0.3), 0.4, Map.of());

    static DoubleSupplier logNormal(long seed) {
        Random random = new Random(seed);
        return () -> Math.exp(Math.log(0.3) + 0.4 * random.nextGaussian());
    }

    static DoubleSupplier exponential(long seed) {
        Random random = new Random(seed);
        return () -> -Math.log(1 - random.nextDouble());
    }

    /** Pareto with tail index 4 (GPD shape γ = 0.25): a heavier tail than any of the others. */
    static DoubleSupplier pareto(long seed) {
        Random random = new Random(seed);
        return () -> Math.pow(1 - random.nextDouble(), -0.25);
    }

    /** |N(0, 1)| + 0.01: a light, Gaussian tail (γ < 0 at any finite level). */
    static DoubleSupplier halfNormal(long seed) {
        Random random = new Random(seed);
        return () -> Math.abs(random.nextGaussian()) + 0.01;
    }

    private static double potRate(ThresholdSettings settings, DoubleSupplier scores) {
        Judge judge = new Judge(settings, CALIBRATION);
        PotState state = Spot.create(settings);
        long alarms = 0;
        long judged = 0;
        for (int i = 0; i < N; i++) {
            boolean warm = !judge.potForming(state);
            boolean anomalous = judge.judgePot(state, scores.getAsDouble()).anomalous();
            // The rate is that of the key's own tail: scores judged while the calibration still
            // has a say (the initial scores and the warm-up after them) do not count.
            if (warm) {
                judged++;
                alarms += anomalous ? 1 : 0;
            }
        }
        System.out.printf("evidence: tail %s%n", Spot.tail(state));
        return (double) alarms / judged;
    }

    private static void assertWithinFactor(double target, double measured, double factor, String what) {
        System.out.printf("evidence: %s: false alarm rate %.3g, target %.3g%n", what, measured, target);
        assertTrue(measured >= target / factor && measured <= target * factor,
                what + ": false alarm rate " + measured + " not within a factor " + factor + " of " + target);
    }

    @Test
    void potFalseAlarmRateIsWithinAFactorOf2OfTheRisk() {
        ThresholdSettings settings = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 0);
        assertWithinFactor(1e-4, potRate(settings, exponential(1)), 2, "pot q=1e-4 exponential");
        assertWithinFactor(1e-4, potRate(settings, logNormal(2)), 2, "pot q=1e-4 log-normal");
        assertWithinFactor(1e-4, potRate(settings, halfNormal(3)), 2, "pot q=1e-4 half-normal");
        assertWithinFactor(1e-4, potRate(settings, pareto(4)), 2, "pot q=1e-4 Pareto(4)");
    }

    @Test
    void potAtAnotherRiskFollowsIt() {
        ThresholdSettings settings = ThresholdSettings.defaults().withPot(1e-3, 0.98, 1_000, 1_000, 0);
        assertWithinFactor(1e-3, potRate(settings, logNormal(5)), 2, "pot q=1e-3 log-normal");
    }

    @Test
    void sigmaFalseAlarmRateIsThatOfKStandardDeviations() {
        // ln(score) is normal: the target is P(Z > k). The rate lands above it, within the stated
        // tolerance of a factor 3: the learned spread is winsorized at ±2 sd (2.4 % narrower), and
        // an EWMA with a memory of ~1/alpha = 100 scores estimates the spread with ±7 % noise, which
        // the convex tail turns into more false alarms on average than it saves.
        for (double k : new double[] {3.0, 3.5}) {
            ThresholdSettings settings = new ThresholdSettings(k, 0.01, 50, 3);
            Judge judge = new Judge(settings, CALIBRATION);
            DoubleSupplier scores = logNormal(6);
            ThresholdState state = ThresholdState.seed(CALIBRATION);
            ThresholdState[] next = new ThresholdState[1];
            long alarms = 0;
            for (int i = 0; i < N; i++) {
                alarms += judge.judgeSigma(state, scores.getAsDouble(), next).anomalous() ? 1 : 0;
                state = next[0];
            }
            assertWithinFactor(Tails.upperNormal(k), (double) alarms / N, 3, "sigma k=" + k + " log-normal");
        }
    }

    @Test
    void quantileFalseAlarmRateIsOneMinusItsLevel() {
        // t-digest's rank error at q = 0.999 with compression 100 is far below 1e-4; the rest is
        // the sampling error of ~1000 exceedances: the tolerance is ±15 %.
        for (DoubleSupplier scores : new DoubleSupplier[] {logNormal(7), exponential(8)}) {
            ThresholdSettings settings = ThresholdSettings.defaults().withQuantile(0.999, 0);
            Judge judge = new Judge(settings, CALIBRATION);
            QuantileSketch sketch = new QuantileSketch(0);
            long alarms = 0;
            long judged = 0;
            for (int i = 0; i < N; i++) {
                boolean anomalous = judge.judgeQuantile(sketch, scores.getAsDouble()).anomalous();
                if (i >= 10_000) {
                    judged++;
                    alarms += anomalous ? 1 : 0;
                }
            }
            assertWithinFactor(1e-3, (double) alarms / judged, 1.15, "quantile q=0.999");
        }
    }

    @Test
    void dspotFollowsADriftingMeanWithoutAnAlertStormWhereSpotStorms() {
        // The mean climbs from 10 to 60 over 10⁶ scores with unit normal noise: SPOT's t and tail
        // stay where initialization put them, DSPOT's ride on the moving average.
        int n = N;
        double slope = 50.0 / n;
        ThresholdSettings spot = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 0);
        ThresholdSettings dspot = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 1_000, 100);
        double spotRate = potRate(spot, drifting(9, slope));
        double dspotRate = potRate(dspot, drifting(9, slope));
        System.out.printf("evidence: drifting mean: SPOT false alarm rate %.3g, DSPOT %.3g, target 1e-4%n", spotRate, dspotRate);
        assertTrue(spotRate > 0.1, "without drift correction the drift should storm: " + spotRate);
        assertTrue(dspotRate <= 3e-4, "DSPOT alarm rate " + dspotRate + " above 3 × the risk");
    }

    private static DoubleSupplier drifting(long seed, double slope) {
        Random random = new Random(seed);
        long[] i = {0};
        return () -> 10 + slope * i[0]++ + random.nextGaussian();
    }
}
