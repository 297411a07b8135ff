package io.vigil.score;

import static io.vigil.score.TestModels.ramp;
import static io.vigil.score.TestModels.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.window.ScoringRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnnxScorerTest {

    @Test
    void scoresAsComputedByHand() throws Exception {
        // The halving model reconstructs x as x/2, so each error is x/2 and each squared error x²/4.
        ScoringRequest counting = new ScoringRequest("k1", 1_000L, 0, new float[] {
            1, 2, 3,
            4, 5, 6,
            7, 8, 9,
            10, 11, 12}, new float[] {30, 64, 90}, 4);
        ScoringRequest zeros = request("k2", 2_000L, new float[12]);
        try (OnnxSession session = OnnxSession.open(TestModels.halving(), OnnxDevice.CPU, 1)) {
            ScoredWindow[] scored = new OnnxScorer(session, 2).score(List.of(counting, zeros));

            ScoredWindow first = scored[0];
            assertEquals("k1", first.key());
            assertEquals(1_000L, first.timestamp());
            assertEquals(4, first.events());
            // (1² + 2² + … + 12²) / 4 / 12 = 650 / 48
            assertEquals(650.0 / 48, first.score(), 1e-9);
            // column a: (1 + 16 + 49 + 100) / 4 / 4; b: (4 + 25 + 64 + 121) / 16; c: (9 + 36 + 81 + 144) / 16
            assertArrayEquals(new float[] {166f / 16, 214f / 16, 270f / 16}, first.columnErrors(), 1e-6f);
            // the newest step as the request carries it, (10, 11, 12) in the columns' units ...
            assertArrayEquals(new float[] {30, 64, 90}, first.observed());
            // ... and its reconstruction (5, 5.5, 6) de-normalized with means (10, 20, 30) and stds (2, 4, 5)
            assertArrayEquals(new float[] {20, 42, 60}, first.expected(), 1e-5f);

            ScoredWindow second = scored[1];
            assertEquals("k2", second.key());
            assertEquals(0.0, second.score());
            assertArrayEquals(new float[3], second.columnErrors());
            assertArrayEquals(new float[] {10, 20, 30}, second.observed());
            assertArrayEquals(new float[] {10, 20, 30}, second.expected());
        }
    }

    @Test
    void observedIsTheNewestStepAsTheEventHadItNotARoundTripThroughTheNormalizedWindow() throws Exception {
        float[] newest = {0.1f, 0f, 1f};
        float[] mean = TestModels.MEAN;
        float[] std = TestModels.STD;
        float[] window = new float[TestModels.WINDOW * TestModels.COLUMNS];
        float[] roundTrip = new float[TestModels.COLUMNS];
        for (int c = 0; c < TestModels.COLUMNS; c++) {
            float normalized = (newest[c] - mean[c]) / std[c];
            window[window.length - TestModels.COLUMNS + c] = normalized;
            roundTrip[c] = (float) ((double) normalized * std[c] + mean[c]);
        }
        assertNotEquals(newest[0], roundTrip[0], "the round trip this test guards against is inexact here");
        try (OnnxSession session = OnnxSession.open(TestModels.halving(), OnnxDevice.CPU, 1)) {
            ScoredWindow scored = new OnnxScorer(session, 1)
                    .score(List.of(new ScoringRequest("k", 1L, 0, window, newest.clone(), 1)))[0];
            assertArrayEquals(newest, scored.observed());
        }
    }

    @Test
    void scoresEachRowOfABatchAsIfItWereScoredAlone() throws Exception {
        Random random = new Random(42);
        List<ScoringRequest> batch = new ArrayList<>();
        for (int row = 0; row < 7; row++) {
            float[] window = new float[TestModels.WINDOW * TestModels.COLUMNS];
            for (int i = 0; i < window.length; i++) {
                window[i] = (float) random.nextGaussian();
            }
            batch.add(request("k" + row, row, window));
        }
        try (OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 1)) {
            // Sized for 2 rows: the 7-row batch makes the buffers grow.
            OnnxScorer scorer = new OnnxScorer(session, 2);
            ScoredWindow[] together = scorer.score(batch);
            assertEquals(7, together.length);
            for (int row = 0; row < batch.size(); row++) {
                ScoredWindow alone = scorer.score(List.of(batch.get(row)))[0];
                assertEquals("k" + row, together[row].key());
                assertEquals(alone.score(), together[row].score(), 1e-6 * alone.score());
                assertArrayEquals(alone.columnErrors(), together[row].columnErrors(), 1e-6f);
                assertArrayEquals(alone.observed(), together[row].observed(), 1e-5f);
                assertArrayEquals(alone.expected(), together[row].expected(), 1e-5f);
            }
            // Different windows, different reconstructions: a scorer that mixed rows up would be caught above.
            assertNotEquals(together[0].score(), together[1].score());
        }
    }

    @Test
    void scoresTheSameAfterASmallerBatchFollowsALargerOne() throws Exception {
        try (OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 1)) {
            OnnxScorer scorer = new OnnxScorer(session, 4);
            ScoredWindow before = scorer.score(List.of(ramp("a", 1, 0.5f)))[0];
            scorer.score(List.of(ramp("b", 2, -1f), ramp("c", 3, 2f), ramp("d", 4, 0f)));
            ScoredWindow after = scorer.score(List.of(ramp("a", 1, 0.5f)))[0];
            assertEquals(before.score(), after.score());
            assertArrayEquals(before.expected(), after.expected());
        }
    }

    @Test
    void returnsNothingForAnEmptyBatch() throws Exception {
        try (OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 1)) {
            assertEquals(0, new OnnxScorer(session, 1).score(List.of()).length);
        }
    }

    @Test
    void rejectsAWindowOfTheWrongLengthNamingItsKey() {
        try (OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 1)) {
            OnnxScorer scorer = new OnnxScorer(session, 1);
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> scorer.score(List.of(request("short", 1, new float[11]))));
            assertTrue(error.getMessage().startsWith("window of key 'short' holds 11 values but the model takes 4 steps"),
                    error.getMessage());
        }
    }
}
