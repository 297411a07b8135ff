package io.vigil.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OnnxDeviceTest {

    @Test
    void parsesEveryAllowedSpelling() {
        assertEquals(OnnxDevice.AUTO, OnnxDevice.parse("auto"));
        assertEquals(OnnxDevice.CPU, OnnxDevice.parse(" CPU "));
        assertEquals(OnnxDevice.cuda(0), OnnxDevice.parse("cuda"));
        assertEquals(OnnxDevice.cuda(0), OnnxDevice.parse("cuda:0"));
        assertEquals(OnnxDevice.cuda(3), OnnxDevice.parse("CUDA:3"));
        assertTrue(OnnxDevice.parse("cuda:1").isCuda());
        assertFalse(OnnxDevice.parse("auto").isCuda());
    }

    @Test
    void printsWhatItParses() {
        for (String text : new String[] {"auto", "cpu", "cuda:0", "cuda:7"}) {
            assertEquals(text, OnnxDevice.parse(text).toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cuda 1", "auto:0", "cuda:99999"})
    void rejectsAnythingElseListingWhatIsAllowed(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> OnnxDevice.parse(text));
        assertTrue(error.getMessage().startsWith("onnx.device: '" + text + "' is not a device"), error.getMessage());
        assertTrue(error.getMessage().contains("auto, cpu, cuda, cuda:N"), error.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> OnnxDevice.parse(null));
    }
}
