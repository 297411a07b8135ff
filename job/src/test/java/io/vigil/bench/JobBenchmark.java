package io.vigil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.DetectionJob;
import io.vigil.config.JobSettings;
import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.generator.KafkaEventSink;
import io.vigil.ingest.KafkaInput;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * {@code make bench}, the whole job: the real topology on a local Flink with an in-JVM Kafka broker,
 * sensor events in, alerts out, all in this one process on this one machine.
 *
 * <ul>
 *   <li>Sustained throughput: a topic pre-filled with generated sensor events is read to its end by
 *       a bounded job; events per second of the job's net run time, at parallelism 1 and 2 with
 *       the default micro-batch, and at parallelism 1 with a batch of one row (no batching).
 *   <li>Latency: the job runs unbounded while the generator produces in real time at half the
 *       parallelism-1 throughput (one reading per sensor per second, so event time is wall time);
 *       each alert's latency is the time a read_committed consumer receives it minus its event's
 *       time, for at-least-once delivery and for exactly-once with 1 s checkpoints.
 * </ul>
 * Not a test: nothing is asserted. Figures are meant to be read as ratios within one run; the broker,
 * the generator and Flink share this machine's cores.
 */
public final class JobBenchmark {

    private static final String TOPIC = "bench-sensors";
    private static final int KEYS = 64;
    private static final int ROUNDS = 3;
    private static final Duration LATENCY_RUN = Duration.ofSeconds(45);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaTestBroker kafka;
    private int runs;

    private JobBenchmark(KafkaTestBroker kafka) {
        this.kafka = kafka;
    }

    public static void main(String[] args) throws Exception {
        long events = args.length > 0 ? Long.parseLong(args[0]) : 200_000;
        try (KafkaTestBroker kafka = KafkaTestBroker.embedded()) {
            new JobBenchmark(kafka).run(events);
        }
        System.exit(0); // the broker's and Flink's non-daemon threads would otherwise linger
    }

    private void run(long events) throws Exception {
        List<GeneratedEvent> generated = Generator.generate(GeneratorConfig.defaults()
                .withStreams(GeneratorConfig.Streams.SENSORS).withSensorKeys(KEYS).withEventsPerStream(events)
                .withAnomalyRate(0.003).withSeed(7)).events();
        kafka.createTopic("bench-warm-up", 2);
        kafka.createTopic(TOPIC, 2);
        PipelineRun.produce(kafka, generated.subList(0, generated.size() / 10), Map.of("sensors", "bench-warm-up"));
        PipelineRun.produce(kafka, generated, Map.of("sensors", TOPIC));
        System.out.printf(Locale.ROOT, "%,d sensor events (%d keys, window 16) pre-filled in %s (2 partitions)%n",
                generated.size(), KEYS, TOPIC);

        throughput("bench-warm-up", 1, 256); // warms the JIT and ONNX Runtime; not reported
        // Rounds interleave the three set-ups so that noise on this shared machine hits them alike.
        double[][] rates = new double[3][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            rates[0][round] = throughput(TOPIC, 1, 256);
            rates[1][round] = throughput(TOPIC, 1, 1);
            rates[2][round] = throughput(TOPIC, 2, 256);
        }
        double batched1 = median(rates[0]);
        double unbatched = median(rates[1]);
        double batched2 = median(rates[2]);
        System.out.println();
        System.out.println("job throughput (Kafka -> alerts), events/s of net job run time, median of " + ROUNDS + " rounds");
        System.out.printf(Locale.ROOT, "  (b) parallelism 1, batch.max-rows 256 : %,10.0f%n", batched1);
        System.out.printf(Locale.ROOT, "  (b) parallelism 2, batch.max-rows 256 : %,10.0f   (%.2fx parallelism 1)%n",
                batched2, batched2 / batched1);
        System.out.printf(Locale.ROOT, "  (c) parallelism 1, batch.max-rows 1   : %,10.0f   ((b) at parallelism 1 is %.2fx this)%n",
                unbatched, batched1 / unbatched);

        double rate = batched1 / 2;
        System.out.println();
        System.out.printf(Locale.ROOT, "(d) event-to-alert latency at %,.0f events/s (half of (b) at parallelism 1)%n", rate);
        latency(rate, "at-least-once", "10 s");
        latency(rate, "exactly-once", "1 s");
    }

    /** Runs a bounded job over the whole topic; events per second of Flink's net run time. */
    private double throughput(String topic, int parallelism, int batchRows) throws Exception {
        String run = "run-" + ++runs;
        kafka.createTopic(run + "-alerts", 1);
        kafka.createTopic(run + "-dead-letters", 1);
        JobSettings settings = PipelineRun.settings(List.of(
                "--streams", "sensors",
                "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                "--stream.sensors.topics", topic,
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.group-id", run,
                "--kafka.bounded", "true",
                "--kafka.starting-offsets", "earliest",
                "--alerts.topic", run + "-alerts",
                "--dead-letter.topic", run + "-dead-letters",
                "--alerts.transactional-id-prefix", run,
                "--batch.max-rows", String.valueOf(batchRows),
                "--flink.parallelism.default", String.valueOf(parallelism)));
        JobExecutionResult result = PipelineRun.run(settings, (stream, raw) -> raw);
        long events = kafka.readAll(topic).size();
        double seconds = result.getNetRuntime() / 1000.0;
        System.out.printf(Locale.ROOT, "  %s: %s, parallelism %d, batch %d: %,d events in %.1f s, %,d alerts%n",
                run, topic, parallelism, batchRows, events, seconds, kafka.readAll(run + "-alerts").size());
        return events / seconds;
    }

    /** Produces in real time at {@code rate} events/s into a running job and times its alerts. */
    private void latency(double rate, String delivery, String checkpointInterval) throws Exception {
        String run = "run-" + ++runs;
        int keys = (int) Math.max(1, Math.round(rate)); // one reading per key per second
        kafka.createTopic(run + "-events", 2);
        kafka.createTopic(run + "-alerts", 1);
        kafka.createTopic(run + "-dead-letters", 1);
        JobSettings settings = PipelineRun.settings(List.of(
                "--streams", "sensors",
                "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                "--stream.sensors.topics", run + "-events",
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.group-id", run,
                "--kafka.starting-offsets", "earliest",
                "--alerts.topic", run + "-alerts",
                "--dead-letter.topic", run + "-dead-letters",
                "--alerts.transactional-id-prefix", run,
                "--alerts.delivery", delivery,
                "--checkpoint.interval", checkpointInterval,
                // On disk, as on a cluster: one key per event/s makes tens of thousands of keys' windows,
                // more than the JobManager's in-memory checkpoint storage takes (5 MiB), and a failed
                // checkpoint commits no exactly-once alert.
                "--flink.execution.checkpointing.dir", Files.createTempDirectory(run + "-checkpoints").toUri().toString(),
                "--watermark.out-of-orderness", "200 ms"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
        DetectionJob.writeToKafka(DetectionJob.defineWorkflow(settings, stream -> KafkaInput.read(env, settings, stream)), settings);
        JobClient job = env.executeAsync(run);

        AtomicBoolean done = new AtomicBoolean();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long measureFrom = System.currentTimeMillis() + 20_000; // every key has a full window by then
        Thread consumer = new Thread(() -> consumeAlerts(run + "-alerts", measureFrom, latencies, done), run + "-consumer");
        consumer.start();

        Generator generator = new Generator(GeneratorConfig.defaults()
                .withStreams(GeneratorConfig.Streams.SENSORS).withSensorKeys(keys).withEventsPerStream(0)
                .withDuration(LATENCY_RUN).withMaxOutOfOrderMs(0).withAnomalyRate(0.003).withRealtime(true).withSeed(11));
        try (KafkaEventSink sink = new KafkaEventSink(kafka.bootstrapServers(), run + "-events", run + "-unused", null)) {
            generator.run(sink);
        }
        Thread.sleep(3_000); // the last alerts' batches and checkpoint
        done.set(true);
        consumer.join();
        job.cancel().get();

        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        long produced = generator.summary().events();
        System.out.printf(Locale.ROOT, "  %-13s (checkpoint every %s): %,d events from %,d keys, %,d alerts timed: p50 %,d ms, p99 %,d ms%n",
                delivery, checkpointInterval, produced, keys, sorted.size(), percentile(sorted, 0.50), percentile(sorted, 0.99));
    }

    private void consumeAlerts(String topic, long measureFrom, List<Long> latencies, AtomicBoolean done) {
        try (KafkaConsumer<byte[], byte[]> consumer = kafka.readCommittedConsumer(topic + "-reader")) {
            consumer.subscribe(List.of(topic));
            while (!done.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                    long received = System.currentTimeMillis();
                    JsonNode alert = JSON.readTree(record.value());
                    long eventTime = Instant.parse(alert.path("event_time").asText()).toEpochMilli();
                    if (eventTime >= measureFrom) {
                        latencies.add(received - eventTime);
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("reading " + topic, e);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long percentile(List<Long> sorted, double q) {
        return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }
}
