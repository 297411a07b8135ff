package io.vigil.deadletter;

import io.vigil.ingest.RawEvent;

/**
 * A record that could not be scored: the reason, a human-readable detail, and the original bytes
 * with their Kafka coordinates. Written as JSON to the dead-letter topic.
 *
 * @param reason a {@link DeadLetterReason#code()}
 */
public record DeadLetter(String reason, String detail, String topic, int partition, long offset, byte[] payload) {

    public static DeadLetter of(DeadLetterReason reason, String detail, RawEvent source) {
        return new DeadLetter(reason.code(), detail, source.topic(), source.partition(), source.offset(), source.payload());
    }
}
