package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.generator.Generator.Generated;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real (in-process, default-configured) Kafka broker. */
class KafkaEventSinkTest {

    private static KafkaClusterTestKit kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build()).build();
        kafka.format();
        kafka.startup();
        kafka.waitForReadyBrokers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("sensors", 3, (short) 1), new NewTopic("transactions", 3, (short) 1)))
                    .all().get();
        }
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void everyRecordReachesItsTopicKeyedAndInOrderPerKeyOversizedOnesIncluded(@TempDir Path dir) throws Exception {
        GeneratorConfig config = GeneratorConfig.defaults()
                .withKeys(4).withEventsPerStream(600).withMalformedRate(0.05).withAnomalyRate(0.02);
        Generated expected = Generator.generate(config);
        assertTrue(expected.events().stream().anyMatch(e -> e.malformation() == Malformation.OVERSIZED));

        Path labels = dir.resolve("labels.jsonl");
        try (KafkaEventSink sink = new KafkaEventSink(kafka.bootstrapServers(), "sensors", "transactions", labels)) {
            new Generator(config).run(sink);
        }

        Map<String, List<byte[]>> sent = new HashMap<>();
        expected.events().forEach(e -> sent.computeIfAbsent(e.stream() + "/" + e.key(), k -> new ArrayList<>()).add(e.payload()));
        Map<String, List<byte[]>> received = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : consumeAll(expected.events().size())) {
            String key = record.topic() + "/" + new String(record.key(), StandardCharsets.UTF_8);
            received.computeIfAbsent(key, k -> new ArrayList<>()).add(record.value());
        }
        assertEquals(sent.keySet(), received.keySet());
        for (String key : sent.keySet()) {
            List<byte[]> a = sent.get(key);
            List<byte[]> b = received.get(key);
            assertEquals(a.size(), b.size(), key);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), key + " record " + i);
            }
        }
        assertEquals(expected.labels(), AnomalyLabel.readAll(labels));
    }

    private static List<ConsumerRecord<byte[], byte[]>> consumeAll(int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            // assigned, not subscribed: no consumer group, so no offsets topic on this one-broker cluster
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of("sensors", "transactions")) {
                for (int p = 0; p < 3; p++) {
                    partitions.add(new TopicPartition(topic, p));
                }
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (records.size() < count && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
