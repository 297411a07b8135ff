package io.vigil.generator;

/**
 * One record as the generator emits it: the payload bytes (normally a JSON event, or a deliberately
 * broken record) plus what is known about it, for sinks (the Kafka key) and for tests (the truth).
 *
 * @param stream {@link Generator#SENSORS} or {@link Generator#TRANSACTIONS}
 * @param key the entity key (sensor or account id); the Kafka record key even where the payload lacks it
 * @param timestamp the event time (epoch ms) the payload carries, or would carry had it not been broken
 * @param malformation how the payload was broken, or null for a well-formed event
 * @param anomaly the injected anomaly this event belongs to, or null for normal behaviour; a
 *     malformed record never belongs to an anomaly
 */
public record GeneratedEvent(
        String stream, String key, long timestamp, byte[] payload, Malformation malformation, AnomalyKind anomaly) {

    public boolean malformed() {
        return malformation != null;
    }

    public boolean anomalous() {
        return anomaly != null;
    }
}
