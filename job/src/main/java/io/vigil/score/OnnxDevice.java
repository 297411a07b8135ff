package io.vigil.score;

import java.io.Serializable;
import java.util.Locale;

/**
 * Where ONNX Runtime should score, as given by {@code --onnx.device}: {@code auto} (a CUDA GPU
 * when one is usable, else the CPU), {@code cpu}, or {@code cuda} / {@code cuda:N} (GPU N, and
 * an error when it cannot be used). {@link OnnxSession#device()} reports the device a session
 * actually got, always {@code cpu} or {@code cuda:N}.
 *
 * @param index the GPU index for {@link Kind#CUDA}; 0 otherwise ({@code auto} tries GPU 0)
 */
public record OnnxDevice(Kind kind, int index) implements Serializable {

    public enum Kind { AUTO, CPU, CUDA }

    public static final OnnxDevice AUTO = new OnnxDevice(Kind.AUTO, 0);
    public static final OnnxDevice CPU = new OnnxDevice(Kind.CPU, 0);

    public OnnxDevice {
        if (kind == null) {
            throw new IllegalArgumentException("onnx.device: no kind");
        }
        if (index < 0 || (kind != Kind.CUDA && index != 0)) {
            throw new IllegalArgumentException("onnx.device: " + kind + " with GPU index " + index);
        }
    }

    public static OnnxDevice cuda(int index) {
        return new OnnxDevice(Kind.CUDA, index);
    }

    /** Parses {@code auto}, {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N}; case and spaces around are ignored. */
    public static OnnxDevice parse(String text) {
        String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "auto":
                return AUTO;
            case "cpu":
                return CPU;
            case "cuda":
                return cuda(0);
            default:
                if (value.startsWith("cuda:")) {
                    String digits = value.substring("cuda:".length());
                    if (!digits.isEmpty() && digits.length() <= 4 && digits.chars().allMatch(Character::isDigit)) {
                        return cuda(Integer.parseInt(digits));
                    }
                }
                throw new IllegalArgumentException("onnx.device: '" + text + "' is not a device; allowed: auto, cpu, "
                        + "cuda, cuda:N (N = GPU index from 0, as nvidia-smi numbers them)");
        }
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    /** The text {@link #parse} reads back: {@code auto}, {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
        };
    }
}
