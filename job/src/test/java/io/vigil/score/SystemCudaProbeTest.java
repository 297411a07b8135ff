package io.vigil.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's rules, run against a made-up file system under a temporary directory. */
class SystemCudaProbeTest {

    @TempDir
    Path root;

    private Path driver;
    private Path libraries;
    private Path cache;

    @BeforeEach
    void machineWithDriverAndAllLibraries() throws IOException {
        driver = Files.writeString(root.resolve("version"), "NVRM version: 580.159.04");
        libraries = Files.createDirectory(root.resolve("lib"));
        for (String library : SystemCudaProbe.CUDA_LIBRARIES) {
            Files.createFile(libraries.resolve(library));
        }
        cache = root.resolve("ld.so.cache");
    }

    private Optional<String> probe(boolean providerInBuild) {
        return new SystemCudaProbe(true, providerInBuild, List.of(root.resolve("nvidia0"), driver), List.of(libraries), cache)
                .unavailableReason();
    }

    @Test
    void allowsCudaWhenDriverAndLibrariesArePresent() {
        assertEquals(Optional.empty(), probe(true));
    }

    @Test
    void rulesCudaOutForAnOnnxRuntimeBuildWithoutIt() {
        assertTrue(probe(false).orElseThrow().contains("no CUDA provider"));
    }

    @Test
    void rulesCudaOutWithoutNvidiaDriver() throws IOException {
        Files.delete(driver);
        String reason = probe(true).orElseThrow();
        assertTrue(reason.startsWith("no NVIDIA driver"), reason);
        assertTrue(reason.contains(driver.toString()), reason);
    }

    @Test
    void namesTheMissingCudaLibraries() throws IOException {
        Files.delete(libraries.resolve("libcublasLt.so.12"));
        Files.delete(libraries.resolve("libcudart.so.12"));
        String reason = probe(true).orElseThrow();
        assertTrue(reason.contains("[libcudart.so.12, libcublasLt.so.12]"), reason);
        assertTrue(reason.contains("LD_LIBRARY_PATH"), reason);
    }

    @Test
    void findsLibrariesThroughTheLinkerCache() throws IOException {
        Files.delete(libraries.resolve("libcudart.so.12"));
        Files.write(cache, "glibc-ld.so.cache1.1\0libcudart.so.12\0/usr/local/cuda/lib64/libcudart.so.12\0"
                .getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(Optional.empty(), probe(true));
    }

    @Test
    void doesNotTakeALongerSonameInTheCacheForTheOneNeeded() throws IOException {
        Files.delete(libraries.resolve("libcudart.so.12"));
        Files.write(cache, "libcudart.so.12.4\0/opt/libcudart.so.12.4\0".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(probe(true).orElseThrow().contains("libcudart.so.12"));
    }

    @Test
    void looksOnLinuxOnly() {
        String reason = new SystemCudaProbe(false, true, List.of(driver), List.of(libraries), cache)
                .unavailableReason().orElseThrow();
        assertTrue(reason.contains("Linux"), reason);
    }
}
