package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.model.ModelContract;
import io.vigil.model.ModelContract.Calibration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdStateTest {

    private static Calibration calibration(double logMean, double logStd) {
        return new Calibration(1000, logMean, logStd, Map.of());
    }

    @Test
    void seedIsTheCalibrationWithNoOwnScores() {
        ThresholdState seed = ThresholdState.seed(new ModelContract.Calibration(1000, -1.5, 0.5, Map.of()));
        assertEquals(new ThresholdState(0, -1.5, 0.25), seed);
        assertEquals(-1.5 + 4 * 0.5, seed.logThreshold(4.0), 1e-12);
    }

    @Test
    void duringWarmUpTheMeanIsExactOverCalibrationAndOwnScores() {
        // warmup 1: the seed counts as one observation, so after the scores below the mean is that of
        // {seed mean, 1, 2, 3, 4}; the calibration is wide enough for no guard to act.
        Calibration wide = calibration(0.0, 10.0);
        ThresholdState state = ThresholdState.seed(wide);
        for (double x : new double[] {1, 2, 3, 4}) {
            state = state.learn(x, 0.0, 1, wide);
        }
        assertEquals(4, state.count());
        assertEquals(2.0, state.mean(), 1e-12);
    }

    @Test
    void alphaZeroKeepsACumulativeAverageForever() {
        // warmup 3: the seed counts as three observations of its mean (0), then every score counts once,
        // long past the warm-up; the scores stay well inside the clipping bounds.
        Calibration wide = calibration(0.0, 10.0);
        ThresholdState state = ThresholdState.seed(wide);
        double sum = 0;
        for (int i = 0; i < 200; i++) {
            double x = i % 5 - 1;
            sum += x;
            state = state.learn(x, 0.0, 3, wide);
        }
        assertEquals(200, state.count());
        assertEquals(sum / (3 + 200), state.mean(), 1e-12);
    }

    @Test
    void afterWarmUpEachScoreWeighsAlpha() {
        ThresholdState before = new ThresholdState(15, -1.0, 0.2);
        // 1/(10 + 16) < 0.05: the fixed rate applies; -0.5 is within two deviations, so it is not clipped.
        ThresholdState after = before.learn(-0.5, 0.05, 10, calibration(-1.0, Math.sqrt(0.2)));
        assertEquals(16, after.count());
        assertEquals(-1.0 + 0.05 * 0.5, after.mean(), 1e-12);
        assertEquals(0.95 * (0.2 + 0.05 * 0.25), after.variance(), 1e-12);
    }

    @Test
    void aScoreFarAboveTheMeanIsLearnedOnlyUpToTwoDeviations() {
        ThresholdState after = new ThresholdState(1000, 0.0, 1.0).learn(10.0, 0.1, 1, calibration(0.0, 1.0));
        assertEquals(0.1 * ThresholdState.LEARN_CLIP_SD, after.mean(), 1e-12);
        assertEquals(0.9 * (1.0 + 0.1 * 4.0), after.variance(), 1e-12);
    }

    @Test
    void aSlowDriftIsAlertedInsteadOfRaisingItsOwnThreshold() {
        // ln(score) creeps up by 0.01 per window; like the operator, only scores below the threshold are learned.
        Calibration calibration = calibration(0.0, 1.0);
        ThresholdState state = ThresholdState.seed(calibration);
        double k = 4.0;
        double x = 0.0;
        int steps = 0;
        while (x <= state.logThreshold(k)) {
            state = state.learn(x, 0.01, 100, calibration);
            x += 0.01;
            steps++;
            assertTrue(steps < 100_000, "the drift never alerted: threshold " + state.logThreshold(k));
        }
        // Without the guards the threshold would follow the drift for ever; with them it stops at
        // mean + k·sd within the calibration bounds.
        double ceiling = calibration.logMean() + ThresholdState.MEAN_BOUND_SD * calibration.logStd()
                + k * ThresholdState.SD_BOUND_FACTOR * calibration.logStd();
        assertTrue(state.logThreshold(k) <= ceiling, "threshold " + state.logThreshold(k) + " above " + ceiling);
        assertTrue(x < ceiling + 0.02, "alerted at " + x);
    }

    @Test
    void aKeyMuchQuieterThanTheFleetStopsAtTheCalibrationBounds() {
        Calibration calibration = calibration(-2.0, 0.5);
        ThresholdState state = ThresholdState.seed(calibration);
        for (int i = 0; i < 5_000; i++) {
            state = state.learn(-20.0, 0.01, 10, calibration);
        }
        assertEquals(-2.0 - ThresholdState.MEAN_BOUND_SD * 0.5, state.mean(), 1e-12);
        assertEquals(0.5 / ThresholdState.SD_BOUND_FACTOR, Math.sqrt(state.variance()), 1e-9);
        assertTrue(state.logThreshold(4.0) < ThresholdState.seed(calibration).logThreshold(4.0), "a quiet key's threshold is lower");
    }
}
