package io.vigil.parse;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * Parses ISO-8601 instants to epoch milliseconds. Accepts what {@link Instant#parse} accepts
 * ({@code 2026-11-22T10:00:00.123Z}, {@code 2026-11-22T10:00:00+02:00}) and what
 * {@link OffsetDateTime#parse} accepts ({@code 2026-11-22T10:00+02:00}); a time without a zone or
 * offset is rejected, since it names no instant. Sub-millisecond digits are truncated toward the
 * past, as {@link Instant#toEpochMilli} does.
 *
 * <p>The common form, {@code yyyy-MM-ddTHH:mm:ss[.f…]Z}, is decoded by hand: {@code Instant.parse}
 * costs more than parsing the rest of a typical event. Anything else goes through java.time.
 */
final class IsoInstants {

    /** Returned by the fast path when it does not handle the text; no 4-digit year maps to it. */
    private static final long NOT_HANDLED = Long.MIN_VALUE;

    private static final long MILLIS_PER_DAY = 86_400_000L;

    private IsoInstants() {}

    /** @throws DateTimeException if the text is not an ISO-8601 instant with a zone offset */
    static long toEpochMilli(String text) {
        long millis = parseUtcFast(text);
        if (millis != NOT_HANDLED) {
            return millis;
        }
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            try {
                return OffsetDateTime.parse(text).toInstant().toEpochMilli();
            } catch (ArithmeticException overflow) {
                throw new DateTimeException("instant out of the range of epoch milliseconds: " + text, overflow);
            }
        }
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ssZ} with an optional fraction of 1 to 9 digits; NOT_HANDLED for any
     * other text, including invalid dates and the leap second, which java.time then judges.
     */
    static long parseUtcFast(String s) {
        int length = s.length();
        if (length < 20 || length > 30 || s.charAt(length - 1) != 'Z'
                || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return NOT_HANDLED;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > lengthOfMonth(year, month)
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return NOT_HANDLED;
        }
        int millisOfSecond = 0;
        if (length > 20) {
            int fractionDigits = length - 21;
            if (s.charAt(19) != '.' || fractionDigits < 1 || digits(s, 20, fractionDigits) < 0) {
                return NOT_HANDLED;
            }
            // Only the first three digits matter: truncation, as Instant.toEpochMilli does.
            int used = Math.min(fractionDigits, 3);
            millisOfSecond = digits(s, 20, used);
            for (int i = used; i < 3; i++) {
                millisOfSecond *= 10;
            }
        }
        return epochDay(year, month, day) * MILLIS_PER_DAY
                + hour * 3_600_000L + minute * 60_000L + second * 1_000L + millisOfSecond;
    }

    /** The decimal value of {@code count} ASCII digits at {@code from}, or -1 if one is not a digit. */
    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            int d = s.charAt(i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }

    private static int lengthOfMonth(int year, int month) {
        return switch (month) {
            case 2 -> isLeap(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static boolean isLeap(int year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }

    /** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
    private static long epochDay(int year, int month, int day) {
        int y = month <= 2 ? year - 1 : year;
        int era = Math.floorDiv(y, 400);
        int yearOfEra = y - era * 400;
        int dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097L + dayOfEra - 719_468L;
    }
}
