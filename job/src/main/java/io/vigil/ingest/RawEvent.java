package io.vigil.ingest;

/**
 * One Kafka record as read, before any parsing: the bytes plus where they came from, so that a
 * record that cannot be scored can be dead-lettered with its exact coordinates.
 */
public record RawEvent(String topic, int partition, long offset, long kafkaTimestamp, byte[] payload) {}
