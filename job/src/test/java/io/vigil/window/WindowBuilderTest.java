package io.vigil.window;

import static io.vigil.testing.TestContracts.AMOUNT;
import static io.vigil.testing.TestContracts.CHANNEL_ONLINE;
import static io.vigil.testing.TestContracts.CHANNEL_POS;
import static io.vigil.testing.TestContracts.COLUMNS;
import static io.vigil.testing.TestContracts.HOUR_COS;
import static io.vigil.testing.TestContracts.HOUR_SIN;
import static io.vigil.testing.TestContracts.TEMPERATURE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.model.FeatureSpec;
import io.vigil.model.ModelContract;
import io.vigil.testing.TestContracts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The window arithmetic on its own, as offline tools use it. */
class WindowBuilderTest {

    private static final float NAN = Float.NaN;

    private final WindowBuilder builder = new WindowBuilder(TestContracts.tiny(1, 1));

    private static float[] columns(float temperature, float amount, float pos, float online) {
        return new float[] {temperature, amount, pos, online, NAN, NAN, NAN};
    }

    @Test
    void everyColumnIsNormalizedWithTheContractMeanAndStd() {
        ScoringRequest request = builder.append(builder.newState(), "k", 0, 0, columns(21f, 0f, 1f, 0f));
        float[] step = request.window();
        assertEquals((21f - 20f) / 4f, step[TEMPERATURE]);
        assertEquals((0f - 1f) / 2f, step[AMOUNT]);
        assertEquals((1f - 0.5f) / 0.5f, step[CHANNEL_POS]);
        assertEquals((0f - 0.5f) / 0.5f, step[CHANNEL_ONLINE]);
    }

    @Test
    void theNewestStepTravelsUnnormalizedSoAnAlertReportsItExactly() {
        // Normalized and back in float, a one-hot 0 with mean 0.36 and std 0.48 would come out near 1e-9.
        WindowBuilder twoSteps = new WindowBuilder(TestContracts.tiny(2, 1));
        WindowState state = twoSteps.newState();
        twoSteps.append(state, "k", 1, 0, columns(24f, 3f, 1f, 0f));
        ScoringRequest request = twoSteps.append(state, "k", 2, 0, columns(21.3f, 0.7f, 0f, 1f));
        float[] newest = request.newest();
        assertEquals(COLUMNS, newest.length);
        assertEquals(21.3f, newest[TEMPERATURE]);
        assertEquals(0.7f, newest[AMOUNT]);
        assertEquals(0f, newest[CHANNEL_POS]);
        assertEquals(1f, newest[CHANNEL_ONLINE]);
        assertEquals((float) Math.sin(2 * Math.PI * (2 / 3_600_000.0) / 24), newest[HOUR_SIN], 1e-12f, "derived columns too");
    }

    @Test
    void hourColumnsEncodeTheFractionalUtcHourOfDay() {
        long time = Instant.parse("2026-11-22T18:30:00Z").toEpochMilli();
        float[] step = builder.append(builder.newState(), "k", time, 0, columns(20f, 1f, 0.5f, 0.5f)).window();
        double angle = 2 * Math.PI * 18.5 / 24;
        assertEquals((float) Math.sin(angle), step[HOUR_SIN]);
        assertEquals((float) Math.cos(angle), step[HOUR_COS]);
    }

    @Test
    void hourOfDayOfTimesBeforeTheEpochIsStillInZeroToTwentyFour() {
        long time = Instant.parse("1969-12-31T06:00:00Z").toEpochMilli();
        float[] step = builder.append(builder.newState(), "k", time, 0, columns(20f, 1f, 0.5f, 0.5f)).window();
        assertEquals((float) Math.sin(2 * Math.PI * 6 / 24), step[HOUR_SIN]);
    }

    @Test
    void eventColumnsAreNotModified() {
        float[] columns = columns(21f, 0f, 1f, 0f);
        float[] copy = columns.clone();
        builder.append(builder.newState(), "k", 0, 0, columns);
        assertArrayEquals(copy, columns);
    }

    @Test
    void windowsAreIndependentCopiesOfTheRing() {
        WindowBuilder threeSteps = new WindowBuilder(TestContracts.tiny(3, 1));
        WindowState state = threeSteps.newState();
        threeSteps.append(state, "k", 1, 0, columns(24f, 1f, 0.5f, 0.5f));
        threeSteps.append(state, "k", 2, 0, columns(28f, 1f, 0.5f, 0.5f));
        float[] first = threeSteps.append(state, "k", 3, 0, columns(32f, 1f, 0.5f, 0.5f)).window();
        float[] before = first.clone();
        threeSteps.append(state, "k", 4, 0, columns(36f, 1f, 0.5f, 0.5f));
        assertArrayEquals(before, first);
    }

    @Test
    void noWindowUntilTheKeyHasWindowSizeEvents() {
        WindowBuilder threeSteps = new WindowBuilder(TestContracts.tiny(3, 1));
        WindowState state = threeSteps.newState();
        assertNull(threeSteps.append(state, "k", 1, 0, columns(20f, 1f, 0.5f, 0.5f)));
        assertNull(threeSteps.append(state, "k", 2, 0, columns(20f, 1f, 0.5f, 0.5f)));
        assertEquals(3 * COLUMNS, threeSteps.append(state, "k", 3, 0, columns(20f, 1f, 0.5f, 0.5f)).window().length);
    }

    @Test
    void stateOfAnotherWindowShapeDoesNotFit() {
        assertTrue(builder.fits(builder.newState()));
        assertFalse(builder.fits(new WindowBuilder(TestContracts.tiny(3, 1)).newState()));
        assertFalse(builder.fits(new WindowState()));
    }

    @Test
    void stateOfOtherFeaturesOfTheSameCountDoesNotFit() {
        ModelContract c = TestContracts.tiny(1, 1);
        List<FeatureSpec> features = new ArrayList<>(c.features());
        FeatureSpec first = features.get(0);
        features.set(0, new FeatureSpec("pressure", "values.pressure", first.derived(), first.encoding(),
                first.categories(), first.period(), first.relative()));
        List<String> columns = new ArrayList<>(c.columns());
        columns.set(0, "pressure");
        WindowBuilder other = new WindowBuilder(new ModelContract(c.name(), c.version(), c.stream(), c.kind(), c.onnx(),
                c.key(), c.timestamp(), features, columns, c.window(), c.normalization(), c.score(), c.calibration()));

        assertEquals(other.newState().ring.length, builder.newState().ring.length, "the same shape");
        assertFalse(builder.fits(other.newState()));
        assertTrue(other.fits(other.newState()));
    }

    @Test
    void stateWithoutItsLayoutFitsByShapeAndIsAdoptedByTheNextEvent() {
        WindowState old = builder.newState();
        old.layout = 0; // as restored from a savepoint written before states kept their layout
        assertTrue(builder.fits(old));
        builder.append(old, "k", 1, 0, columns(20f, 1f, 0.5f, 0.5f));
        assertEquals(builder.layout(), old.layout);
    }

    @Test
    void eventWithAnotherColumnCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> builder.append(builder.newState(), "k", 0, 0, new float[3]));
    }

    @Test
    void aRelativeColumnIsTheValueMinusTheKeysMovingMeanBeforeIt() throws Exception {
        ModelContract contract = ModelContract.JSON.readValue("""
                {"name": "r", "version": "1", "onnx": {"file": "m.onnx", "sha256": "00", "input": "window", "output": "reconstruction"},
                 "key": "k", "timestamp": "ts",
                 "features": [{"name": "amount", "path": "amount", "encoding": "numeric"},
                              {"name": "amount_vs_usual", "path": "amount", "encoding": "numeric", "relative": 0.5}],
                 "columns": ["amount", "amount_vs_usual"], "window": {"size": 1, "stride": 1},
                 "normalization": {"mean": [0, 0], "std": [1, 1]},
                 "calibration": {"samples": 1, "log_mean": 0, "log_std": 1}}
                """, ModelContract.class);
        WindowBuilder builder = new WindowBuilder(contract);
        WindowState a = builder.newState();
        WindowState b = builder.newState();
        // Key a: 10, 20, 30, 60. Means before each: none, 10 (exact), 15 (exact, weight 1/2), 22.5 (then weight 0.5).
        float[] relative = new float[4];
        float[] amounts = {10, 20, 30, 60};
        for (int i = 0; i < amounts.length; i++) {
            ScoringRequest request = builder.append(a, "a", i, 0, new float[] {amounts[i], amounts[i]});
            relative[i] = request.window()[1];
            assertEquals(amounts[i], request.window()[0], "the absolute column is untouched");
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0f, 10f, 15f, 37.5f}, relative);
        assertEquals(0f, builder.append(b, "b", 0, 0, new float[] {99, 99}).window()[1], "each key has its own mean");

        // Two amounts within float32 that are further apart than float32 reaches: the distance stays finite.
        WindowState c = builder.newState();
        builder.append(c, "c", 0, 0, new float[] {3e38f, 3e38f});
        float[] far = builder.append(c, "c", 1, 0, new float[] {-3e38f, -3e38f}).window();
        assertEquals(-Float.MAX_VALUE, far[1]);
    }
}
