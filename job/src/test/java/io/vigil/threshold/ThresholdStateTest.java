package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.model.ModelContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThresholdStateTest {

    @Test
    void seedIsTheCalibrationWithNoOwnScores() {
        ThresholdState seed = ThresholdState.seed(new ModelContract.Calibration(1000, -1.5, 0.5, Map.of()));
        assertEquals(new ThresholdState(0, -1.5, 0.25), seed);
        assertEquals(-1.5 + 4 * 0.5, seed.logThreshold(4.0), 1e-12);
    }

    @Test
    void duringWarmUpMeanAndVarianceAreExactOverCalibrationAndOwnScores() {
        // warmup 1: the seed counts as one observation, so after the scores below the state is the
        // population mean and variance of {seed mean, 1, 2, 3, 4} when the seed variance is 0.
        ThresholdState state = new ThresholdState(0, 0.0, 0.0);
        for (double x : new double[] {1, 2, 3, 4}) {
            state = state.learn(x, 0.0, 1);
        }
        assertEquals(4, state.count());
        assertEquals(2.0, state.mean(), 1e-12);
        assertEquals(2.0, state.variance(), 1e-12); // (4 + 1 + 0 + 1 + 4) / 5
    }

    @Test
    void afterWarmUpEachScoreWeighsAlpha() {
        ThresholdState before = new ThresholdState(15, -1.0, 0.2);
        // 1/(10 + 16) < 0.05: the fixed rate applies.
        ThresholdState after = before.learn(0.0, 0.05, 10);
        assertEquals(16, after.count());
        assertEquals(-1.0 + 0.05 * 1.0, after.mean(), 1e-12);
        assertEquals(0.95 * (0.2 + 0.05 * 1.0), after.variance(), 1e-12);
    }
}
