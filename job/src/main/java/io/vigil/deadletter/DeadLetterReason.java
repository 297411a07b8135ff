package io.vigil.deadletter;

/** Why a record was dead-lettered; the lower-case name is the {@code reason} field of the record. */
public enum DeadLetterReason {
    /** The payload is not a JSON object. */
    MALFORMED_JSON,
    /** The payload exceeds {@code parse.max-payload-bytes}. */
    OVERSIZED,
    /** The key field is absent, null or empty. */
    MISSING_KEY,
    /** The timestamp field is absent or is neither ISO-8601 nor epoch milliseconds. */
    BAD_TIMESTAMP,
    /** A feature the model needs is absent or null. */
    MISSING_FEATURE,
    /** A numeric feature is not a JSON number. */
    NON_NUMERIC_FEATURE,
    /** A numeric feature is NaN or infinite (or encodes to it). */
    NON_FINITE_FEATURE,
    /** The event is older than the watermark minus the allowed lateness: it can no longer be placed in order. */
    LATE,
    /** A control command that is not valid JSON, names an unknown command, scope or parameter, or sets a value out of range. */
    INVALID_COMMAND;

    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
