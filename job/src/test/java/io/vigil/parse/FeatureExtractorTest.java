package io.vigil.parse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.testing.TestContracts;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** The extractor on its own, as offline tools use it: no Flink runtime involved. */
class FeatureExtractorTest {

    private static final String EVENT = """
            {"sensor_id":"s-1","ts":1000,"values":{"temperature":21.5},"amount":0,"channel":"pos"}""";

    private static FeatureExtractor.Accepted accepted(FeatureExtractor.Result result) {
        return assertInstanceOf(FeatureExtractor.Accepted.class, result);
    }

    @Test
    void dottedPathAndJsonPointerNameTheSameField() {
        assertEquals(JsonPointer.compile("/values/temperature"), FeatureExtractor.compilePath("values.temperature"));
        assertEquals(JsonPointer.compile("/values/temperature"), FeatureExtractor.compilePath("/values/temperature"));
    }

    @Test
    void dottedSegmentWithSlashOrTildeIsEscapedNotSplit() {
        assertEquals(JsonPointer.compile("/a~1b/c~0d"), FeatureExtractor.compilePath("a/b.c~d"));
    }

    @Test
    void numericPathSegmentSelectsAnArrayElement() {
        FeatureExtractor extractor = new FeatureExtractor(TestContracts.tiny(), "ids.1", null);
        String event = EVENT.replace("\"sensor_id\":\"s-1\"", "\"ids\":[\"first\",\"second\"]");
        assertEquals("second", accepted(extractor.extract(event.getBytes(UTF_8))).key());
    }

    @Test
    void malformedPathsAreRefusedWithThePathNamed() {
        for (String path : new String[] {"a..b", ".a", "a.", "/a~2"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FeatureExtractor(TestContracts.tiny(), path, null), path);
            assertTrue(e.getMessage().startsWith("key path '" + path + "'"), e.getMessage());
        }
    }

    @Test
    void blankOverridesKeepTheContractPaths() {
        FeatureExtractor extractor = new FeatureExtractor(TestContracts.tiny(), " ", "");
        FeatureExtractor.Accepted event = accepted(extractor.extract(EVENT.getBytes(UTF_8)));
        assertEquals("s-1", event.key());
        assertEquals(1000L, event.timestamp());
    }

    @Test
    void parsedTreeAndBytesGiveTheSameResult() throws Exception {
        FeatureExtractor extractor = new FeatureExtractor(TestContracts.tiny());
        FeatureExtractor.Accepted fromBytes = accepted(extractor.extract(EVENT.getBytes(UTF_8)));
        FeatureExtractor.Accepted fromTree = accepted(extractor.extract(new ObjectMapper().readTree(EVENT)));
        assertEquals(fromBytes.key(), fromTree.key());
        assertEquals(fromBytes.timestamp(), fromTree.timestamp());
        assertArrayEquals(fromBytes.columns(), fromTree.columns());
    }

    @Test
    void extractorWorksAfterJavaSerialization() throws Exception {
        FeatureExtractor copy = InstantiationUtil.clone(new FeatureExtractor(TestContracts.tiny()));
        assertEquals("s-1", accepted(copy.extract(EVENT.getBytes(UTF_8))).key());
        FeatureExtractor.Rejected rejected = assertInstanceOf(FeatureExtractor.Rejected.class, copy.extract("{".getBytes(UTF_8)));
        assertEquals(DeadLetterReason.MALFORMED_JSON, rejected.reason());
    }

    @Test
    void detailOfAHugeValueIsCutShort() {
        String huge = "x".repeat(10_000);
        FeatureExtractor.Rejected rejected = assertInstanceOf(FeatureExtractor.Rejected.class,
                new FeatureExtractor(TestContracts.tiny()).extract(EVENT.replace("21.5", '"' + huge + '"').getBytes(UTF_8)));
        assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE, rejected.reason());
        assertTrue(rejected.detail().length() < 200, rejected.detail());
    }
}
