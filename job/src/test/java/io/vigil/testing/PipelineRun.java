package io.vigil.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.DetectionJob;
import io.vigil.config.JobSettings;
import io.vigil.config.StreamSettings;
import io.vigil.generator.GeneratedEvent;
import io.vigil.ingest.KafkaInput;
import io.vigil.ingest.RawEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Runs the real job topology ({@link DetectionJob#defineWorkflow}) with real Kafka input and output
 * on whatever Flink environment is current (the MiniCluster in tests), over the project's trained
 * models. The Kafka source is bounded, so the job finishes once everything produced is scored.
 */
public final class PipelineRun {

    public static final Path SENSOR_MODEL = Path.of("../models/sensor");
    public static final Path TRANSACTION_MODEL = Path.of("../models/transaction");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PipelineRun() {}

    /** Where each produced record landed, so dead letters can be matched to what was sent. */
    public record Produced(GeneratedEvent event, String topic, int partition, long offset) {}

    /** Produces every event to its stream's topic (keyed by entity, so a key's events stay in order). */
    public static List<Produced> produce(KafkaTestBroker kafka, List<GeneratedEvent> events, Map<String, String> topicByStream)
            throws Exception {
        List<Produced> produced = new ArrayList<>(events.size());
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>(events.size());
            for (GeneratedEvent event : events) {
                sent.add(producer.send(new ProducerRecord<>(topicByStream.get(event.stream()),
                        event.key().getBytes(StandardCharsets.UTF_8), event.payload())));
            }
            producer.flush();
            for (int i = 0; i < events.size(); i++) {
                RecordMetadata meta = sent.get(i).get();
                produced.add(new Produced(events.get(i), meta.topic(), meta.partition(), meta.offset()));
            }
        }
        return produced;
    }

    /**
     * Builds and runs the job to completion.
     *
     * @param decorate wraps each stream's raw input (a failure injector, for instance); identity for a plain run
     * @return Flink's result, whose net run time benchmarks divide by
     */
    public static JobExecutionResult run(JobSettings settings,
            BiFunction<StreamSettings, DataStream<RawEvent>, DataStream<RawEvent>> decorate) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(DetectionJob.flinkConfiguration(settings));
        DetectionJob.Outputs outputs = DetectionJob.defineWorkflow(settings,
                stream -> decorate.apply(stream, KafkaInput.read(env, settings, stream)));
        DetectionJob.writeToKafka(outputs, settings);
        return env.execute("vigil-test");
    }

    public static List<String> args(KafkaTestBroker kafka, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--streams", "sensors,transactions",
                "--stream.sensors.model", SENSOR_MODEL.toString(),
                "--stream.sensors.topics", "sensors",
                "--stream.transactions.model", TRANSACTION_MODEL.toString(),
                "--stream.transactions.topics", "transactions",
                "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--kafka.bounded", "true",
                "--kafka.starting-offsets", "earliest",
                "--checkpoint.interval", "1 s",
                "--flink.restart-strategy.type", "fixed-delay",
                "--flink.restart-strategy.fixed-delay.attempts", "3",
                "--flink.restart-strategy.fixed-delay.delay", "200 ms"));
        args.addAll(List.of(more));
        return args;
    }

    public static JobSettings settings(List<String> args) {
        return JobSettings.fromArgs(args.toArray(String[]::new));
    }

    /** The topic's committed records, as JSON, once they satisfy {@code done}, or as they are after 40 s. */
    public static List<JsonNode> awaitJson(KafkaTestBroker kafka, String topic, java.util.function.Predicate<List<JsonNode>> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(40).toNanos();
        while (true) {
            List<JsonNode> records = readJson(kafka, topic);
            if (done.test(records) || System.nanoTime() > deadline) {
                return records;
            }
            Thread.sleep(250);
        }
    }

    /** Every committed record of a topic as JSON. */
    public static List<JsonNode> readJson(KafkaTestBroker kafka, String topic) {
        List<JsonNode> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : kafka.readAll(topic)) {
            try {
                out.add(JSON.readTree(record.value()));
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON on " + topic + ": " + new String(record.value(), StandardCharsets.UTF_8), e);
            }
        }
        return out;
    }

    public static Map<String, Long> countBy(List<JsonNode> records, String field) {
        Map<String, Long> counts = new HashMap<>();
        records.forEach(r -> counts.merge(r.path(field).asText(), 1L, Long::sum));
        return counts;
    }
}
