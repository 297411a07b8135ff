package io.vigil.parse;

import static io.vigil.testing.TestContracts.AMOUNT;
import static io.vigil.testing.TestContracts.CHANNEL_ONLINE;
import static io.vigil.testing.TestContracts.CHANNEL_POS;
import static io.vigil.testing.TestContracts.GAP;
import static io.vigil.testing.TestContracts.HOUR_COS;
import static io.vigil.testing.TestContracts.HOUR_SIN;
import static io.vigil.testing.TestContracts.TEMPERATURE;
import static java.nio.charset.StandardCharsets.UTF_16BE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.ingest.RawEvent;
import io.vigil.model.ModelContract;
import io.vigil.testing.RecordingMetrics;
import io.vigil.testing.TestContracts;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventParserTest {

    private static final int MAX_PAYLOAD_BYTES = 512;
    private static final String VALID = """
            {"sensor_id":"s-1","ts":"2026-11-22T10:30:00Z","values":{"temperature":21.5},"amount":99,"channel":"online"}""";
    private static final long VALID_TS = Instant.parse("2026-11-22T10:30:00Z").toEpochMilli();

    private final RecordingMetrics metrics = new RecordingMetrics();
    private OneInputStreamOperatorTestHarness<RawEvent, Event> harness;

    private void open(ModelContract contract, String keyPath, String timestampPath) throws Exception {
        harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new EventParser(contract, keyPath, timestampPath, MAX_PAYLOAD_BYTES)),
                metrics.environment());
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private static RawEvent raw(byte[] payload) {
        return new RawEvent("sensors", 3, 42L, 1_000L, payload);
    }

    private static RawEvent raw(String json) {
        return raw(json.getBytes(UTF_8));
    }

    /** The valid event with one field's JSON replaced: {@code with("\"ts\":\"…\"", "\"ts\":1")}. */
    private static String with(String field, String replacement) {
        assertTrue(VALID.contains(field), field);
        return VALID.replace(field, replacement);
    }

    /** Processes one record on a fresh output, opening the parser for the tiny contract if needed. */
    private void process(RawEvent raw) throws Exception {
        if (harness == null) {
            open(TestContracts.tiny(), null, null);
        }
        harness.getOutput().clear();
        var side = harness.getSideOutput(EventParser.DEAD_LETTERS);
        if (side != null) {
            side.clear();
        }
        harness.processElement(raw, 0L);
    }

    private Event parse(RawEvent raw) throws Exception {
        process(raw);
        List<Event> events = harness.extractOutputValues();
        assertEquals(List.of(), deadLetters(), "dead letters");
        assertEquals(1, events.size());
        return events.get(0);
    }

    private Event parse(String json) throws Exception {
        return parse(raw(json));
    }

    private DeadLetter reject(RawEvent raw) throws Exception {
        process(raw);
        assertEquals(List.of(), harness.extractOutputValues(), "events");
        List<DeadLetter> deadLetters = deadLetters();
        assertEquals(1, deadLetters.size());
        return deadLetters.get(0);
    }

    private DeadLetter reject(String json) throws Exception {
        return reject(raw(json));
    }

    private List<DeadLetter> deadLetters() {
        var side = harness.getSideOutput(EventParser.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    @Test
    void validEventBecomesEncodedColumnsWithDerivedColumnsNaN() throws Exception {
        RawEvent raw = raw(VALID);
        Event event = parse(raw);

        assertEquals("s-1", event.key());
        assertEquals(VALID_TS, event.timestamp());
        float[] expected = {21.5f, (float) Math.log1p(99), 0f, 1f, Float.NaN, Float.NaN, Float.NaN};
        assertArrayEquals(expected, event.columns());
        assertEquals(raw.offset(), event.source().offset());
        assertArrayEquals(raw.payload(), event.source().payload());
        assertEquals(1, metrics.count("eventsParsed"));
    }

    @Test
    void log1pKeepsTheSignOfNegativeNumbers() throws Exception {
        Event event = parse(with("\"amount\":99", "\"amount\":-99"));
        assertEquals((float) -Math.log1p(99), event.columns()[AMOUNT]);
    }

    @Test
    void onehotValueOutsideTheCategoriesSetsNoColumn() throws Exception {
        Event event = parse(with("\"channel\":\"online\"", "\"channel\":\"phone\""));
        assertEquals(0f, event.columns()[CHANNEL_POS]);
        assertEquals(0f, event.columns()[CHANNEL_ONLINE]);
    }

    @Test
    void isoTimestampWithOffsetIsTheSameInstant() throws Exception {
        Event event = parse(with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":\"2026-11-22T12:30:00+02:00\""));
        assertEquals(VALID_TS, event.timestamp());
    }

    @Test
    void isoTimestampFractionIsTruncatedToMilliseconds() throws Exception {
        Event event = parse(with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":\"2026-11-22T10:30:00.123999Z\""));
        assertEquals(VALID_TS + 123, event.timestamp());
    }

    @Test
    void integerTimestampIsEpochMilliseconds() throws Exception {
        Event event = parse(with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":" + (VALID_TS + 7)));
        assertEquals(VALID_TS + 7, event.timestamp());
    }

    @Test
    void numericKeyIsTakenAsItsDecimalText() throws Exception {
        assertEquals("17", parse(with("\"sensor_id\":\"s-1\"", "\"sensor_id\":17")).key());
        assertEquals("123456789012345678901234567890",
                parse(with("\"sensor_id\":\"s-1\"", "\"sensor_id\":123456789012345678901234567890")).key());
    }

    @Test
    void keyAndTimestampPathsCanBeOverridden() throws Exception {
        open(TestContracts.tiny(), "/device/id", "meta.time");
        Event event = parse("""
                {"device":{"id":"d-9"},"meta":{"time":1000},"values":{"temperature":1},"amount":0,"channel":"pos"}""");
        assertEquals("d-9", event.key());
        assertEquals(1000L, event.timestamp());
    }

    @Test
    void invalidPathOverrideFailsWhenTheParserIsBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EventParser(TestContracts.tiny(), "device..id", null, MAX_PAYLOAD_BYTES));
        assertTrue(e.getMessage().contains("device..id"), e.getMessage());
    }

    @Test
    void nonPositiveMaxPayloadBytesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EventParser(TestContracts.tiny(), null, null, 0));
    }

    // ---- malformed_json

    @ParameterizedTest
    @ValueSource(strings = {
        "not json",
        "[1, 2, 3]",
        "\"a string\"",
        "42",
        "null",
        "",
        "   ",
        "{\"sensor_id\":\"s-1\"",
        "{\"sensor_id\":\"s-1\"} {\"sensor_id\":\"s-2\"}",
        "{\"sensor_id\":\"s-1\",\"values\":{\"temperature\":NaN}}",
        "{'sensor_id':'s-1'}",
    })
    void payloadThatIsNotAJsonObjectIsMalformed(String payload) throws Exception {
        assertEquals(DeadLetterReason.MALFORMED_JSON.code(), reject(payload).reason());
    }

    @Test
    void jsonArrayIsMalformedWithItsTypeNamed() throws Exception {
        assertEquals("payload is a JSON array, not an object", reject("[{\"sensor_id\":\"s-1\"}]").detail());
    }

    @Test
    void latin1BytesAreMalformed() throws Exception {
        byte[] latin1 = with("\"channel\":\"online\"", "\"channel\":\"caf\u00e9\"").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        DeadLetter deadLetter = reject(raw(latin1));
        assertEquals(DeadLetterReason.MALFORMED_JSON.code(), deadLetter.reason());
        assertTrue(deadLetter.detail().contains("not UTF-8"), deadLetter.detail());
    }

    @Test
    void overlongUtf8ThatJacksonWouldDecodeIsMalformed() throws Exception {
        // C0 AF is an overlong '/': invalid UTF-8, which a lenient decoder turns into a slash.
        byte[] payload = {'{', '"', 'k', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        assertEquals(DeadLetterReason.MALFORMED_JSON.code(), reject(raw(payload)).reason());
    }

    @Test
    void utf16EncodedJsonIsMalformed() throws Exception {
        assertEquals(DeadLetterReason.MALFORMED_JSON.code(), reject(raw(VALID.getBytes(UTF_16BE))).reason());
    }

    @Test
    void nullPayloadIsMalformed() throws Exception {
        assertEquals(DeadLetterReason.MALFORMED_JSON.code(), reject(raw((byte[]) null)).reason());
    }

    @Test
    void multiByteUtf8TextIsAccepted() throws Exception {
        assertEquals("capteur-é-€-😀", parse(with("\"sensor_id\":\"s-1\"", "\"sensor_id\":\"capteur-é-€-😀\"")).key());
    }

    // ---- oversized

    @Test
    void payloadOverTheLimitIsOversizedAndOneAtTheLimitIsParsed() throws Exception {
        String atLimit = VALID + " ".repeat(MAX_PAYLOAD_BYTES - VALID.length());
        assertEquals(MAX_PAYLOAD_BYTES, atLimit.getBytes(UTF_8).length);
        parse(atLimit);

        DeadLetter deadLetter = reject(atLimit + " ");
        assertEquals(DeadLetterReason.OVERSIZED.code(), deadLetter.reason());
        assertEquals("payload is 513 bytes, more than parse.max-payload-bytes = 512", deadLetter.detail());
    }

    @Test
    void oversizedIsCheckedBeforeTheBytesAreParsed() throws Exception {
        byte[] garbage = new byte[MAX_PAYLOAD_BYTES + 1];
        assertEquals(DeadLetterReason.OVERSIZED.code(), reject(raw(garbage)).reason());
    }

    // ---- missing_key

    @ParameterizedTest
    @ValueSource(strings = {"", "\"sensor_id\":null,", "\"sensor_id\":\"\",", "\"sensor_id\":true,",
        "\"sensor_id\":1.5,", "\"sensor_id\":{\"id\":1},", "\"sensor_id\":[\"s-1\"],"})
    void keyThatIsAbsentNullEmptyOrNotAStringOrIntegerIsMissing(String keyField) throws Exception {
        DeadLetter deadLetter = reject(with("\"sensor_id\":\"s-1\",", keyField));
        assertEquals(DeadLetterReason.MISSING_KEY.code(), deadLetter.reason());
        assertTrue(deadLetter.detail().startsWith("key at sensor_id is "), deadLetter.detail());
    }

    @Test
    void missingKeyDetailSaysWhatWasFound() throws Exception {
        assertEquals("key at sensor_id is missing", reject(with("\"sensor_id\":\"s-1\",", "")).detail());
        assertEquals("key at sensor_id is an empty string", reject(with("\"sensor_id\":\"s-1\"", "\"sensor_id\":\"\"")).detail());
        assertEquals("key at sensor_id is 1.5, not a string or an integer",
                reject(with("\"sensor_id\":\"s-1\"", "\"sensor_id\":1.5")).detail());
    }

    // ---- bad_timestamp

    @ParameterizedTest
    @ValueSource(strings = {"", "\"ts\":null,", "\"ts\":\"yesterday\",", "\"ts\":\"2026-11-22T10:30:00\",",
        "\"ts\":\"2026-11-22 10:30:00Z\",", "\"ts\":\"2023-02-29T10:30:00Z\",", "\"ts\":\"2026-13-01T10:30:00Z\",",
        "\"ts\":1.7953434E12,", "\"ts\":true,", "\"ts\":99999999999999999999,", "\"ts\":\"1795343400000\","})
    void timestampThatIsAbsentOrNotIsoOrEpochMillisIsBad(String timestampField) throws Exception {
        DeadLetter deadLetter = reject(with("\"ts\":\"2026-11-22T10:30:00Z\",", timestampField));
        assertEquals(DeadLetterReason.BAD_TIMESTAMP.code(), deadLetter.reason());
        assertTrue(deadLetter.detail().startsWith("timestamp at ts is "), deadLetter.detail());
    }

    @Test
    void badTimestampDetailNamesTheValue() throws Exception {
        assertEquals("timestamp at ts is \"2026-11-22T10:30:00\", not an ISO-8601 instant with a zone offset",
                reject(with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":\"2026-11-22T10:30:00\"")).detail());
    }

    // ---- missing_feature

    @Test
    void absentOrNullFeatureIsMissing() throws Exception {
        DeadLetter absent = reject(with("\"values\":{\"temperature\":21.5}", "\"values\":{}"));
        assertEquals(DeadLetterReason.MISSING_FEATURE.code(), absent.reason());
        assertEquals("feature 'temperature' at values.temperature is missing", absent.detail());

        DeadLetter noParent = reject(with("\"values\":{\"temperature\":21.5},", ""));
        assertEquals(DeadLetterReason.MISSING_FEATURE.code(), noParent.reason());

        DeadLetter nullAmount = reject(with("\"amount\":99", "\"amount\":null"));
        assertEquals(DeadLetterReason.MISSING_FEATURE.code(), nullAmount.reason());
        assertEquals("feature 'amount' at /amount is null", nullAmount.detail());

        DeadLetter noChannel = reject(with(",\"channel\":\"online\"", ""));
        assertEquals(DeadLetterReason.MISSING_FEATURE.code(), noChannel.reason());
    }

    // ---- non_numeric_feature

    @Test
    void stringWhereANumberIsNeededIsNonNumeric() throws Exception {
        DeadLetter deadLetter = reject(with("\"temperature\":21.5", "\"temperature\":\"hot\""));
        assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE.code(), deadLetter.reason());
        assertEquals("feature 'temperature' at values.temperature is \"hot\", not a number", deadLetter.detail());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"NaN\"", "\"Infinity\"", "\"21.5\"", "true", "{\"c\":21.5}", "[21.5]"})
    void nonNumberValuesOfNumericFeaturesAreNonNumeric(String value) throws Exception {
        DeadLetter deadLetter = reject(with("\"temperature\":21.5", "\"temperature\":" + value));
        assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE.code(), deadLetter.reason());
    }

    @Test
    void onehotValueThatIsNeitherStringNorNumberIsNonNumeric() throws Exception {
        DeadLetter deadLetter = reject(with("\"channel\":\"online\"", "\"channel\":true"));
        assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE.code(), deadLetter.reason());
        assertEquals("feature 'channel' at channel is true, not a string or a number", deadLetter.detail());
    }

    // ---- non_finite_feature

    @ParameterizedTest
    @ValueSource(strings = {"1e999", "-1e999", "1e400000000", "1" + "000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"})
    void numberBeyondTheDoubleRangeIsNonFinite(String value) throws Exception {
        DeadLetter deadLetter = reject(with("\"temperature\":21.5", "\"temperature\":" + value));
        assertEquals(DeadLetterReason.NON_FINITE_FEATURE.code(), deadLetter.reason());
        assertTrue(deadLetter.detail().startsWith("feature 'temperature' at values.temperature is "), deadLetter.detail());
    }

    @Test
    void numberThatEncodesBeyondFloat32IsNonFinite() throws Exception {
        DeadLetter deadLetter = reject(with("\"temperature\":21.5", "\"temperature\":1e300"));
        assertEquals(DeadLetterReason.NON_FINITE_FEATURE.code(), deadLetter.reason());
        assertEquals("feature 'temperature' at values.temperature is 1.0E300, beyond the range of float32", deadLetter.detail());
    }

    @Test
    void numberThatNormalizesBeyondFloat32IsNonFinite() throws Exception {
        ModelContract tiny = TestContracts.tiny();
        float[] std = tiny.normalization().std().clone();
        std[TEMPERATURE] = 0.5f;
        open(TestContracts.tiny(tiny.normalization().mean(), std), null, null);

        parse(with("\"temperature\":21.5", "\"temperature\":1e38"));
        DeadLetter deadLetter = reject(with("\"temperature\":21.5", "\"temperature\":3e38"));
        assertEquals(DeadLetterReason.NON_FINITE_FEATURE.code(), deadLetter.reason());
    }

    // ---- order, contents, metrics, robustness

    @Test
    void firstFailingCheckIsReportedInContractOrder() throws Exception {
        assertEquals(DeadLetterReason.MISSING_KEY.code(), reject("{\"ts\":\"soon\"}").reason());
        assertEquals(DeadLetterReason.BAD_TIMESTAMP.code(), reject("{\"sensor_id\":\"s\",\"ts\":\"soon\"}").reason());
        DeadLetter twoBadFeatures = reject(with("\"temperature\":21.5", "\"temperature\":\"hot\"").replace("\"amount\":99", "\"amount\":1e999"));
        assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE.code(), twoBadFeatures.reason());
    }

    @Test
    void deadLetterKeepsTheOriginalBytesAndKafkaCoordinates() throws Exception {
        byte[] payload = "[\"not an object\"]".getBytes(UTF_8);
        DeadLetter deadLetter = reject(new RawEvent("payments", 7, 123_456L, 99L, payload));
        assertEquals("payments", deadLetter.topic());
        assertEquals(7, deadLetter.partition());
        assertEquals(123_456L, deadLetter.offset());
        assertArrayEquals(payload, deadLetter.payload());
    }

    @Test
    void eachReasonIsCountedInItsOwnCounter() throws Exception {
        open(TestContracts.tiny(), null, null);
        String[] inputs = {
            VALID,
            VALID,
            "[]",
            "x".repeat(MAX_PAYLOAD_BYTES + 1),
            with("\"sensor_id\":\"s-1\",", ""),
            with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":\"now\""),
            with("\"ts\":\"2026-11-22T10:30:00Z\"", "\"ts\":\"then\""),
            with("\"amount\":99", "\"amount\":null"),
            with("\"amount\":99", "\"amount\":\"lots\""),
            with("\"amount\":99", "\"amount\":1e999"),
        };
        for (String input : inputs) {
            harness.processElement(raw(input), 0L);
        }
        assertEquals(2, metrics.count("eventsParsed"));
        assertEquals(1, metrics.count("deadLetters.malformed_json"));
        assertEquals(1, metrics.count("deadLetters.oversized"));
        assertEquals(1, metrics.count("deadLetters.missing_key"));
        assertEquals(2, metrics.count("deadLetters.bad_timestamp"));
        assertEquals(1, metrics.count("deadLetters.missing_feature"));
        assertEquals(1, metrics.count("deadLetters.non_numeric_feature"));
        assertEquals(1, metrics.count("deadLetters.non_finite_feature"));
        assertEquals(8, deadLetters().size());
    }

    @Test
    void arbitraryBytesNeverMakeTheParserThrow() throws Exception {
        open(TestContracts.tiny(), null, null);
        Random random = new Random(20261122);
        byte[] valid = VALID.getBytes(UTF_8);
        String jsonish = "{}[]\":,.-+eE0123456789 tnfaul\\";
        int records = 20_000;
        for (int i = 0; i < records; i++) {
            byte[] payload;
            if (i % 2 == 0) {
                payload = new byte[random.nextInt(64)];
                random.nextBytes(payload);
            } else {
                // Mostly-valid JSON with a few bytes flipped, cut or repeated: reaches the deeper checks.
                payload = valid.clone();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    payload[random.nextInt(payload.length)] = (byte) (random.nextBoolean()
                            ? jsonish.charAt(random.nextInt(jsonish.length())) : random.nextInt(256));
                }
                if (random.nextInt(4) == 0) {
                    payload = java.util.Arrays.copyOf(payload, random.nextInt(payload.length));
                }
            }
            harness.processElement(raw(payload), 0L);
        }
        assertEquals(records, harness.extractOutputValues().size() + deadLetters().size());
        assertTrue(deadLetters().stream().allMatch(d -> d.detail() != null && !d.detail().isEmpty()));
        // The mutations reach past the JSON check: the test exercises the field checks too.
        var reasons = deadLetters().stream().map(DeadLetter::reason).collect(Collectors.toSet());
        assertTrue(reasons.size() >= 4, reasons.toString());
        assertTrue(harness.extractOutputValues().size() > 0);
    }

    @Test
    void parserSurvivesJavaSerializationAsFlinkShipsIt() throws Exception {
        EventParser copy = InstantiationUtil.clone(new EventParser(TestContracts.tiny(), null, null, MAX_PAYLOAD_BYTES));
        harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(copy), metrics.environment());
        harness.open();
        assertEquals("s-1", parse(VALID).key());
    }

    @Test
    void derivedColumnsAreLeftForTheWindowStage() throws Exception {
        float[] columns = parse(VALID).columns();
        assertTrue(Float.isNaN(columns[GAP]) && Float.isNaN(columns[HOUR_SIN]) && Float.isNaN(columns[HOUR_COS]));
    }
}
