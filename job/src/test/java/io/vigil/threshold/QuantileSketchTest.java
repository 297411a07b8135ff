package io.vigil.threshold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantileSketchTest {

    @Test
    void stateRoundTripKeepsTheQuantiles() {
        QuantileSketch sketch = new QuantileSketch(0);
        Random random = new Random(1);
        for (int i = 0; i < 50_000; i++) {
            sketch.add(random.nextGaussian());
        }
        QuantileState state = sketch.toState();
        assertNull(state.previous);
        assertTrue(state.current.length < 4_000, "a digest of 50 000 scores is a few kB: " + state.current.length);

        QuantileSketch restored = QuantileSketch.fromState(state, 0);
        assertEquals(50_000, restored.count());
        for (double level : new double[] {0.5, 0.9, 0.99, 0.999}) {
            assertEquals(sketch.quantile(level), restored.quantile(level), 1e-6, "level " + level);
        }
        restored.add(100.0);
        assertEquals(50_001, restored.count());
    }

    @Test
    void horizonForgetsScoresOlderThanTwoHorizons() {
        QuantileSketch sketch = new QuantileSketch(1_000);
        for (int i = 0; i < 1_000; i++) {
            sketch.add(100 + i % 10);
        }
        // The level moves down to 0..9: a horizon later nothing of the old level is left.
        for (int i = 0; i < 500; i++) {
            sketch.add(i % 10);
            sketch = QuantileSketch.fromState(sketch.toState(), 1_000);
        }
        assertTrue(sketch.quantile(0.99) > 50, "half a horizon on, the old level is still covered");
        for (int i = 0; i < 600; i++) {
            sketch.add(i % 10);
        }
        assertTrue(sketch.quantile(0.999) < 10, "a horizon on, the old level is gone: " + sketch.quantile(0.999));
    }
}
