package io.vigil.sink;

import io.vigil.config.JobOptions.Delivery;
import io.vigil.config.JobSettings;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Writes one of the job's outputs (alerts, dead letters, scores) to Kafka with the configured
 * delivery guarantee. Exactly-once uses Kafka transactions that commit when a checkpoint
 * completes, so a read_committed consumer never sees output of a run that is later rolled back.
 *
 * <p>Each subtask takes its transactional ids from a small pool and reuses them, rather than one
 * new id per checkpoint: the broker keeps state for every id for a week, and a reused id repairs a
 * transaction the broker left unfinished. Kafka's transaction coordinator reports a commit done
 * without writing its markers to a partition that has no leader at that moment (a single-replica
 * partition whose broker is restarting); the records stay invisible to read_committed consumers,
 * and so does everything after them in that partition. The next transaction of the same producer
 * id on that partition ends with a marker that commits them too (docs/deploy.md).
 */
public final class KafkaOutput {

    private KafkaOutput() {}

    /**
     * @param name the output's name; it is also the sink's uid and part of its transactional ids,
     *     so it must stay the same across savepoints
     */
    public static <T> void write(DataStream<T> stream, String name, TopicRecords<T> records, JobSettings settings) {
        stream.sinkTo(sink(name, records, settings)).uid(name + "-sink").name(name + "-sink");
    }

    static <T> KafkaSink<T> sink(String name, TopicRecords<T> records, JobSettings settings) {
        boolean exactlyOnce = settings.delivery() == Delivery.EXACTLY_ONCE;
        var builder = KafkaSink.<T>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setKafkaProducerConfig(settings.kafkaProperties())
                .setRecordSerializer(records)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE);
        if (exactlyOnce) {
            builder.setTransactionalIdPrefix(settings.transactionalIdPrefix() + "-" + name)
                    .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                    .setProperty("transaction.timeout.ms", String.valueOf(settings.transactionTimeout().toMillis()));
        }
        return builder.build();
    }
}
