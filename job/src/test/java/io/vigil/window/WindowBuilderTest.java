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

import io.vigil.testing.TestContracts;
import java.time.Instant;
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
        ScoringRequest request = builder.append(builder.newState(), "k", 0, columns(21f, 0f, 1f, 0f));
        float[] step = request.window();
        assertEquals((21f - 20f) / 4f, step[TEMPERATURE]);
        assertEquals((0f - 1f) / 2f, step[AMOUNT]);
        assertEquals((1f - 0.5f) / 0.5f, step[CHANNEL_POS]);
        assertEquals((0f - 0.5f) / 0.5f, step[CHANNEL_ONLINE]);
    }

    @Test
    void hourColumnsEncodeTheFractionalUtcHourOfDay() {
        long time = Instant.parse("2026-11-22T18:30:00Z").toEpochMilli();
        float[] step = builder.append(builder.newState(), "k", time, columns(20f, 1f, 0.5f, 0.5f)).window();
        double angle = 2 * Math.PI * 18.5 / 24;
        assertEquals((float) Math.sin(angle), step[HOUR_SIN]);
        assertEquals((float) Math.cos(angle), step[HOUR_COS]);
    }

    @Test
    void hourOfDayOfTimesBeforeTheEpochIsStillInZeroToTwentyFour() {
        long time = Instant.parse("1969-12-31T06:00:00Z").toEpochMilli();
        float[] step = builder.append(builder.newState(), "k", time, columns(20f, 1f, 0.5f, 0.5f)).window();
        assertEquals((float) Math.sin(2 * Math.PI * 6 / 24), step[HOUR_SIN]);
    }

    @Test
    void eventColumnsAreNotModified() {
        float[] columns = columns(21f, 0f, 1f, 0f);
        float[] copy = columns.clone();
        builder.append(builder.newState(), "k", 0, columns);
        assertArrayEquals(copy, columns);
    }

    @Test
    void windowsAreIndependentCopiesOfTheRing() {
        WindowBuilder threeSteps = new WindowBuilder(TestContracts.tiny(3, 1));
        WindowState state = threeSteps.newState();
        threeSteps.append(state, "k", 1, columns(24f, 1f, 0.5f, 0.5f));
        threeSteps.append(state, "k", 2, columns(28f, 1f, 0.5f, 0.5f));
        float[] first = threeSteps.append(state, "k", 3, columns(32f, 1f, 0.5f, 0.5f)).window();
        float[] before = first.clone();
        threeSteps.append(state, "k", 4, columns(36f, 1f, 0.5f, 0.5f));
        assertArrayEquals(before, first);
    }

    @Test
    void noWindowUntilTheKeyHasWindowSizeEvents() {
        WindowBuilder threeSteps = new WindowBuilder(TestContracts.tiny(3, 1));
        WindowState state = threeSteps.newState();
        assertNull(threeSteps.append(state, "k", 1, columns(20f, 1f, 0.5f, 0.5f)));
        assertNull(threeSteps.append(state, "k", 2, columns(20f, 1f, 0.5f, 0.5f)));
        assertEquals(3 * COLUMNS, threeSteps.append(state, "k", 3, columns(20f, 1f, 0.5f, 0.5f)).window().length);
    }

    @Test
    void stateOfAnotherWindowShapeDoesNotFit() {
        assertTrue(builder.fits(builder.newState()));
        assertFalse(builder.fits(new WindowBuilder(TestContracts.tiny(3, 1)).newState()));
        assertFalse(builder.fits(new WindowState()));
    }

    @Test
    void eventWithAnotherColumnCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> builder.append(builder.newState(), "k", 0, new float[3]));
    }
}
