package io.vigil.generator;

/** An event as a simulator produces it, before it is encoded (or broken) into a payload. */
public sealed interface SimulatedEvent permits SensorReading, Transaction {

    String stream();

    String key();

    /** Event time, epoch ms. */
    long timestamp();

    /** The injected anomaly this event belongs to, or null for normal behaviour. */
    AnomalyKind anomaly();
}
