package io.vigil.alert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class AlertJsonTest {

    /** 2026-11-22T10:00:00.123Z */
    static final long EVENT_TIME = 1_795_341_600_123L;

    static Alert alert(long eventTime, FeatureContribution... features) {
        return new Alert("3f2a", "sensors", "pump-17", eventTime, 1.234, 0.456, 43,
                "sensor-autoencoder", "1.0.0", "pot", "9c1e", IncidentPhase.UPDATE, eventTime - 2_000, 3, features);
    }

    @Test
    void writesEveryFieldWithItsName() {
        Alert alert = alert(EVENT_TIME,
                new FeatureContribution("temperature", 71.2f, 60.1f, 12.3f),
                new FeatureContribution("pressure", 1.5f, 1.25f, 0.5f));

        String json = new String(new AlertJson().toJson(alert), StandardCharsets.UTF_8);

        assertEquals("{\"alert_id\":\"3f2a\",\"stream\":\"sensors\",\"key\":\"pump-17\","
                + "\"event_time\":\"2026-11-22T10:00:00.123Z\",\"score\":1.234,\"threshold\":0.456,\"severity\":43,"
                + "\"method\":\"pot\",\"incident_id\":\"9c1e\",\"incident\":\"update\","
                + "\"incident_start\":\"2026-11-22T09:59:58.123Z\",\"incident_anomalies\":3,"
                + "\"model\":{\"name\":\"sensor-autoencoder\",\"version\":\"1.0.0\"},"
                + "\"top_features\":[{\"feature\":\"temperature\",\"observed\":71.2,\"expected\":60.1,\"error\":12.3},"
                + "{\"feature\":\"pressure\",\"observed\":1.5,\"expected\":1.25,\"error\":0.5}]}", json);
    }

    @Test
    void eventTimeAlwaysHasThreeFractionDigits() {
        String json = new String(new AlertJson().toJson(alert(0)), StandardCharsets.UTF_8);

        assertTrue(json.contains("\"event_time\":\"1970-01-01T00:00:00.000Z\""), json);
        assertTrue(json.endsWith("\"top_features\":[]}"), json);
    }

    @Test
    void kafkaRecordIsKeyedByEntityKeyAndTimestampedByTheProducer() {
        Alert alert = alert(EVENT_TIME);

        ProducerRecord<byte[], byte[]> record = AlertJson.kafkaSchema("alerts").serialize(alert, null, 5L);

        assertEquals("alerts", record.topic());
        assertNull(record.partition(), "the key decides the partition");
        assertArrayEquals("pump-17".getBytes(StandardCharsets.UTF_8), record.key());
        assertArrayEquals(new AlertJson().toJson(alert), record.value());
        // Event time may be hours ahead of or months behind the broker's clock: it stays in the JSON only.
        assertNull(record.timestamp());
    }
}
