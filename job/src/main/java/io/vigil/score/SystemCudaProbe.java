package io.vigil.score;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@link CudaProbe} of a real machine. CUDA is ruled out when the ONNX Runtime on the class
 * path has no CUDA provider, when no NVIDIA driver is visible, or when a library that ONNX Runtime's
 * CUDA provider links against cannot be found where the dynamic linker looks for it (the
 * directories of {@code LD_LIBRARY_PATH}, the linker cache {@code /etc/ld.so.cache}, the default
 * library directories, and the {@code onnxruntime.native.path} directory). No CUDA library is loaded.
 */
final class SystemCudaProbe implements CudaProbe {

    /**
     * What {@code libonnxruntime_providers_cuda.so} of onnxruntime_gpu 1.29 declares as needed
     * (readelf -d), CUDA's own part of it: without any of these, loading the provider fails.
     */
    static final List<String> CUDA_LIBRARIES =
            List.of("libcuda.so.1", "libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12", "libcurand.so.10");

    private static final List<String> DRIVER_FILES = List.of("/proc/driver/nvidia/version", "/dev/nvidia0");
    private static final List<String> DEFAULT_LIBRARY_DIRS = List.of(
            "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu");

    private final boolean onLinux;
    private final boolean providerInBuild;
    private final List<Path> driverFiles;
    private final List<Path> libraryDirs;
    private final Path linkerCache;

    SystemCudaProbe(boolean onLinux, boolean providerInBuild, List<Path> driverFiles, List<Path> libraryDirs,
            Path linkerCache) {
        this.onLinux = onLinux;
        this.providerInBuild = providerInBuild;
        this.driverFiles = List.copyOf(driverFiles);
        this.libraryDirs = List.copyOf(libraryDirs);
        this.linkerCache = linkerCache;
    }

    static SystemCudaProbe ofThisMachine() {
        List<Path> dirs = new ArrayList<>();
        String ldLibraryPath = System.getenv("LD_LIBRARY_PATH");
        if (ldLibraryPath != null) {
            for (String dir : ldLibraryPath.split(":")) {
                if (!dir.isBlank()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        // With onnxruntime.native.path set, ONNX Runtime loads its providers from that directory.
        String nativePath = System.getProperty("onnxruntime.native.path");
        if (nativePath != null && !nativePath.isBlank()) {
            dirs.add(Path.of(nativePath));
        }
        DEFAULT_LIBRARY_DIRS.forEach(dir -> dirs.add(Path.of(dir)));
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
        return new SystemCudaProbe(linux, OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
                DRIVER_FILES.stream().map(Path::of).toList(), dirs, Path.of("/etc/ld.so.cache"));
    }

    @Override
    public Optional<String> unavailableReason() {
        if (!providerInBuild) {
            return Optional.of("this ONNX Runtime build has no CUDA provider (the CPU artifact 'onnxruntime' is on the "
                    + "class path; GPU TaskManagers need 'onnxruntime_gpu' in lib/)");
        }
        if (!onLinux) {
            return Optional.of("CUDA is only looked for on Linux; set onnx.device=cuda to try it anyway");
        }
        if (driverFiles.stream().noneMatch(Files::exists)) {
            return Optional.of("no NVIDIA driver (none of " + driverFiles + " exists)");
        }
        String cache = readLinkerCache();
        List<String> missing = CUDA_LIBRARIES.stream().filter(library -> !findable(library, cache)).toList();
        if (!missing.isEmpty()) {
            return Optional.of("CUDA 12 libraries " + missing + " are neither in " + libraryDirs + " nor in "
                    + linkerCache + "; add their directory to LD_LIBRARY_PATH");
        }
        return Optional.empty();
    }

    private boolean findable(String library, String cache) {
        // The cache's string table holds each soname NUL-terminated.
        return cache.contains(library + '\0') || libraryDirs.stream().anyMatch(dir -> Files.exists(dir.resolve(library)));
    }

    private String readLinkerCache() {
        try {
            return Files.isRegularFile(linkerCache)
                    ? new String(Files.readAllBytes(linkerCache), StandardCharsets.ISO_8859_1)
                    : "";
        } catch (IOException e) {
            return "";
        }
    }
}
