package io.vigil.generator;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The kinds of anomaly the generator injects, per stream; the lower-case name is the label's {@code kind}. */
public enum AnomalyKind {
    /** One reading of one channel far out. */
    SPIKE(Generator.SENSORS),
    /** One channel offset by a large amount for 30–90 readings. */
    LEVEL_SHIFT(Generator.SENSORS),
    /** One channel ramping away over 60–180 readings, ending far out. */
    DRIFT(Generator.SENSORS),
    /** One channel frozen at its last value for 60–120 readings while the others keep moving. */
    STUCK(Generator.SENSORS),
    /** Ten times the noise on one channel or on all of them for 20–60 readings. */
    NOISE_BURST(Generator.SENSORS),
    /** One transaction 30–200 times the account's typical amount. */
    AMOUNT_OUTLIER(Generator.TRANSACTIONS),
    /** One transaction in a rare merchant category and/or a rare channel, often at night. */
    UNUSUAL_MERCHANT(Generator.TRANSACTIONS),
    /** 6–12 transactions 1–15 s apart. */
    RAPID_BURST(Generator.TRANSACTIONS);

    private final String stream;

    AnomalyKind(String stream) {
        this.stream = stream;
    }

    /** The stream this kind is injected into. */
    public String stream() {
        return stream;
    }

    @JsonValue
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static AnomalyKind fromCode(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }
}
