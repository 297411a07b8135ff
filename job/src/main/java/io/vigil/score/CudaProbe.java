package io.vigil.score;

import java.util.Optional;

/**
 * A cheap answer to "could the CUDA provider possibly work here?", asked before {@code auto}
 * tries it. Trying is not cheap: {@code SessionOptions.addCUDA} first extracts a ~580 MB provider
 * library from the onnxruntime_gpu jar, so a CPU-only TaskManager should not pay that on every
 * start. The probe only rules CUDA out; a clean answer still lets the real attempt fail, and then
 * {@code auto} falls back to the CPU all the same.
 */
@FunctionalInterface
public interface CudaProbe {

    /** Empty when CUDA may be usable; otherwise why it cannot be, in words for a log line. */
    Optional<String> unavailableReason();

    /** Checks this machine: the ONNX Runtime build, the NVIDIA driver and the CUDA 12 libraries. */
    static CudaProbe system() {
        return SystemCudaProbe.ofThisMachine();
    }
}
