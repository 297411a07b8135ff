package io.vigil.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.generator.Generator.Generated;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The payloads: the documented JSON for good records, and each malformation breaking what its name says. */
class EventFormatTest {

    /** A plain parser, as the job's would be: not the generator's own mapper. */
    private static final ObjectMapper PARSER = new ObjectMapper();

    @Test
    void wellFormedEventsHaveTheDocumentedFieldsAndBothTimestampForms() throws IOException {
        Generated run = Generator.generate(GeneratorConfig.defaults().withKeys(10).withEventsPerStream(5_000));
        int epochForm = 0;
        for (GeneratedEvent event : run.events()) {
            JsonNode json = PARSER.readTree(event.payload());
            JsonNode ts = json.get("ts");
            if (ts.isIntegralNumber()) {
                epochForm++;
                assertEquals(event.timestamp(), ts.asLong());
            } else {
                assertTrue(ts.asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), ts.asText());
                assertEquals(event.timestamp(), Instant.parse(ts.asText()).toEpochMilli());
            }
            if (event.stream().equals(Generator.SENSORS)) {
                assertEquals(List.of("sensor_id", "ts", "values"), fieldNames(json));
                assertEquals(event.key(), json.get("sensor_id").asText());
                assertTrue(event.key().matches("pump-\\d{4}"), event.key());
                assertEquals(SensorSimulator.CHANNELS, fieldNames(json.get("values")));
                json.get("values").forEach(v -> assertTrue(v.isNumber() && Double.isFinite(v.asDouble()), json.toString()));
            } else {
                assertEquals(List.of("account_id", "ts", "amount", "currency", "merchant_category", "channel", "merchant_id"),
                        fieldNames(json));
                assertEquals(event.key(), json.get("account_id").asText());
                assertTrue(event.key().matches("acc-\\d{5}"), event.key());
                assertTrue(json.get("amount").isNumber() && json.get("amount").asDouble() > 0, json.toString());
                assertEquals("EUR", json.get("currency").asText());
                assertTrue(json.get("merchant_id").asText().matches("m-\\d{4}"), json.toString());
            }
        }
        double fraction = epochForm / (double) run.events().size();
        assertTrue(fraction > 0.08 && fraction < 0.12, "epoch-ms timestamps: " + fraction);
    }

    @Test
    void malformedFractionIsTheRequestedRateAndEveryKindOccursInEachStream() {
        Generated run = Generator.generate(GeneratorConfig.defaults()
                .withKeys(10).withEventsPerStream(2_000).withMalformedRate(0.05).withAnomalyRate(0.005));
        for (String stream : List.of(Generator.SENSORS, Generator.TRANSACTIONS)) {
            List<GeneratedEvent> events = run.events().stream().filter(e -> e.stream().equals(stream)).toList();
            long malformed = events.stream().filter(GeneratedEvent::malformed).count();
            assertEquals(0.05, malformed / (double) events.size(), 0.005, stream);
            Map<Malformation, Long> kinds = new EnumMap<>(Malformation.class);
            events.stream().filter(GeneratedEvent::malformed).forEach(e -> kinds.merge(e.malformation(), 1L, Long::sum));
            assertEquals(Malformation.values().length, kinds.size(), stream + ": " + kinds);
        }
        assertEquals(run.events().stream().filter(GeneratedEvent::malformed).count(), run.summary().malformed());
    }

    @Test
    void eachMalformationBreaksTheRecordTheWayItsDeadLetterReasonSays() throws IOException {
        Generated run = Generator.generate(GeneratorConfig.defaults()
                .withKeys(5).withEventsPerStream(1_000).withMalformedRate(0.1).withEpochTimestampFraction(0.5));
        int checked = 0;
        for (GeneratedEvent event : run.events()) {
            if (event.malformed()) {
                check(event);
                checked++;
            }
        }
        assertEquals(200, checked, 20);
    }

    private static void check(GeneratedEvent event) throws IOException {
        byte[] payload = event.payload();
        String keyField = event.stream().equals(Generator.SENSORS) ? "sensor_id" : "account_id";
        Malformation kind = event.malformation();
        String what = kind + " " + new String(payload, 0, Math.min(payload.length, 300), StandardCharsets.UTF_8);
        switch (kind) {
            case TRUNCATED_JSON -> assertThrows(JsonProcessingException.class, () -> PARSER.readTree(payload), what);
            case INVALID_UTF8 -> {
                assertThrows(CharacterCodingException.class,
                        () -> StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(payload)), what);
                assertThrows(JsonProcessingException.class, () -> PARSER.readTree(payload), what);
            }
            case NOT_AN_OBJECT -> {
                JsonNode json = PARSER.readTree(payload);
                assertTrue(json.isArray() || json.isTextual(), what);
            }
            default -> {
                JsonNode json = PARSER.readTree(payload);
                assertTrue(json.isObject(), what);
                JsonNode key = json.get(keyField);
                JsonNode ts = json.get("ts");
                List<JsonNode> features = features(event, json);
                boolean keyOk = key != null && key.isTextual() && !key.asText().isEmpty();
                boolean tsOk = ts != null && (ts.isIntegralNumber() || parses(ts.asText()));
                boolean featuresPresent = features.stream().allMatch(f -> f != null);
                boolean featuresNumeric = featuresPresent && features.stream().allMatch(JsonNode::isNumber);
                boolean featuresFinite = featuresNumeric && features.stream().allMatch(f -> Double.isFinite(f.asDouble()));
                switch (kind) {
                    case MISSING_KEY -> assertFalse(keyOk, what);
                    case BAD_TIMESTAMP -> assertTrue(keyOk && !tsOk, what);
                    case MISSING_FEATURE -> assertTrue(keyOk && tsOk && !featuresPresent, what);
                    case NON_NUMERIC_FEATURE -> assertTrue(keyOk && tsOk && featuresPresent && !featuresNumeric, what);
                    case NON_FINITE_FEATURE -> {
                        assertTrue(keyOk && tsOk && featuresNumeric && !featuresFinite, what);
                        assertTrue(new String(payload, StandardCharsets.UTF_8).contains("E+999"), what);
                    }
                    case OVERSIZED -> {
                        assertTrue(keyOk && tsOk && featuresFinite, what);
                        assertTrue(payload.length > 1024 * 1024, "size " + payload.length);
                    }
                    default -> fail("unexpected " + kind);
                }
            }
        }
        assertTrue(kind == Malformation.OVERSIZED || payload.length < 1024, what);
        assertFalse(containsNewline(payload), "a record is one line: " + what);
    }

    private static List<JsonNode> features(GeneratedEvent event, JsonNode json) {
        if (event.stream().equals(Generator.TRANSACTIONS)) {
            return java.util.Collections.singletonList(json.get("amount"));
        }
        JsonNode values = json.get("values");
        return SensorSimulator.CHANNELS.stream().map(values::get).toList();
    }

    private static boolean parses(String text) {
        try {
            Instant.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean containsNewline(byte[] payload) {
        for (byte b : payload) {
            if (b == '\n') {
                return true;
            }
        }
        return false;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
