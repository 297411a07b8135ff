package io.vigil.alert;

import java.io.Serializable;
import java.time.Duration;

/**
 * How anomalous windows become alerts and incidents, per key, in event time.
 *
 * @param mergeGap anomalous windows of a key less than this apart belong to one incident; the
 *     incident ends once the key's event time passes its last anomalous window plus this
 *     ({@code alert.merge-gap})
 * @param cooldown within an incident, an update is written at most once per this much event
 *     time, unless it is more severe than every alert of the incident written so far; 0 writes
 *     every anomalous window ({@code alert.cooldown})
 * @param maxPerInterval at most this many alerts (start and update) of a key per {@code interval}
 *     of event time; 0: no cap ({@code alert.max-per-key-per-interval})
 * @param interval the cap's interval, aligned to the epoch ({@code alert.cap-interval})
 * @param updates whether an incident writes updates after its start; false: one alert per
 *     incident, then its end record, for consumers that page once per incident ({@code alert.updates})
 */
public record AlertSettings(Duration mergeGap, Duration cooldown, int maxPerInterval, Duration interval, boolean updates)
        implements Serializable {

    public static final Duration DEFAULT_MERGE_GAP = Duration.ofMinutes(1);
    public static final Duration DEFAULT_COOLDOWN = Duration.ZERO;
    public static final int DEFAULT_MAX_PER_INTERVAL = 0;
    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
    public static final boolean DEFAULT_UPDATES = true;

    public static AlertSettings defaults() {
        return new AlertSettings(DEFAULT_MERGE_GAP, DEFAULT_COOLDOWN, DEFAULT_MAX_PER_INTERVAL, DEFAULT_INTERVAL, DEFAULT_UPDATES);
    }

    /** Throws IllegalArgumentException naming the first parameter out of range. */
    public AlertSettings validate() {
        if (mergeGap == null || mergeGap.isNegative()) {
            throw new IllegalArgumentException("alert.merge-gap = " + mergeGap + ": must be a duration >= 0");
        }
        if (cooldown == null || cooldown.isNegative()) {
            throw new IllegalArgumentException("alert.cooldown = " + cooldown + ": must be a duration >= 0");
        }
        if (maxPerInterval < 0) {
            throw new IllegalArgumentException("alert.max-per-key-per-interval = " + maxPerInterval + ": must be >= 0 (0: no cap)");
        }
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("alert.cap-interval = " + interval + ": must be a duration > 0");
        }
        return this;
    }
}
