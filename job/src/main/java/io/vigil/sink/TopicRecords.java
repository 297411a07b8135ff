package io.vigil.sink;

import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka records of one of the job's outputs: one topic, key and value from the element, partition
 * by key. No timestamp is set, so the producer stamps the time of writing: brokers reject
 * timestamps more than an hour ahead of their clock and delete records older than the retention,
 * and event time may be anywhere (a replay of last month, a device with a fast clock). Event time
 * is in the value.
 *
 * <p>It names its topic to the sink, which looks there for transactions a previous run left open
 * ({@link KafkaOutput}).
 */
public abstract class TopicRecords<T> implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;

    private final String topic;

    protected TopicRecords(String topic) {
        this.topic = topic;
    }

    /** The record key, or null for none. */
    protected abstract byte[] key(T element);

    protected abstract byte[] value(T element);

    @Override
    public final ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, null, key(element), value(element));
    }

    @Override
    public final Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }
}
