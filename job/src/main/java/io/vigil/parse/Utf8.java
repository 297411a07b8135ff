package io.vigil.parse;

/**
 * Strict UTF-8 check of a JSON payload. Jackson decodes some invalid sequences (overlong forms,
 * bytes above F4) instead of failing, and detects UTF-16/32 input on its own; JSON exchanged
 * between systems is UTF-8 (RFC 8259 §8.1), so both are refused before parsing. A NUL byte can
 * never occur in UTF-8 JSON text (control characters must be escaped), so it is refused too; that
 * also rules out UTF-16 and UTF-32, whose encodings of ASCII contain NULs.
 */
final class Utf8 {

    private Utf8() {}

    /** The offset of the first byte that breaks UTF-8 JSON text, or -1 if there is none. */
    static int firstInvalidByte(byte[] bytes) {
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int b = bytes[i] & 0xFF;
            if (b < 0x80) {
                if (b == 0) {
                    return i;
                }
                i++;
                continue;
            }
            int continuations;
            int min = 0x80;
            int max = 0xBF; // allowed range of the first continuation byte
            if (b >= 0xC2 && b <= 0xDF) {
                continuations = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                continuations = 2;
                if (b == 0xE0) {
                    min = 0xA0; // overlong
                } else if (b == 0xED) {
                    max = 0x9F; // UTF-16 surrogates
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                continuations = 3;
                if (b == 0xF0) {
                    min = 0x90; // overlong
                } else if (b == 0xF4) {
                    max = 0x8F; // above U+10FFFF
                }
            } else {
                return i; // a continuation byte without a lead, an overlong C0/C1, or F5..FF
            }
            if (i + continuations >= n) {
                return i;
            }
            int first = bytes[i + 1] & 0xFF;
            if (first < min || first > max) {
                return i;
            }
            for (int k = 2; k <= continuations; k++) {
                int c = bytes[i + k] & 0xFF;
                if (c < 0x80 || c > 0xBF) {
                    return i;
                }
            }
            i += continuations + 1;
        }
        return -1;
    }
}
