package io.vigil.deadletter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class DeadLetterJsonTest {

    private static DeadLetter letter(byte[] payload) {
        return new DeadLetter("malformed_json", "Unexpected end-of-input", "sensors", 0, 42, payload);
    }

    private static JsonNode read(byte[] json) throws Exception {
        return new ObjectMapper().readTree(json);
    }

    @Test
    void validUtf8PayloadIsWrittenAsText() {
        byte[] payload = "{\"sensor_id\":\"pompe-é\",".getBytes(StandardCharsets.UTF_8);

        String json = new String(new DeadLetterJson().toJson(letter(payload)), StandardCharsets.UTF_8);

        assertEquals("{\"reason\":\"malformed_json\",\"detail\":\"Unexpected end-of-input\",\"topic\":\"sensors\","
                + "\"partition\":0,\"offset\":42,\"payload\":\"{\\\"sensor_id\\\":\\\"pompe-é\\\",\","
                + "\"payload_encoding\":\"utf8\",\"payload_bytes\":24,\"payload_truncated\":false}", json);
    }

    @Test
    void invalidUtf8PayloadIsWrittenAsBase64() throws Exception {
        byte[] payload = {'{', (byte) 0xC3, '(', (byte) 0xFF, 0};

        JsonNode json = read(new DeadLetterJson().toJson(letter(payload)));

        assertEquals("base64", json.get("payload_encoding").asText());
        assertArrayEquals(payload, Base64.getDecoder().decode(json.get("payload").asText()));
        assertEquals(5, json.get("payload_bytes").asInt());
    }

    @Test
    void overlongUtf8EncodingIsWrittenAsBase64() throws Exception {
        // 0xC0 0xAF is an overlong '/', which a lenient decoder would accept or replace.
        byte[] payload = {'a', (byte) 0xC0, (byte) 0xAF};

        JsonNode json = read(new DeadLetterJson().toJson(letter(payload)));

        assertEquals("base64", json.get("payload_encoding").asText());
        assertArrayEquals(payload, Base64.getDecoder().decode(json.get("payload").asText()));
    }

    @Test
    void payloadAboveTheLimitIsCutAtACharacterBoundary() throws Exception {
        byte[] payload = "abé".getBytes(StandardCharsets.UTF_8); // a b 0xC3 0xA9

        JsonNode json = read(new DeadLetterJson(3).toJson(letter(payload)));

        assertEquals("ab", json.get("payload").asText(), "the cut must not split é into invalid UTF-8");
        assertEquals("utf8", json.get("payload_encoding").asText());
        assertEquals(4, json.get("payload_bytes").asInt());
        assertTrue(json.get("payload_truncated").asBoolean());
    }

    @Test
    void binaryPayloadAboveTheLimitIsCutToTheLimit() throws Exception {
        byte[] payload = {(byte) 0xFF, (byte) 0xFE, (byte) 0xFD, (byte) 0xFC};

        JsonNode json = read(new DeadLetterJson(2).toJson(letter(payload)));

        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xFE}, Base64.getDecoder().decode(json.get("payload").asText()));
        assertEquals("base64", json.get("payload_encoding").asText());
        assertTrue(json.get("payload_truncated").asBoolean());
    }

    @Test
    void recordWithoutValueHasNullPayload() throws Exception {
        JsonNode json = read(new DeadLetterJson().toJson(letter(null)));

        assertTrue(json.get("payload").isNull());
        assertTrue(json.get("payload_encoding").isNull());
        assertEquals(0, json.get("payload_bytes").asInt());
    }

    @Test
    void kafkaRecordIsKeyedBySourceCoordinates() {
        DeadLetter letter = letter("{".getBytes(StandardCharsets.UTF_8));

        ProducerRecord<byte[], byte[]> record = DeadLetterJson.kafkaSchema("dead-letters").serialize(letter, null, 7L);

        assertEquals("dead-letters", record.topic());
        assertArrayEquals("sensors/0/42".getBytes(StandardCharsets.UTF_8), record.key());
        assertArrayEquals(new DeadLetterJson().toJson(letter), record.value());
        assertNull(record.partition());
        assertNull(record.timestamp(), "the producer's clock stamps when the record was dead-lettered");
    }
}
