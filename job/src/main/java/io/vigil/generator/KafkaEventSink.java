package io.vigil.generator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends each record to its stream's topic, keyed by the entity key (so a key's events share a
 * partition and keep their order), with acks=all and idempotence on. Labels go to a file, if one is
 * given. The first failed send fails the next call (or {@link #close()}).
 *
 * <p>The Kafka record timestamp is left to the producer (the send time): the event time is in the
 * payload, and simulated times from the past would otherwise fall under time-based retention at once.
 */
public final class KafkaEventSink implements EventSink {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String sensorTopic;
    private final String transactionTopic;
    private final LabelWriter labels;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    /**
     * @param labelsFile where labels go as JSON lines; null to drop them (they are still in the
     *     {@link Generator}'s summary)
     */
    public KafkaEventSink(String bootstrapServers, String sensorTopic, String transactionTopic, Path labelsFile)
            throws IOException {
        this(producerConfig(bootstrapServers), sensorTopic, transactionTopic, labelsFile);
    }

    /** With the given producer settings (start from {@link #producerConfig(String)} to add security settings). */
    public KafkaEventSink(Properties producerConfig, String sensorTopic, String transactionTopic, Path labelsFile)
            throws IOException {
        this.sensorTopic = sensorTopic;
        this.transactionTopic = transactionTopic;
        this.labels = labelsFile == null ? null : new LabelWriter(labelsFile);
        this.producer = new KafkaProducer<>(producerConfig);
    }

    /** Producer settings: acks=all, idempotence, byte-array key and value, lz4, room for oversized records. */
    public static Properties producerConfig(String bootstrapServers) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "vigil-generator");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        // The producer checks a record's uncompressed size against max.request.size, the broker a
        // compressed batch against message.max.bytes (1 MiB by default): with lz4, the padded
        // oversized records (1 MiB + 1 KiB, highly compressible) reach the topic on a default broker.
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(4 * 1024 * 1024));
        return config;
    }

    @Override
    public void event(GeneratedEvent event) throws IOException {
        throwIfFailed();
        String topic = Generator.SENSORS.equals(event.stream()) ? sensorTopic : transactionTopic;
        ProducerRecord<byte[], byte[]> record =
                new ProducerRecord<>(topic, event.key().getBytes(StandardCharsets.UTF_8), event.payload());
        producer.send(record, (metadata, exception) -> {
            if (exception != null) {
                failure.compareAndSet(null, exception);
            }
        });
    }

    @Override
    public void label(AnomalyLabel label) throws IOException {
        if (labels != null) {
            labels.write(label);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            producer.close(Duration.ofSeconds(30));
        } finally {
            if (labels != null) {
                labels.close();
            }
        }
        throwIfFailed();
    }

    private void throwIfFailed() throws IOException {
        Exception e = failure.get();
        if (e != null) {
            throw new IOException("sending to Kafka failed: " + e.getMessage(), e);
        }
    }
}
