package io.vigil.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterJson;
import io.vigil.parse.FeatureExtractor;
import io.vigil.testing.TestContracts;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** A tombstone (a record with a null value) is told apart from an empty record all the way to its dead letter. */
class RawEventDeserializerTest {

    private static RawEvent deserialize(byte[] value) {
        List<RawEvent> out = new ArrayList<>();
        new RawEventDeserializer().deserialize(new ConsumerRecord<>("sensors", 3, 42L, "pump-1".getBytes(), value),
                new Collector<>() {
                    @Override
                    public void collect(RawEvent record) {
                        out.add(record);
                    }

                    @Override
                    public void close() {}
                });
        assertEquals(1, out.size());
        return out.get(0);
    }

    @Test
    void aTombstoneIsReadAsAnAbsentPayloadAndDeadLetteredAsOne() throws Exception {
        RawEvent tombstone = deserialize(null);
        assertNull(tombstone.payload());
        assertEquals(3, tombstone.partition());
        assertEquals(42L, tombstone.offset());

        var rejected = (FeatureExtractor.Rejected) new FeatureExtractor(TestContracts.tiny())
                .extract(tombstone.payload());
        assertTrue(rejected.detail().contains("payload is absent"), rejected.detail());
        JsonNode letter = new ObjectMapper().readTree(new DeadLetterJson().toJson(
                DeadLetter.of(rejected.reason(), rejected.detail(), tombstone)));
        assertTrue(letter.get("payload").isNull());
        assertTrue(letter.get("payload_encoding").isNull());

        JsonNode empty = new ObjectMapper().readTree(new DeadLetterJson().toJson(
                DeadLetter.of(rejected.reason(), "payload is empty", deserialize(new byte[0]))));
        assertEquals("", empty.get("payload").asText());
        assertEquals("utf8", empty.get("payload_encoding").asText());
    }

    @Test
    void anAbsentPayloadCrossesFlinksSerializer() throws Exception {
        TypeSerializer<RawEvent> serializer = new RawEventDeserializer().getProducedType().createSerializer(new SerializerConfigImpl());
        DataOutputSerializer bytes = new DataOutputSerializer(64);
        serializer.serialize(deserialize(null), bytes);
        RawEvent back = serializer.deserialize(new DataInputDeserializer(bytes.getCopyOfBuffer()));
        assertNull(back.payload());
        assertEquals(42L, back.offset());
    }
}
