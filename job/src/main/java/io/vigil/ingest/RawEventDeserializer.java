package io.vigil.ingest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps each Kafka record as bytes with its coordinates. Parsing happens downstream in a
 * ProcessFunction, where a bad record becomes a dead letter instead of failing the source.
 */
public final class RawEventDeserializer implements KafkaRecordDeserializationSchema<RawEvent> {

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawEvent> out) {
        // A tombstone (null value) still gets a record, so that it is dead-lettered rather than lost,
        // with its payload null: its dead letter says "payload is absent", not "empty".
        out.collect(new RawEvent(record.topic(), record.partition(), record.offset(), record.timestamp(), record.value()));
    }

    @Override
    public TypeInformation<RawEvent> getProducedType() {
        return TypeInformation.of(RawEvent.class);
    }
}
