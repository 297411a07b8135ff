package io.vigil.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.DetectionJob;
import io.vigil.generator.AnomalyLabel;
import io.vigil.generator.DetectionTally;
import io.vigil.generator.DetectionTally.Flag;
import io.vigil.generator.EventSink;
import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.generator.KafkaEventSink;
import io.vigil.model.ModelContract;
import io.vigil.testing.KafkaTestBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * {@code make demo}: the job's real main class on a local Flink (Web UI on localhost:8081) against an
 * embedded Kafka broker, fed by the generator with injected anomalies. Alerts print as they are
 * committed; at the end (after {@code --seconds} or on Ctrl-C) a summary compares them with what
 * was injected, its last line JSON.
 *
 * <p>Simulated time runs faster than the wall clock (sensors 5×, transactions 120×, each stream
 * paced on its own) so that a two-minute demo shows hours of payments.
 */
public final class Demo {

    private static final String SENSORS_TOPIC = "sensor-events";
    private static final String TRANSACTIONS_TOPIC = "transactions";
    private static final Path WORK = Path.of("build/demo");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean readersDone = new AtomicBoolean();
    private final List<Generator> generatorsToStop = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong incidentsEnded = new AtomicLong();
    private final Map<String, Long> lastEventTime = new ConcurrentHashMap<>();
    private final List<AnomalyLabel> labels = Collections.synchronizedList(new ArrayList<>());
    private final List<Flag> alerts = Collections.synchronizedList(new ArrayList<>());
    private final List<Flag> scores = Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] args) throws Exception {
        long seconds = 120;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--seconds")) {
                seconds = Long.parseLong(args[i + 1]);
            }
        }
        new Demo().run(seconds);
    }

    private void run(long seconds) throws Exception {
        Files.createDirectories(WORK);
        System.out.println("Starting an embedded Kafka broker...");
        KafkaTestBroker kafka = KafkaTestBroker.embedded();
        for (String topic : List.of(SENSORS_TOPIC, TRANSACTIONS_TOPIC)) {
            kafka.createTopic(topic, 4);
        }
        for (String topic : List.of("alerts", "dead-letters", "scores")) {
            kafka.createTopic(topic, 1);
        }

        String[] jobArgs = {
            "--streams", "sensors,transactions",
            "--stream.sensors.model", "models/sensor", "--stream.sensors.topics", SENSORS_TOPIC,
            "--stream.transactions.model", "models/transaction", "--stream.transactions.topics", TRANSACTIONS_TOPIC,
            "--kafka.bootstrap-servers", kafka.bootstrapServers(),
            "--scores.topic", "scores",
            "--checkpoint.interval", "2 s",
            "--flink.rest.port", "8081",
            "--flink.parallelism.default", "2",
        };
        Thread job = new Thread(() -> {
            try {
                DetectionJob.main(jobArgs);
            } catch (Exception e) {
                if (!stopping.get()) {
                    System.err.println("The job failed: " + e);
                    e.printStackTrace();
                    System.exit(1);
                }
            }
        }, "detection-job");
        job.setDaemon(true);
        job.start();
        System.out.println("Job submitted to a local Flink: Web UI at http://localhost:8081");

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        // Payments follow the time of day: start the simulated day in the morning.
        Instant start = today.atTime(8, 0).toInstant(ZoneOffset.UTC);
        GeneratorConfig base = GeneratorConfig.defaults().withStart(start).withEventsPerStream(0).withMalformedRate(0.01);
        List<Thread> generators = List.of(
                generator(kafka, base.withStreams(GeneratorConfig.Streams.SENSORS).withKeys(40).withAnomalyRate(0.003).withSeed(1), 5),
                generator(kafka, base.withStreams(GeneratorConfig.Streams.TRANSACTIONS).withKeys(400).withAnomalyRate(0.01).withSeed(2), 120));
        generators.forEach(Thread::start);

        Thread alertsReader = reader(kafka, "alerts", this::onAlert);
        Thread deadLetterReader = reader(kafka, "dead-letters", r -> deadLetters.incrementAndGet());
        Thread scoresReader = reader(kafka, "scores", r -> scores.add(flag(r)));

        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch summarized = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            done.countDown();
            try {
                summarized.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }));
        long began = System.nanoTime();
        while (!done.await(10, TimeUnit.SECONDS)) {
            long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
            System.out.printf(Locale.ROOT, "[%3d s] events %d · dead letters %d · alerts %d%n",
                    elapsed, events.get(), deadLetters.get(), alerts.size());
            if (elapsed >= seconds) {
                break;
            }
        }

        stopping.set(true);
        generatorsToStop.forEach(Generator::stop);
        for (Thread t : generators) {
            t.join(5_000);
        }
        // Alerts are committed with each checkpoint: give the last ones time to appear.
        Thread.sleep(5_000);
        readersDone.set(true);
        for (Thread t : List.of(alertsReader, deadLetterReader, scoresReader)) {
            t.join(5_000);
        }
        printSummary();
        summarized.countDown();
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    private Thread generator(KafkaTestBroker kafka, GeneratorConfig config, double speedup) {
        Generator generator = new Generator(config);
        generatorsToStop.add(generator);
        Thread thread = new Thread(() -> {
            try (KafkaEventSink kafkaSink = new KafkaEventSink(kafka.bootstrapServers(), SENSORS_TOPIC, TRANSACTIONS_TOPIC, null)) {
                // Generator.run labels anomalies still in progress when stopped, so none is mistaken for a false alert.
                generator.run(new PacedSink(kafkaSink, config.start().toEpochMilli(), speedup));
            } catch (Exception e) {
                if (!stopping.get()) {
                    System.err.println("generator failed: " + e);
                }
            }
        }, "generator-" + config.streams());
        thread.setDaemon(true);
        return thread;
    }

    /** Sends each record when the wall clock, running {@code speedup} times slower than event time, reaches it. */
    private final class PacedSink implements EventSink {
        private final EventSink kafka;
        private final long simStart;
        private final double speedup;
        private final long wallStart = System.nanoTime();

        PacedSink(EventSink kafka, long simStart, double speedup) {
            this.kafka = kafka;
            this.simStart = simStart;
            this.speedup = speedup;
        }

        @Override
        public void event(GeneratedEvent event) throws IOException {
            long wait = wallStart + (long) ((event.timestamp() - simStart) / speedup * 1_000_000) - System.nanoTime();
            if (wait > 0 && !stopping.get()) {
                LockSupport.parkNanos(wait);
            }
            kafka.event(event);
            events.incrementAndGet();
            lastEventTime.merge(event.stream(), event.timestamp(), Math::max);
        }

        @Override
        public void label(AnomalyLabel label) {
            labels.add(label);
        }

        @Override
        public void close() {}
    }

    private Thread reader(KafkaTestBroker kafka, String topic, java.util.function.Consumer<JsonNode> onRecord) {
        Thread thread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = kafka.readCommittedConsumer("demo-" + topic)) {
                consumer.subscribe(List.of(topic));
                while (!readersDone.get()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        onRecord.accept(JSON.readTree(record.value()));
                    }
                }
            } catch (Exception e) {
                if (!stopping.get()) {
                    System.err.println("reading " + topic + " failed: " + e);
                }
            }
        }, "reader-" + topic);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void onAlert(JsonNode alert) {
        if (alert.path("incident").asText().equals("end")) {
            // An incident's end summarizes alerts already printed; it is not a detection of its own.
            incidentsEnded.incrementAndGet();
            return;
        }
        alerts.add(flag(alert));
        StringBuilder features = new StringBuilder();
        for (JsonNode f : alert.path("top_features")) {
            if (!features.isEmpty()) {
                features.append(", ");
            }
            features.append(String.format(Locale.ROOT, "%s %.4g (expected %.4g)",
                    f.path("feature").asText(), f.path("observed").asDouble(), f.path("expected").asDouble()));
        }
        System.out.printf(Locale.ROOT, "ALERT %-12s %-10s %s  %-6s score %.3g > %.3g  severity %3d  %s%n",
                alert.path("stream").asText(), alert.path("key").asText(), alert.path("event_time").asText(),
                alert.path("incident").asText(),
                alert.path("score").asDouble(), alert.path("threshold").asDouble(), alert.path("severity").asInt(), features);
    }

    private static Flag flag(JsonNode record) {
        return new Flag(record.path("stream").asText(), record.path("key").asText(),
                Instant.parse(record.path("event_time").asText()).toEpochMilli());
    }

    /**
     * An anomaly counts as injected once the job could have seen all of it: it ended at least a
     * minute of event time before the last event produced on its stream.
     */
    private void printSummary() {
        Map<String, Integer> windowSizes = Map.of(
                "sensors", ModelContract.load(Path.of("models/sensor")).windowSize(),
                "transactions", ModelContract.load(Path.of("models/transaction")).windowSize());
        List<AnomalyLabel> all;
        synchronized (labels) {
            all = List.copyOf(labels);
        }
        List<AnomalyLabel> settled = all.stream()
                .filter(l -> l.end() + 60_000 < lastEventTime.getOrDefault(l.stream(), Long.MIN_VALUE)).toList();
        List<Flag> scored;
        List<Flag> alerted;
        synchronized (alerts) {
            synchronized (scores) {
                scored = List.copyOf(scores);
                alerted = List.copyOf(alerts);
            }
        }
        // Caught or missed: the settled anomalies. False alerts: those outside every anomaly, settled or not.
        DetectionTally tally = new DetectionTally(settled, windowSizes, scored, alerted);
        DetectionTally falseAlerts = new DetectionTally(all, windowSizes, scored, alerted);
        System.out.println();
        System.out.println("Summary (anomalies that ended at least a minute of event time before the end)");
        tally.byKind().forEach((kind, c) -> System.out.printf(Locale.ROOT, "  %-18s caught %3d of %3d%n", kind.code(), c[0], c[1]));
        System.out.printf(Locale.ROOT, "  incidents closed %d (an incident's alerts: one start, then updates)%n", incidentsEnded.get());
        System.out.printf(Locale.ROOT, "  scored windows %d, normal windows %d, false alerts %d (%.3f %% of normal windows)%n",
                scored.size(), falseAlerts.normalWindows(), falseAlerts.falseAlerts(), 100.0 * falseAlerts.falseAlertRate());
        System.out.printf(Locale.ROOT,
                "{\"events\": %d, \"dead_letters\": %d, \"alerts\": %d, \"injected\": %d, \"caught\": %d, \"false_alerts\": %d}%n",
                events.get(), deadLetters.get(), alerted.size(), tally.injected(), tally.caught(), falseAlerts.falseAlerts());
    }
}
