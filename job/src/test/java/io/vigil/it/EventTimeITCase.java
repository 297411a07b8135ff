package io.vigil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.generator.GeneratedEvent;
import io.vigil.generator.Generator;
import io.vigil.generator.GeneratorConfig;
import io.vigil.testing.KafkaTestBroker;
import io.vigil.testing.PipelineRun;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Event time across partitions: a single source reader holding two partitions that it reads one
 * after the other (a backlog) must keep each partition's watermark apart, so that the partition it
 * reads second is not late behind the first.
 */
class EventTimeITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void oneReaderOfABackloggedTopicDeadLettersNothingAsLate() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            kafka.createTopic("sensors", 2);
            kafka.createTopic("scores", 1);
            kafka.createTopic("dead-letters", 1);
            kafka.createTopic("alerts", 1);
            // 16 sensors over the same hour of event time; half of them in each partition, so that
            // each partition holds megabytes, more than one fetch returns of it.
            List<GeneratedEvent> events = Generator.generate(GeneratorConfig.defaults()
                    .withStreams(GeneratorConfig.Streams.SENSORS).withSensorKeys(16).withEventsPerStream(48_000)
                    .withAnomalyRate(0).withSeed(5)).events();
            try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
                for (int partition = 0; partition < 2; partition++) {
                    for (GeneratedEvent event : events) {
                        if (Math.floorMod(event.key().hashCode(), 2) == partition) {
                            producer.send(new ProducerRecord<>("sensors", partition,
                                    event.key().getBytes(StandardCharsets.UTF_8), event.payload()));
                        }
                    }
                }
            }

            PipelineRun.run(PipelineRun.settings(List.of(
                    "--streams", "sensors",
                    "--stream.sensors.model", PipelineRun.SENSOR_MODEL.toString(),
                    "--stream.sensors.topics", "sensors",
                    "--kafka.bootstrap-servers", kafka.bootstrapServers(),
                    "--kafka.bounded", "true",
                    "--kafka.starting-offsets", "earliest",
                    "--scores.topic", "scores",
                    "--flink.parallelism.default", "1")), (stream, raw) -> raw);

            List<JsonNode> deadLetters = PipelineRun.readJson(kafka, "dead-letters");
            assertThat(deadLetters).as("dead letters (reasons: %s)", PipelineRun.countBy(deadLetters, "reason")).isEmpty();
            long scoredEvents = PipelineRun.readJson(kafka, "scores").stream().mapToLong(s -> s.path("events").asLong()).sum();
            assertThat(scoredEvents).isEqualTo(events.size());
        }
    }
}
