package io.vigil.alert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vigil.threshold.ScoreRecord;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class ScoreJsonTest {

    static final ScoreRecord SCORE =
            new ScoreRecord("sensors", "pump-17", AlertJsonTest.EVENT_TIME, 0.31, 1.486, false, 16);

    @Test
    void writesEveryFieldWithItsName() {
        String json = new String(new ScoreJson().toJson(SCORE), StandardCharsets.UTF_8);

        assertEquals("{\"stream\":\"sensors\",\"key\":\"pump-17\",\"event_time\":\"2026-11-22T10:00:00.123Z\","
                + "\"score\":0.31,\"threshold\":1.486,\"alert\":false,\"events\":16}", json);
    }

    @Test
    void kafkaRecordIsKeyedByEntityKeyAndTimestampedByTheProducer() {
        ProducerRecord<byte[], byte[]> record = ScoreJson.kafkaSchema("scores").serialize(SCORE, null, null);

        assertEquals("scores", record.topic());
        assertNull(record.partition());
        assertArrayEquals("pump-17".getBytes(StandardCharsets.UTF_8), record.key());
        assertArrayEquals(new ScoreJson().toJson(SCORE), record.value());
        assertNull(record.timestamp());
    }
}
