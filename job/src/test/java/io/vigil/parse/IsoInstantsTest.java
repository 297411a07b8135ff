package io.vigil.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoInstantsTest {

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    @Test
    void fastPathAgreesWithInstantParseOnRandomInstants() {
        Random random = new Random(17);
        long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 200_000; i++) {
            long second = min + (long) (random.nextDouble() * (max - min));
            int fractionDigits = random.nextInt(10);
            StringBuilder text = new StringBuilder(LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC).format(SECONDS));
            if (fractionDigits > 0) {
                text.append('.');
                for (int d = 0; d < fractionDigits; d++) {
                    text.append((char) ('0' + random.nextInt(10)));
                }
            }
            text.append('Z');
            String s = text.toString();
            assertEquals(Instant.parse(s).toEpochMilli(), IsoInstants.parseUtcFast(s), s);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.9999Z",
        "2000-02-29T12:00:00Z", "1900-03-01T00:00:00Z", "0000-03-01T00:00:00.5Z", "2026-11-22T10:30:00.000000001Z"})
    void fastPathHandlesCalendarEdges(String text) {
        assertEquals(Instant.parse(text).toEpochMilli(), IsoInstants.parseUtcFast(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-11-22T25:00:00Z", "2026-11-22T10:60:00Z", "2026-11-22T10:30:00.1234567890Z",
        "2026-11-22T10:30:00", "2026-11-22 10:30:00Z", "2026-11-22", "", "2026-11-22T10:30:00+2", "1795343400000"})
    void invalidTextIsRefused(String text) {
        assertThrows(DateTimeException.class, () -> IsoInstants.toEpochMilli(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-22T12:30:00+02:00", "2026-11-22T08:30:00.000-02:00", "2026-11-22T10:30Z",
        "2026-11-22T12:30+02:00", "2026-11-22t10:30:00z"})
    void offsetsAndMinutePrecisionNameTheSameInstant(String text) {
        assertEquals(Instant.parse("2026-11-22T10:30:00Z").toEpochMilli(), IsoInstants.toEpochMilli(text));
    }

    @Test
    void leapSecondAndEndOfDayFollowJavaTime() {
        assertEquals(Instant.parse("2016-12-31T23:59:59Z").toEpochMilli(), IsoInstants.toEpochMilli("2016-12-31T23:59:60Z"));
        assertEquals(Instant.parse("2026-11-23T00:00:00Z").toEpochMilli(), IsoInstants.toEpochMilli("2026-11-22T24:00:00Z"));
    }
}
