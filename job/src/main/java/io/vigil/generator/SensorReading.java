package io.vigil.generator;

/**
 * One reading of a sensor.
 *
 * @param values one value per channel, in the order of {@link SensorSimulator#CHANNELS}
 */
public record SensorReading(String sensorId, long timestamp, double[] values, AnomalyKind anomaly)
        implements SimulatedEvent {

    @Override
    public String stream() {
        return Generator.SENSORS;
    }

    @Override
    public String key() {
        return sensorId;
    }

    public double value(String channel) {
        return values[SensorSimulator.channelIndex(channel)];
    }
}
