package io.vigil.parse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {

    /** The JDK's strict decoder, plus the one rule of JSON text: no raw NUL. */
    private static boolean isUtf8JsonText(byte[] bytes) {
        try {
            String text = UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return text.indexOf('\0') < 0;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void agreesWithTheStrictJdkDecoderOnRandomBytes() {
        Random random = new Random(8259);
        // Bytes drawn mostly from lead and continuation ranges, so multi-byte sequences are common.
        int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
        for (int i = 0; i < 500_000; i++) {
            byte[] bytes = new byte[random.nextInt(6)];
            for (int k = 0; k < bytes.length; k++) {
                bytes[k] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : interesting[random.nextInt(interesting.length)]);
            }
            assertEquals(isUtf8JsonText(bytes), Utf8.firstInvalidByte(bytes) < 0, java.util.HexFormat.of().formatHex(bytes));
        }
    }

    @Test
    void reportsTheOffsetOfTheFirstBadByte() {
        assertEquals(-1, Utf8.firstInvalidByte("{\"k\":\"é€😀\"}".getBytes(UTF_8)));
        assertEquals(3, Utf8.firstInvalidByte(new byte[] {'a', 'b', 'c', (byte) 0xE9, 'd'}));
        assertEquals(1, Utf8.firstInvalidByte(new byte[] {'a', 0, 'b'}));
    }
}
