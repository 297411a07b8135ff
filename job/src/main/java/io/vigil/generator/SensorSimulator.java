package io.vigil.generator;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulates machines with five sensor channels, one reading per machine every interval, with
 * injected anomalies.
 *
 * <p>Normal behaviour: each machine has a latent operating load {@code L(t)} = a per-machine base
 * + a slow cycle (3–7 minutes) + a fast cycle (15–45 s) + AR(1) noise. Every channel is a linear
 * function of {@code L} plus a per-machine offset plus Gaussian noise, so the channels move together;
 * a model learns that coupling and notices one channel that stops following the others. The
 * machines differ in base load, cycle periods, amplitudes, phases and offsets.
 *
 * <p>Anomalies are sized in multiples of the channel's <em>spread</em>: the standard deviation of
 * its noise-free signal over all machines ({@code gain × 0.12}), so "far out" means the same on
 * every channel. After an anomaly a machine stays normal for at least {@value #QUIET_READINGS}
 * readings, so that no model window sees two anomalies.
 *
 * <p>State per machine: its parameters, the AR(1) state, the last reading and the anomaly in progress.
 */
public final class SensorSimulator extends StreamSimulator {

    /** Channel names in the order of {@link SensorReading#values()}. */
    public static final List<String> CHANNELS = List.of("temperature", "vibration", "pressure", "rpm", "current");

    private static final int TEMPERATURE = 0;
    private static final int VIBRATION = 1;

    // channel = BASE + GAIN × L + offset + N(0, NOISE)
    private static final double[] BASE = {55.0, 0.02, 3.0, 1000.0, 8.0};
    private static final double[] GAIN = {25.0, 0.03, 1.5, 800.0, 9.0};
    private static final double[] NOISE = {0.4, 0.0015, 0.04, 8.0, 0.15};
    /** Decimal places of each channel as the sensor reports it. */
    private static final int[] DECIMALS = {2, 4, 3, 1, 2};
    /** Standard deviation of L over all machines and times; spread of a channel = GAIN × this. */
    private static final double LOAD_SPREAD = 0.12;
    /** Per-machine calibration offsets, as a fraction of GAIN. */
    private static final double OFFSET_FRACTION = 0.08;

    private static final double AR_COEFFICIENT = 0.9;
    private static final double AR_INNOVATION = 0.01;

    private static final AnomalyKind[] KINDS = {
        AnomalyKind.SPIKE, AnomalyKind.LEVEL_SHIFT, AnomalyKind.DRIFT, AnomalyKind.STUCK, AnomalyKind.NOISE_BURST
    };
    /**
     * Channels that can get stuck. A frozen vibration reading hides in that channel's large noise
     * (a model cannot tell it from a quiet machine); stuck probes are temperature, pressure, speed, current.
     */
    private static final int[] STUCK_CHANNELS = {0, 2, 3, 4};

    /** No anomaly in a machine's first readings, so that every key first shows what normal is. */
    static final int WARM_UP_READINGS = 32;
    /** Normal readings after an anomaly: twice the 16-reading model window. */
    static final int QUIET_READINGS = 32;

    public SensorSimulator(int machines, long start, long intervalMs, double anomalyRate, long seed) {
        super(createMachines(machines, start, intervalMs, anomalyRate, seed));
    }

    private static List<Machine> createMachines(int count, long start, long intervalMs, double anomalyRate, long seed) {
        if (intervalMs < 1) {
            throw new IllegalArgumentException("the sensor interval must be at least 1 ms, got " + intervalMs);
        }
        List<Machine> machines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            machines.add(new Machine(i, start, intervalMs, anomalyRate, seed));
        }
        return machines;
    }

    @Override
    public String stream() {
        return Generator.SENSORS;
    }

    /** The key of the machine with this index: {@code pump-0007}. */
    public static String machineId(int index) {
        return String.format("pump-%04d", index);
    }

    /** How many machines make {@code eventsPerSecond} readings per second at this interval. */
    public static int machinesForRate(double eventsPerSecond, long intervalMs) {
        return (int) Math.max(1, Math.round(eventsPerSecond * intervalMs / 1000.0));
    }

    static int channelIndex(String channel) {
        int index = CHANNELS.indexOf(channel);
        if (index < 0) {
            throw new IllegalArgumentException("unknown channel '" + channel + "' (known: " + CHANNELS + ")");
        }
        return index;
    }

    private static double spread(int channel) {
        return GAIN[channel] * LOAD_SPREAD;
    }

    private static final class Machine extends KeyProcess {
        private final long start;
        private final long intervalMs;
        private final double anomalyRate;
        /** Draws the normal signal; the anomalies draw from their own generator so that they do not change it. */
        private final Random signal;
        private final Random anomalies;

        private final double baseLoad;
        private final double slowAmplitude;
        private final double slowPeriodS;
        private final double slowPhase;
        private final double fastAmplitude;
        private final double fastPeriodS;
        private final double fastPhase;
        private final double[] offsets = new double[CHANNELS.size()];
        private double arNoise;

        private long reading;
        private final double[] last = new double[CHANNELS.size()];

        // the anomaly in progress
        private AnomalyKind kind;
        private int channel;
        private boolean allChannels;
        private int length;
        private int step;
        private double magnitude;
        private long quietUntil = WARM_UP_READINGS;

        Machine(int index, long start, long intervalMs, double anomalyRate, long seed) {
            super(index, machineId(index));
            this.start = start;
            this.intervalMs = intervalMs;
            this.anomalyRate = anomalyRate;
            Random params = new Random(Distributions.seed(seed, Generator.SENSORS, index, "params"));
            this.signal = new Random(Distributions.seed(seed, Generator.SENSORS, index, "signal"));
            this.anomalies = new Random(Distributions.seed(seed, Generator.SENSORS, index, "anomalies"));
            baseLoad = Distributions.uniform(params, 0.35, 0.65);
            slowAmplitude = Distributions.uniform(params, 0.10, 0.18);
            slowPeriodS = Distributions.uniform(params, 180, 420);
            slowPhase = Distributions.uniform(params, 0, 2 * Math.PI);
            fastAmplitude = Distributions.uniform(params, 0.04, 0.07);
            fastPeriodS = Distributions.uniform(params, 15, 45);
            fastPhase = Distributions.uniform(params, 0, 2 * Math.PI);
            for (int c = 0; c < offsets.length; c++) {
                offsets[c] = Distributions.uniform(params, -OFFSET_FRACTION, OFFSET_FRACTION) * GAIN[c];
            }
            // a small phase so that machines do not all report on the same millisecond
            nextTime = start + params.nextInt((int) Math.min(intervalMs, Integer.MAX_VALUE));
        }

        @Override
        String stream() {
            return Generator.SENSORS;
        }

        @Override
        SimulatedEvent emit() {
            long timestamp = nextTime;
            double seconds = (timestamp - start) / 1000.0;
            arNoise = AR_COEFFICIENT * arNoise + AR_INNOVATION * signal.nextGaussian();
            double load = baseLoad
                    + slowAmplitude * Math.sin(2 * Math.PI * seconds / slowPeriodS + slowPhase)
                    + fastAmplitude * Math.sin(2 * Math.PI * seconds / fastPeriodS + fastPhase)
                    + arNoise;
            double[] noise = new double[CHANNELS.size()];
            for (int c = 0; c < noise.length; c++) {
                noise[c] = NOISE[c] * signal.nextGaussian();
            }

            if (kind == null && reading >= quietUntil && anomalies.nextDouble() < anomalyRate) {
                startAnomaly();
            }
            double[] values = new double[CHANNELS.size()];
            for (int c = 0; c < values.length; c++) {
                double noiseFactor = kind == AnomalyKind.NOISE_BURST && (allChannels || c == channel) ? 10.0 : 1.0;
                values[c] = BASE[c] + GAIN[c] * load + offsets[c] + noiseFactor * noise[c];
            }
            AnomalyKind affected = kind;
            if (kind != null) {
                applyAnomaly(values);
                affected(kind, allChannels ? null : CHANNELS.get(channel), timestamp);
                if (++step == length) {
                    kind = null;
                    quietUntil = reading + 1 + QUIET_READINGS;
                    anomalyEnded();
                }
            }
            for (int c = 0; c < values.length; c++) {
                // temperature can be anything; the other quantities cannot go below zero
                double value = c == TEMPERATURE ? values[c] : Math.max(0.0, values[c]);
                values[c] = round(value, DECIMALS[c]);
            }
            if (affected == AnomalyKind.STUCK) {
                values[channel] = last[channel];
            }
            System.arraycopy(values, 0, last, 0, values.length);
            reading++;
            nextTime = timestamp + intervalMs;
            return new SensorReading(key, timestamp, values, affected);
        }

        private void startAnomaly() {
            kind = KINDS[anomalies.nextInt(KINDS.length)];
            channel = anomalies.nextInt(CHANNELS.size());
            allChannels = false;
            step = 0;
            // vibration faults make a machine shake more, not less
            double sign = channel == VIBRATION ? 1.0 : Distributions.sign(anomalies);
            switch (kind) {
                case SPIKE -> {
                    length = 1;
                    magnitude = sign * Distributions.uniform(anomalies, 8, 15) * spread(channel);
                }
                case LEVEL_SHIFT -> {
                    length = Distributions.between(anomalies, 30, 90);
                    magnitude = sign * Distributions.uniform(anomalies, 4, 8) * spread(channel);
                }
                case DRIFT -> {
                    length = Distributions.between(anomalies, 60, 180);
                    magnitude = sign * Distributions.uniform(anomalies, 6, 12) * spread(channel);
                }
                case STUCK -> {
                    length = Distributions.between(anomalies, 60, 120);
                    channel = STUCK_CHANNELS[anomalies.nextInt(STUCK_CHANNELS.length)];
                }
                case NOISE_BURST -> {
                    length = Distributions.between(anomalies, 20, 60);
                    allChannels = anomalies.nextBoolean();
                }
                default -> throw new IllegalStateException("not a sensor anomaly: " + kind);
            }
        }

        private void applyAnomaly(double[] values) {
            switch (kind) {
                case SPIKE, LEVEL_SHIFT -> values[channel] += magnitude;
                case DRIFT -> values[channel] += magnitude * (step + 1) / length;
                case STUCK, NOISE_BURST -> {
                    // stuck: overwritten after rounding; noise burst: already in the noise
                }
                default -> throw new IllegalStateException("not a sensor anomaly: " + kind);
            }
        }

        private static double round(double value, int decimals) {
            double scale = Math.pow(10, decimals);
            return Math.round(value * scale) / scale;
        }
    }
}
