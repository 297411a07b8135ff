package io.vigil.generator;

import java.time.Duration;
import java.time.Instant;

/**
 * What to generate: an immutable, validated setting per CLI option (the messages name the option).
 * Start from {@link #defaults()} and change what differs with the {@code with…} methods.
 *
 * @param sensorKeys machines in the sensor stream
 * @param transactionKeys accounts in the transaction stream
 * @param eventsPerStream stop each stream after this many records (malformed ones included); 0: no limit
 * @param duration stop each stream at {@code start + duration} of event time; null: no limit
 * @param start event time of the beginning; ignored in realtime mode, which starts at the wall clock
 * @param sensorIntervalMs event time between two readings of a machine
 * @param anomalyRate chance that a key's next event starts an anomaly (0 for training data)
 * @param malformedRate fraction of each stream's records replaced by broken ones
 * @param epochTimestampFraction fraction of events whose {@code ts} is epoch milliseconds rather than ISO-8601
 * @param maxOutOfOrderMs the most by which an event may follow a later event; each is delayed by up to this
 * @param realtime event time is the wall clock and {@link Generator#run} paces events to it
 */
public record GeneratorConfig(
        Streams streams,
        int sensorKeys,
        int transactionKeys,
        long eventsPerStream,
        Duration duration,
        Instant start,
        long sensorIntervalMs,
        double anomalyRate,
        double malformedRate,
        double epochTimestampFraction,
        long maxOutOfOrderMs,
        long seed,
        boolean realtime) {

    /** Which of the built-in streams to generate. */
    public enum Streams {
        SENSORS,
        TRANSACTIONS,
        BOTH;

        public boolean sensors() {
            return this != TRANSACTIONS;
        }

        public boolean transactions() {
            return this != SENSORS;
        }
    }

    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    public GeneratorConfig {
        require(streams != null, "--stream must be sensors, transactions or both");
        require(sensorKeys >= 1, "--keys must be at least 1 (sensor keys: " + sensorKeys + ")");
        require(transactionKeys >= 1, "--keys must be at least 1 (transaction keys: " + transactionKeys + ")");
        require(eventsPerStream >= 0, "--events must not be negative, got " + eventsPerStream);
        require(duration == null || (!duration.isNegative() && !duration.isZero()),
                "--duration must be positive, got " + duration);
        require(start != null, "--start is missing");
        require(sensorIntervalMs >= 1, "--interval-ms must be at least 1, got " + sensorIntervalMs);
        require(anomalyRate >= 0 && anomalyRate <= 0.05,
                "--anomaly-rate must be between 0 and 0.05 (one anomaly per 20 events), got " + anomalyRate);
        require(malformedRate >= 0 && malformedRate <= 0.5, "--malformed-rate must be between 0 and 0.5, got " + malformedRate);
        require(epochTimestampFraction >= 0 && epochTimestampFraction <= 1,
                "--epoch-ts-fraction must be between 0 and 1, got " + epochTimestampFraction);
        require(maxOutOfOrderMs >= 0, "--max-out-of-order-ms must not be negative, got " + maxOutOfOrderMs);
    }

    /** Both streams, 100 keys each, 10,000 events per stream, from 2026-01-01T00:00:00Z, seed 42. */
    public static GeneratorConfig defaults() {
        return new GeneratorConfig(Streams.BOTH, 100, 100, 10_000, null, DEFAULT_START, 1000, 0.001, 0.0, 0.1, 500, 42,
                false);
    }

    /** Whether the run ends by itself (an event count or a duration). */
    public boolean bounded() {
        return eventsPerStream > 0 || duration != null;
    }

    public GeneratorConfig withStreams(Streams streams) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    /** The same number of keys in both streams. */
    public GeneratorConfig withKeys(int keys) {
        return withSensorKeys(keys).withTransactionKeys(keys);
    }

    public GeneratorConfig withSensorKeys(int sensorKeys) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withTransactionKeys(int transactionKeys) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withEventsPerStream(long eventsPerStream) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withDuration(Duration duration) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withStart(Instant start) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withSensorIntervalMs(long sensorIntervalMs) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withAnomalyRate(double anomalyRate) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withMalformedRate(double malformedRate) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withEpochTimestampFraction(double epochTimestampFraction) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withMaxOutOfOrderMs(long maxOutOfOrderMs) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withSeed(long seed) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    public GeneratorConfig withRealtime(boolean realtime) {
        return new GeneratorConfig(streams, sensorKeys, transactionKeys, eventsPerStream, duration, start,
                sensorIntervalMs, anomalyRate, malformedRate, epochTimestampFraction, maxOutOfOrderMs, seed, realtime);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
