package io.vigil.generator;

import io.vigil.deadletter.DeadLetterReason;
import java.util.Locale;

/**
 * The ways the generator breaks a record on purpose, each with the dead-letter reason a parser that
 * follows {@code docs/model-contract.md} should give it. The generator rotates over them in this order.
 */
public enum Malformation {
    /** The JSON cut off part-way. */
    TRUNCATED_JSON(DeadLetterReason.MALFORMED_JSON),
    /** Valid JSON that is not an object: an array of the values, or a string. */
    NOT_AN_OBJECT(DeadLetterReason.MALFORMED_JSON),
    /** The key field absent, null or empty. */
    MISSING_KEY(DeadLetterReason.MISSING_KEY),
    /** {@code ts} absent, null or unparseable text. */
    BAD_TIMESTAMP(DeadLetterReason.BAD_TIMESTAMP),
    /** One feature absent (a sensor channel, or a transaction's amount). */
    MISSING_FEATURE(DeadLetterReason.MISSING_FEATURE),
    /** A numeric feature given as text: {@code "hot"}, {@code "12,50"} or the string {@code "NaN"}. */
    NON_NUMERIC_FEATURE(DeadLetterReason.NON_NUMERIC_FEATURE),
    /** A numeric literal too large for a double ({@code 1E+999}), which parses to infinity. */
    NON_FINITE_FEATURE(DeadLetterReason.NON_FINITE_FEATURE),
    /** Bytes that are not UTF-8 inside the key's string. */
    INVALID_UTF8(DeadLetterReason.MALFORMED_JSON),
    /** A well-formed event padded past 1 MiB. */
    OVERSIZED(DeadLetterReason.OVERSIZED);

    private final DeadLetterReason expectedReason;

    Malformation(DeadLetterReason expectedReason) {
        this.expectedReason = expectedReason;
    }

    public DeadLetterReason expectedReason() {
        return expectedReason;
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
