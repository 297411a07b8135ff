package io.vigil.sink;

import io.vigil.config.JobOptions.Delivery;
import io.vigil.config.JobSettings;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Writes one of the job's outputs (alerts, dead letters, scores) to Kafka with the configured
 * delivery guarantee. Exactly-once uses Kafka transactions that commit when a checkpoint
 * completes, so a read_committed consumer never sees output of a run that is later rolled back.
 */
public final class KafkaOutput {

    private KafkaOutput() {}

    /**
     * @param name the output's name; it is also the sink's uid and part of its transactional ids,
     *     so it must stay the same across savepoints
     */
    public static <T> void write(DataStream<T> stream, String name, KafkaRecordSerializationSchema<T> schema, JobSettings settings) {
        stream.sinkTo(sink(name, schema, settings)).uid(name + "-sink").name(name + "-sink");
    }

    static <T> KafkaSink<T> sink(String name, KafkaRecordSerializationSchema<T> schema, JobSettings settings) {
        boolean exactlyOnce = settings.delivery() == Delivery.EXACTLY_ONCE;
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setKafkaProducerConfig(settings.kafkaProperties())
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE);
        if (exactlyOnce) {
            builder.setTransactionalIdPrefix(settings.transactionalIdPrefix() + "-" + name)
                    .setProperty("transaction.timeout.ms", String.valueOf(settings.transactionTimeout().toMillis()));
        }
        return builder.build();
    }
}
