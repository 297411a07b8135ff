package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SensorSimulatorTest {

    private static final long START = GeneratorConfig.DEFAULT_START.toEpochMilli();

    /** All readings of each machine, in event-time order, and the labels. */
    private record Run(Map<String, List<SensorReading>> readings, List<AnomalyLabel> labels) {}

    private static Run simulate(int machines, int readingsPerMachine, double anomalyRate, long seed) {
        SensorSimulator simulator = new SensorSimulator(machines, START, 1000, anomalyRate, seed);
        Map<String, List<SensorReading>> readings = new HashMap<>();
        for (int i = 0; i < machines * readingsPerMachine; i++) {
            SensorReading reading = (SensorReading) simulator.next();
            readings.computeIfAbsent(reading.sensorId(), k -> new ArrayList<>()).add(reading);
        }
        simulator.finish();
        return new Run(readings, simulator.drainLabels());
    }

    @Test
    void everyChannelFollowsTheLoadOnNormalData() {
        Run run = simulate(10, 1_000, 0, 3);
        assertEquals(10, run.readings().size());
        for (List<SensorReading> machine : run.readings().values()) {
            double[] rpm = series(machine, "rpm");
            for (String channel : SensorSimulator.CHANNELS) {
                double r = correlation(series(machine, channel), rpm);
                assertTrue(r > 0.8, machine.get(0).sensorId() + ": corr(" + channel + ", rpm) = " + r);
            }
        }
    }

    @Test
    void machinesDifferFromEachOther() {
        Run run = simulate(10, 600, 0, 3);
        double lowest = Double.MAX_VALUE;
        double highest = -Double.MAX_VALUE;
        for (List<SensorReading> machine : run.readings().values()) {
            double mean = mean(series(machine, "temperature"));
            lowest = Math.min(lowest, mean);
            highest = Math.max(highest, mean);
        }
        assertTrue(highest - lowest > 3, "mean temperatures span only " + (highest - lowest));
    }

    @Test
    void readingsComeEveryIntervalWithAPerMachinePhase() {
        Run run = simulate(5, 100, 0, 3);
        for (List<SensorReading> machine : run.readings().values()) {
            for (int i = 1; i < machine.size(); i++) {
                assertEquals(1000, machine.get(i).timestamp() - machine.get(i - 1).timestamp());
            }
            assertTrue(machine.get(0).timestamp() - START < 1000);
        }
    }

    @Test
    void stuckAnomalyFreezesItsChannelWhileTheOthersMove() {
        Run run = simulate(20, 3_000, 0.01, 11);
        List<AnomalyLabel> stuck = run.labels().stream().filter(l -> l.kind() == AnomalyKind.STUCK).toList();
        assertTrue(stuck.size() >= 3, "stuck anomalies: " + stuck.size());
        for (AnomalyLabel label : stuck) {
            List<SensorReading> machine = run.readings().get(label.key());
            if (label.end() == machine.get(machine.size() - 1).timestamp()) {
                continue; // cut short by the end of the run
            }
            List<SensorReading> inside = machine.stream().filter(r -> label.covers(r.timestamp())).toList();
            assertTrue(inside.size() >= 60, label + " has " + inside.size() + " readings");
            SensorReading before = machine.get(machine.indexOf(inside.get(0)) - 1);
            for (SensorReading reading : inside) {
                assertEquals(before.value(label.channel()), reading.value(label.channel()), label.toString());
            }
            String other = label.channel().equals("rpm") ? "current" : "rpm";
            double[] moving = inside.stream().mapToDouble(r -> r.value(other)).toArray();
            assertTrue(standardDeviation(moving) > 3 * noise(other), label + ": " + other + " froze too");
        }
    }

    @Test
    void spikesAndShiftsAndDriftsMoveTheirChannelFarFromWhatTheLoadImplies() {
        Run run = simulate(20, 3_000, 0.01, 11);
        Run normal = simulate(20, 3_000, 0, 11);
        int checked = 0;
        for (AnomalyLabel label : run.labels()) {
            if (label.kind() == AnomalyKind.STUCK || label.kind() == AnomalyKind.NOISE_BURST) {
                continue;
            }
            // The anomaly is injected on top of the normal series, which the same seed reproduces.
            List<SensorReading> anomalous = run.readings().get(label.key());
            List<SensorReading> clean = normal.readings().get(label.key());
            double largest = 0;
            for (int i = 0; i < anomalous.size(); i++) {
                if (label.covers(anomalous.get(i).timestamp())) {
                    double deviation = Math.abs(anomalous.get(i).value(label.channel()) - clean.get(i).value(label.channel()));
                    largest = Math.max(largest, deviation / spread(label.channel()));
                }
            }
            assertTrue(largest >= 3.5, label + " moved its channel only " + largest + " spreads");
            checked++;
        }
        assertTrue(checked >= 10, "checked " + checked);
    }

    @Test
    void anomaliesChangeNothingOutsideTheirReadings() {
        Run run = simulate(20, 3_000, 0.01, 11);
        Run normal = simulate(20, 3_000, 0, 11);
        int normalReadings = 0;
        for (Map.Entry<String, List<SensorReading>> machine : run.readings().entrySet()) {
            List<SensorReading> clean = normal.readings().get(machine.getKey());
            for (int i = 0; i < clean.size(); i++) {
                SensorReading reading = machine.getValue().get(i);
                if (reading.anomaly() == null) {
                    assertArrayEquals(clean.get(i).values(), reading.values(), reading.toString());
                    normalReadings++;
                }
            }
        }
        assertTrue(normalReadings > 30_000, "normal readings: " + normalReadings);
    }

    @Test
    void noiseBurstMultipliesTheNoise() {
        Run run = simulate(20, 3_000, 0.01, 11);
        Run normal = simulate(20, 3_000, 0, 11);
        List<AnomalyLabel> bursts = run.labels().stream().filter(l -> l.kind() == AnomalyKind.NOISE_BURST).toList();
        assertTrue(bursts.size() >= 3);
        for (AnomalyLabel label : bursts) {
            String channel = label.channel() == null ? "temperature" : label.channel();
            List<SensorReading> anomalous = run.readings().get(label.key());
            List<SensorReading> clean = normal.readings().get(label.key());
            List<Double> differences = new ArrayList<>();
            for (int i = 0; i < anomalous.size(); i++) {
                if (label.covers(anomalous.get(i).timestamp())) {
                    differences.add(anomalous.get(i).value(channel) - clean.get(i).value(channel));
                }
            }
            double extraNoise = standardDeviation(differences.stream().mapToDouble(Double::doubleValue).toArray());
            // ten times the noise adds nine times its standard deviation
            assertTrue(extraNoise > 5 * noise(channel), label + ": extra noise " + extraNoise);
        }
    }

    private static double spread(String channel) {
        return Map.of("temperature", 25.0, "vibration", 0.03, "pressure", 1.5, "rpm", 800.0, "current", 9.0).get(channel) * 0.12;
    }

    private static double noise(String channel) {
        return Map.of("temperature", 0.4, "vibration", 0.0015, "pressure", 0.04, "rpm", 8.0, "current", 0.15).get(channel);
    }

    private static double[] series(List<SensorReading> readings, String channel) {
        return readings.stream().mapToDouble(r -> r.value(channel)).toArray();
    }

    private static double mean(double[] x) {
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        return sum / x.length;
    }

    private static double standardDeviation(double[] x) {
        double m = mean(x);
        double sum = 0;
        for (double v : x) {
            sum += (v - m) * (v - m);
        }
        return Math.sqrt(sum / x.length);
    }

    private static double correlation(double[] x, double[] y) {
        double mx = mean(x);
        double my = mean(y);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
