package io.vigil.score;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vigil.model.LoadedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OnnxSessionTest {

    private static final String NO_DRIVER = "no NVIDIA driver (none of [/proc/driver/nvidia/version, /dev/nvidia0] exists)";

    /**
     * The tests that let ONNX Runtime's CUDA provider fail for real need a machine where it must
     * fail. The first such call extracts the ~580 MB provider from the jar (about 5 s), once per JVM.
     */
    private static void assumeCudaCannotWorkHere() {
        assumeTrue(CudaProbe.system().unavailableReason().isPresent(), "CUDA may work on this machine");
    }

    // --- device selection ---

    @Test
    void cpuIsUsedWithoutAskingTheProbe() {
        CudaProbe mustNotBeAsked = () -> {
            throw new AssertionError("probe asked for onnx.device=cpu");
        };
        try (OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 1, mustNotBeAsked)) {
            assertEquals(OnnxDevice.CPU, session.device());
            assertEquals(Optional.empty(), session.cpuFallbackReason());
        }
    }

    @Test
    void autoWithoutCudaFallsBackToCpuWithOneWarningSayingWhy() {
        try (CapturedWarnings warnings = new CapturedWarnings(OnnxSession.class);
                OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.AUTO, 1, () -> Optional.of(NO_DRIVER))) {
            assertEquals(OnnxDevice.CPU, session.device());
            assertEquals(Optional.of(NO_DRIVER), session.cpuFallbackReason());
            assertEquals(List.of("onnx.device=auto: model 'dense-w4c3' 0.0.1 scores on the CPU because CUDA is not usable: "
                    + NO_DRIVER), warnings.lines());
        }
    }

    @Test
    void autoFallsBackToCpuWhenTheCudaProviderFailsToLoad() {
        assumeCudaCannotWorkHere();
        try (CapturedWarnings warnings = new CapturedWarnings(OnnxSession.class);
                OnnxSession session = OnnxSession.open(TestModels.dense(), OnnxDevice.AUTO, 1, Optional::empty)) {
            assertEquals(OnnxDevice.CPU, session.device());
            String reason = session.cpuFallbackReason().orElseThrow();
            assertTrue(reason.startsWith("the CUDA provider failed on GPU 0: "), reason);
            assertTrue(reason.contains("ORT_FAIL"), reason);
            assertEquals(1, warnings.lines().size(), warnings.lines().toString());
            assertTrue(warnings.lines().get(0).endsWith(reason), warnings.lines().get(0));
        }
    }

    @Test
    void explicitCudaThatCannotWorkIsAnErrorNamingDeviceAndCause() {
        assumeCudaCannotWorkHere();
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> OnnxSession.open(TestModels.dense(), OnnxDevice.cuda(1), 1, () -> Optional.of(NO_DRIVER)));
        String message = error.getMessage();
        assertTrue(message.startsWith("onnx.device=cuda:1: model 'dense-w4c3' 0.0.1 cannot run on CUDA GPU 1: "), message);
        assertTrue(message.contains("ORT_FAIL"), message);
        assertTrue(message.contains("a likely cause: " + NO_DRIVER), message);
        assertTrue(message.contains("onnx.device=auto"), message);
    }

    @Test
    void rejectsFewerThanOneIntraOpThread() {
        assertThrows(IllegalArgumentException.class, () -> OnnxSession.open(TestModels.dense(), OnnxDevice.CPU, 0));
    }

    @Test
    void opensInAJvmWithALongCommandLine() throws Exception {
        // A TaskManager's command line (class path, -D options) easily passes the ~3.5 KB that crash
        // ONNX Runtime 1.29 when it creates its environment on a thread with the default stack.
        Path model = Path.of(OnnxSessionTest.class.getResource("/score/dense-w4c3").toURI());
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpadding=" + "x".repeat(16_000), ValidateInThisJvm.class.getName(), model.toString());
        child.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        child.redirectErrorStream(true);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("validated"), output);
    }

    /** The child JVM of {@link #opensInAJvmWithALongCommandLine}. */
    static final class ValidateInThisJvm {
        public static void main(String[] args) {
            OnnxSession.validate(LoadedModel.load(Path.of(args[0])));
            System.out.println("validated");
        }
    }

    // --- the graph against the contract ---

    @Test
    void acceptsAModelThatMatchesItsContract() {
        assertDoesNotThrow(() -> OnnxSession.validate(TestModels.dense()));
        assertDoesNotThrow(() -> OnnxSession.validate(TestModels.halving()));
    }

    @Test
    void rejectsAGraphWithAnotherWindowSizeNamingBothShapes() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> OnnxSession.validate(TestModels.load("window5-w4c3")));
        assertEquals("model 'window5-w4c3': input 'window' has shape [batch, 5, 3] float32 but model.json expects "
                + "[batch, 4, 3] float32 (window.size 4, 3 columns)", error.getMessage());
    }

    @Test
    void rejectsAGraphWithAnotherColumnCountNamingBothShapes() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> OnnxSession.validate(TestModels.load("columns2-w4c3")));
        assertEquals("model 'columns2-w4c3': input 'window' has shape [batch, 4, 2] float32 but model.json expects "
                + "[batch, 4, 3] float32 (window.size 4, 3 columns)", error.getMessage());
    }

    @Test
    void rejectsAnInputNameTheGraphDoesNotHave() {
        LoadedModel renamed = TestModels.withTensorNames(TestModels.dense(), "x", "reconstruction");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> OnnxSession.validate(renamed));
        assertEquals("model 'dense-w4c3': model.json names the input 'x' but the graph's inputs are [window]",
                error.getMessage());
    }

    @Test
    void rejectsAnOutputNameTheGraphDoesNotHave() {
        LoadedModel renamed = TestModels.withTensorNames(TestModels.dense(), "window", "output");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> OnnxSession.validate(renamed));
        assertEquals("model 'dense-w4c3': model.json names the output 'output' but the graph's outputs are [reconstruction]",
                error.getMessage());
    }
}
