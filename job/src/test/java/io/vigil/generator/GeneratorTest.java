package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.generator.Generator.Generated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {

    /** Both streams, anomalies far more often than by default, and malformed records mixed in. */
    private static final GeneratorConfig BUSY = GeneratorConfig.defaults()
            .withKeys(20)
            .withEventsPerStream(20_000)
            .withAnomalyRate(0.01)
            .withMalformedRate(0.02)
            .withSeed(7);

    @Test
    void sameSeedGivesIdenticalRecordsAndLabels() {
        Generated first = Generator.generate(BUSY);
        Generated second = Generator.generate(BUSY);
        assertEquals(first.events().size(), second.events().size());
        for (int i = 0; i < first.events().size(); i++) {
            assertArrayEquals(first.events().get(i).payload(), second.events().get(i).payload(), "record " + i);
        }
        assertEquals(first.labels(), second.labels());

        Generated otherSeed = Generator.generate(BUSY.withSeed(8));
        assertFalse(java.util.Arrays.equals(first.events().get(0).payload(), otherSeed.events().get(0).payload()));
    }

    @Test
    void sameSeedWritesByteIdenticalFiles(@TempDir Path dir) throws Exception {
        GeneratorConfig config = BUSY.withEventsPerStream(3_000);
        for (String run : List.of("a", "b")) {
            try (JsonLinesSink sink = new JsonLinesSink(dir.resolve(run))) {
                new Generator(config).run(sink);
            }
        }
        for (String file : List.of("sensors.jsonl", "transactions.jsonl", "labels.jsonl")) {
            byte[] a = Files.readAllBytes(dir.resolve("a").resolve(file));
            assertTrue(a.length > 0 || file.equals("labels.jsonl"), file);
            assertArrayEquals(a, Files.readAllBytes(dir.resolve("b").resolve(file)), file);
        }
    }

    @Test
    void eachLabelCoversExactlyTheAffectedEventsOfItsKeyAndLabelsOfAKeyDoNotOverlap() {
        Generated run = Generator.generate(BUSY);
        assertTrue(run.labels().size() > 50, "labels: " + run.labels().size());
        Map<String, List<GeneratedEvent>> byKey = run.events().stream()
                .collect(Collectors.groupingBy(e -> e.stream() + "/" + e.key()));
        Map<String, List<AnomalyLabel>> labelsByKey = run.labels().stream()
                .collect(Collectors.groupingBy(l -> l.stream() + "/" + l.key()));

        for (AnomalyLabel label : run.labels()) {
            assertEquals(label.kind().stream(), label.stream(), label.toString());
            List<GeneratedEvent> inside = byKey.get(label.stream() + "/" + label.key()).stream()
                    .filter(e -> label.covers(e.timestamp()))
                    .toList();
            assertFalse(inside.isEmpty(), label.toString());
            for (GeneratedEvent event : inside) {
                assertEquals(label.kind(), event.anomaly(), "event at " + event.timestamp() + " inside " + label);
            }
            assertTrue(inside.stream().anyMatch(e -> e.timestamp() == label.start()), "start is an affected event: " + label);
            assertTrue(inside.stream().anyMatch(e -> e.timestamp() == label.end()), "end is an affected event: " + label);
        }
        for (GeneratedEvent event : run.events()) {
            if (event.anomalous()) {
                long covering = labelsByKey.get(event.stream() + "/" + event.key()).stream()
                        .filter(l -> l.covers(event.timestamp()))
                        .count();
                assertEquals(1, covering, "labels covering " + event.key() + " at " + event.timestamp());
                assertFalse(event.malformed(), "an anomalous record is never broken");
            }
        }
        for (List<AnomalyLabel> labels : labelsByKey.values()) {
            List<AnomalyLabel> sorted = new ArrayList<>(labels);
            sorted.sort(Comparator.comparingLong(AnomalyLabel::start));
            for (int i = 1; i < sorted.size(); i++) {
                assertTrue(sorted.get(i - 1).end() < sorted.get(i).start(), sorted.get(i - 1) + " overlaps " + sorted.get(i));
            }
        }
    }

    @Test
    void everyAnomalyKindIsInjectedAndChannelIsSetWhereItApplies() {
        Generated run = Generator.generate(BUSY.withEventsPerStream(40_000));
        Set<AnomalyKind> kinds = EnumSet.noneOf(AnomalyKind.class);
        for (AnomalyLabel label : run.labels()) {
            kinds.add(label.kind());
            if (label.stream().equals(Generator.TRANSACTIONS)) {
                assertEquals(null, label.channel(), label.toString());
            } else if (label.kind() != AnomalyKind.NOISE_BURST) {
                assertTrue(SensorSimulator.CHANNELS.contains(label.channel()), label.toString());
            }
        }
        assertEquals(EnumSet.allOf(AnomalyKind.class), kinds);
        assertEquals(run.labels().size(), run.summary().anomalies());
    }

    @Test
    void zeroAnomalyRateGivesNoLabelsAndNoAnomalousEvents() {
        Generated run = Generator.generate(BUSY.withAnomalyRate(0));
        assertEquals(List.of(), run.labels());
        assertTrue(run.events().stream().noneMatch(GeneratedEvent::anomalous));
    }

    @Test
    void outOfOrderNeverExceedsTheBoundAndDoesHappen() {
        for (long bound : new long[] {0, 200, 500}) {
            Generated run = Generator.generate(BUSY.withMaxOutOfOrderMs(bound).withMalformedRate(0));
            long maxSeen = run.events().get(0).timestamp();
            long worst = 0;
            for (GeneratedEvent event : run.events()) {
                worst = Math.max(worst, maxSeen - event.timestamp());
                maxSeen = Math.max(maxSeen, event.timestamp());
            }
            assertTrue(worst <= bound, "out of order by " + worst + " ms with bound " + bound);
            if (bound > 0) {
                assertTrue(worst > bound / 2, "out of order by only " + worst + " ms with bound " + bound);
            }
        }
    }

    @Test
    void eventCountIsPerStreamAndDurationLimitsEventTime() {
        Generated counted = Generator.generate(BUSY.withEventsPerStream(1_234));
        assertEquals(Map.of(Generator.SENSORS, 1_234L, Generator.TRANSACTIONS, 1_234L), counted.summary().eventsByStream());
        assertEquals(2 * 1_234, counted.events().size());

        GeneratorConfig timed = BUSY.withEventsPerStream(0).withDuration(java.time.Duration.ofMinutes(10));
        Generated run = Generator.generate(timed);
        long start = timed.start().toEpochMilli();
        assertTrue(run.events().stream().allMatch(e -> e.timestamp() >= start && e.timestamp() < start + 600_000));
        // 20 machines, one reading a second
        assertEquals(20 * 600, run.summary().eventsByStream().get(Generator.SENSORS));
    }

    @Test
    void singleStreamGeneratesOnlyThatStream() {
        Generated run = Generator.generate(BUSY.withStreams(GeneratorConfig.Streams.TRANSACTIONS));
        assertTrue(run.events().stream().allMatch(e -> e.stream().equals(Generator.TRANSACTIONS)));
        assertNotEquals(0, run.events().size());
    }
}
