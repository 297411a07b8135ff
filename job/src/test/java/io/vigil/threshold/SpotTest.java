package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SpotTest {

    static final ThresholdSettings SETTINGS = ThresholdSettings.defaults().withPot(1e-4, 0.98, 1_000, 200, 0);

    @Test
    void initialThresholdIsTheLevelQuantileOfTheInitialScoresAndItsExcessesThePeaks() {
        PotState state = Spot.create(SETTINGS);
        for (int i = 1; i <= 999; i++) {
            Spot.learn(state, i, 0.98);
            assertNull(Spot.tail(state), "no tail before the initial scores are in");
        }
        Spot.learn(state, 1_000, 0.98);

        assertEquals(980.0, state.initialThreshold);
        assertNull(state.init, "the initial scores are dropped once used");
        assertEquals(20, state.peakCount);
        assertEquals(20, state.peaksFilled);
        assertEquals(1_000, state.count);
        // Excesses 1..20: mean 10.5, variance 35 → γ = (1 − 10.5²/35)/2, σ = 10.5·(1 + 10.5²/35)/2.
        Spot.Tail tail = Spot.tail(state);
        assertEquals(0.5 * (1 - 10.5 * 10.5 / 35), tail.gamma(), 1e-9);
        assertEquals(0.5 * 10.5 * (1 + 10.5 * 10.5 / 35), tail.sigma(), 1e-9);
    }

    @Test
    void equalPeaksGetTheSameTailWhateverTheRoundingOfTheirVariance() {
        // Peaks that are all 0.1 in float leave a sum of squares a few ulps off n·m², of either sign.
        Spot.Tail[] tails = new Spot.Tail[2];
        for (int run = 0; run < 2; run++) {
            PotState state = Spot.create(SETTINGS);
            state.initialThreshold = 1.0;
            for (int i = 0; i < 50; i++) {
                state.peaks[i] = 0.1f;
            }
            state.peaksFilled = 50;
            state.peakCount = 50;
            state.count = 10_000;
            state.peakSum = 50.0 * 0.1f;
            state.peakSquares = 50.0 * 0.1f * 0.1f * (run == 0 ? 1 + 1e-13 : 1 - 1e-13);
            tails[run] = Spot.tail(state);
        }
        assertEquals(tails[0].threshold(1e-4), tails[1].threshold(1e-4), 1e-9);
    }

    @Test
    void thresholdFollowsTheSpotFormulaAndItsExponentialLimit() {
        // z_q = t + σ/γ·((q·n/N_t)^(−γ) − 1)
        Spot.Tail tail = new Spot.Tail(2.0, 0.2, 1.5, 10_000, 200);
        double r = 1e-4 * 10_000 / 200;
        assertEquals(2.0 + 1.5 / 0.2 * (Math.pow(r, -0.2) - 1), tail.threshold(1e-4), 1e-12);
        assertEquals(1e-4, tail.probabilityAbove(tail.threshold(1e-4)), 1e-12);
        // γ → 0: t − σ·ln(q·n/N_t), an exponential tail.
        Spot.Tail exponential = new Spot.Tail(2.0, 0.0, 1.5, 10_000, 200);
        assertEquals(2.0 - 1.5 * Math.log(r), exponential.threshold(1e-4), 1e-12);
        assertEquals(1e-4, exponential.probabilityAbove(exponential.threshold(1e-4)), 1e-12);
    }

    @Test
    void peaksAreBoundedButEveryPeakIsCounted() {
        PotState state = Spot.create(SETTINGS);
        Random random = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            Spot.learn(state, -Math.log(random.nextDouble()), 0.98);
        }
        assertEquals(200, state.peaks.length);
        assertEquals(200, state.peaksFilled);
        assertTrue(state.peakCount > 1_500, "about 2 % of 100 000 are peaks: " + state.peakCount);
        assertEquals(100_000, state.count);
        // The running sums the fit uses are those of the retained peaks.
        double sum = 0;
        for (float peak : state.peaks) {
            sum += peak;
        }
        assertEquals(sum, state.peakSum, 1e-9 * sum);
    }
}
