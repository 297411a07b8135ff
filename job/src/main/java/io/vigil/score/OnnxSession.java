package io.vigil.score;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.TensorInfo;
import io.vigil.model.LoadedModel;
import io.vigil.model.ModelContract;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ONNX Runtime session of one model on one device, checked against the model's contract when
 * it opens: input float32 {@code [batch, window.size, columns]} with a dynamic batch, output the
 * same shape. {@link #run} is thread-safe (ONNX Runtime allows concurrent runs of one session), so
 * one session can serve every slot of a TaskManager ({@link SharedSessions}); the buffers are the
 * caller's ({@link OnnxScorer} keeps one pair per operator).
 *
 * <p>Device choice: {@code cpu}; {@code cuda:N} or fail; {@code auto} tries CUDA GPU 0 when the
 * {@link CudaProbe} does not rule it out and otherwise, or when the attempt fails, runs on the CPU
 * and logs one WARN line with the reason.
 */
public final class OnnxSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxSession.class);

    public static final int DEFAULT_INTRA_OP_THREADS = 1;

    private static volatile OrtEnvironment environment;

    private final OrtEnvironment env;
    private final ModelContract contract;
    private final OnnxDevice device;
    private final String cpuFallbackReason;
    // ONNX Runtime requires the options to outlive the session they created.
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final long[] rowShape;

    private OnnxSession(OrtEnvironment env, ModelContract contract, OnnxDevice device, String cpuFallbackReason,
            OrtSession.SessionOptions options, OrtSession session) {
        this.env = env;
        this.contract = contract;
        this.device = device;
        this.cpuFallbackReason = cpuFallbackReason;
        this.options = options;
        this.session = session;
        this.rowShape = new long[] {contract.windowSize(), contract.columnCount()};
    }

    /** Opens {@code model} on {@code device}, asking this machine whether CUDA can exist. */
    public static OnnxSession open(LoadedModel model, OnnxDevice device, int intraOpThreads) {
        return open(model, device, intraOpThreads, CudaProbe.system());
    }

    /**
     * Opens {@code model} on {@code device}. {@code probe} is asked only for {@code auto}, whether
     * to try CUDA at all; for an explicit {@code cuda:N} it only adds a hint to the error.
     *
     * @throws IllegalArgumentException when the graph does not match the contract
     * @throws IllegalStateException when {@code cuda:N} cannot be used, or ONNX Runtime cannot load the graph
     */
    public static OnnxSession open(LoadedModel model, OnnxDevice device, int intraOpThreads, CudaProbe probe) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + intraOpThreads);
        }
        Objects.requireNonNull(probe, "probe");
        OrtEnvironment env = environment();
        String name = "'" + model.contract().name() + "' " + model.contract().version();
        OnnxSession opened = switch (device.kind()) {
            case CPU -> openOnCpu(env, model, intraOpThreads, null);
            case CUDA -> {
                try {
                    yield openOnCuda(env, model, device.index(), intraOpThreads);
                } catch (OrtException e) {
                    String hint = probe.unavailableReason().map(reason -> "; a likely cause: " + reason).orElse("");
                    throw new IllegalStateException("onnx.device=" + device + ": model " + name
                            + " cannot run on CUDA GPU " + device.index() + ": " + e.getMessage() + hint
                            + " (ONNX Runtime's own message, on the TaskManager's stderr, names the missing library;"
                            + " use onnx.device=auto to fall back to the CPU instead)", e);
                }
            }
            case AUTO -> {
                Optional<String> unavailable = probe.unavailableReason();
                if (unavailable.isEmpty()) {
                    try {
                        yield openOnCuda(env, model, 0, intraOpThreads);
                    } catch (OrtException e) {
                        unavailable = Optional.of("the CUDA provider failed on GPU 0: " + e.getMessage()
                                + " (ONNX Runtime's own message, on the TaskManager's stderr, names the missing library)");
                    }
                }
                LOG.warn("onnx.device=auto: model {} scores on the CPU because CUDA is not usable: {}",
                        name, unavailable.get());
                yield openOnCpu(env, model, intraOpThreads, unavailable.get());
            }
        };
        opened.logShapes(intraOpThreads);
        return opened;
    }

    /**
     * Opens {@code model} on the CPU, checks its graph against its contract, and closes it: called
     * at job submission so that a model that does not fit its contract stops the job before it starts.
     *
     * @throws IllegalArgumentException naming the expected and actual names or shapes
     */
    public static void validate(LoadedModel model) {
        open(model, OnnxDevice.CPU, 1).close();
    }

    /** ONNX Runtime's JVM-wide environment, created once, with telemetry off. */
    private static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env == null) {
            env = createEnvironment();
        }
        return env;
    }

    private static synchronized OrtEnvironment createEnvironment() {
        if (environment != null) {
            return environment;
        }
        // ONNX Runtime 1.29 walks the process's command line (/proc/self/cmdline) when it creates its
        // environment, recursing deeper the longer it is: with the default 1 MB thread stack, a JVM
        // whose command line is longer than about 3.5 KB dies of a stack overflow (SIGSEGV, no
        // hs_err file). TaskManagers and the Flink client have long class paths and -D options, so
        // the environment is created on a thread of its own with a 64 MB stack (address space; only what
        // the recursion touches is committed).
        AtomicReference<Object> result = new AtomicReference<>();
        Thread creator = new Thread(null, () -> {
            try {
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                // Otherwise ONNX Runtime may collect usage data (and caches it under ~/.cache/Microsoft).
                env.setTelemetry(false);
                result.set(env);
            } catch (OrtException | RuntimeException | Error e) {
                result.set(e);
            }
        }, "onnxruntime-environment", 64L << 20);
        creator.start();
        try {
            creator.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the ONNX Runtime environment", e);
        }
        if (result.get() instanceof OrtEnvironment env) {
            environment = env;
            return env;
        }
        Throwable failure = (Throwable) result.get();
        throw new IllegalStateException("cannot create the ONNX Runtime environment: " + failure.getMessage(), failure);
    }

    private static OrtSession.SessionOptions baseOptions(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            // Every slot of the TaskManager competes for the same cores: one thread per run unless told otherwise.
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    private static OnnxSession openOnCpu(OrtEnvironment env, LoadedModel model, int intraOpThreads, String fallbackReason) {
        try {
            return create(env, model, baseOptions(intraOpThreads), OnnxDevice.CPU, fallbackReason);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load model '" + model.contract().name() + "': "
                    + e.getMessage(), e);
        }
    }

    private static OnnxSession openOnCuda(OrtEnvironment env, LoadedModel model, int gpu, int intraOpThreads)
            throws OrtException {
        OrtSession.SessionOptions options = baseOptions(intraOpThreads);
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(gpu)) {
            // The CUDA provider runs float32 matrix products in TF32 by default on Ampere and later
            // GPUs (10 bits of mantissa): scores would drift from the CPU float32 scores that the
            // model's calibration and parity vectors describe. Off: the same arithmetic as the CPU's.
            cuda.add("use_tf32", "0");
            options.addCUDA(cuda); // copies the options: closing them after is safe
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
        return create(env, model, options, OnnxDevice.cuda(gpu), null);
    }

    /** Creates the session and validates it; on any failure closes what it opened, {@code options} included. */
    private static OnnxSession create(OrtEnvironment env, LoadedModel model, OrtSession.SessionOptions options,
            OnnxDevice device, String fallbackReason) throws OrtException {
        OrtSession session = null;
        try {
            session = env.createSession(model.onnxBytes(), options);
            checkAgainstContract(session, model.contract());
            return new OnnxSession(env, model.contract(), device, fallbackReason, options, session);
        } catch (OrtException | RuntimeException e) {
            if (session != null) {
                closeQuietly(session, e);
            }
            options.close();
            throw e;
        }
    }

    private static void checkAgainstContract(OrtSession session, ModelContract contract) throws OrtException {
        ModelContract.Onnx onnx = contract.onnx();
        checkTensor("input", onnx.input(), session.getInputInfo(), contract);
        checkTensor("output", onnx.output(), session.getOutputInfo(), contract);
    }

    private static void checkTensor(String role, String name, Map<String, NodeInfo> graph, ModelContract contract) {
        String model = "model '" + contract.name() + "': ";
        String expected = "[batch, " + contract.windowSize() + ", " + contract.columnCount() + "] float32 (window.size "
                + contract.windowSize() + ", " + contract.columnCount() + " columns)";
        NodeInfo node = graph.get(name);
        if (node == null) {
            throw new IllegalArgumentException(model + "model.json names the " + role + " '" + name
                    + "' but the graph's " + role + "s are " + graph.keySet());
        }
        if (!(node.getInfo() instanceof TensorInfo tensor)) {
            throw new IllegalArgumentException(model + role + " '" + name + "' is not a tensor: " + node.getInfo()
                    + "; expected " + expected);
        }
        long[] shape = tensor.getShape();
        String actual = describe(tensor);
        if (tensor.type != OnnxJavaType.FLOAT) {
            throw new IllegalArgumentException(model + role + " '" + name + "' is " + actual + " but must be " + expected);
        }
        if (shape.length != 3) {
            throw new IllegalArgumentException(model + role + " '" + name + "' has rank " + shape.length + ", shape "
                    + actual + ", but must be " + expected);
        }
        // The batch changes from run to run: a graph exported with a fixed batch size cannot be micro-batched.
        if (shape[0] >= 0) {
            throw new IllegalArgumentException(model + role + " '" + name + "' has a fixed batch size, shape " + actual
                    + ", but must be " + expected + " with a dynamic first dimension (export with a dynamic batch axis)");
        }
        // A symbolic (negative) window or column dimension accepts the contract's size.
        if ((shape[1] >= 0 && shape[1] != contract.windowSize()) || (shape[2] >= 0 && shape[2] != contract.columnCount())) {
            throw new IllegalArgumentException(model + role + " '" + name + "' has shape " + actual + " but model.json expects "
                    + expected);
        }
    }

    private static String describe(TensorInfo tensor) {
        long[] shape = tensor.getShape();
        String[] names = tensor.getDimensionNames();
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                text.append(", ");
            }
            boolean symbolic = shape[i] < 0;
            text.append(symbolic ? (i < names.length && !names[i].isEmpty() ? names[i] : "?") : Long.toString(shape[i]));
        }
        return text.append("] ").append(tensor.type.toString().toLowerCase(Locale.ROOT))
                .append(tensor.type == OnnxJavaType.FLOAT ? "32" : "").toString();
    }

    private void logShapes(int intraOpThreads) {
        try {
            TensorInfo in = (TensorInfo) session.getInputInfo().get(contract.onnx().input()).getInfo();
            TensorInfo out = (TensorInfo) session.getOutputInfo().get(contract.onnx().output()).getInfo();
            LOG.info("ONNX model '{}' {} opened on {}, intra-op threads {}: input '{}' {}, output '{}' {}",
                    contract.name(), contract.version(), device, intraOpThreads, contract.onnx().input(), describe(in),
                    contract.onnx().output(), describe(out));
        } catch (OrtException e) {
            LOG.info("ONNX model '{}' {} opened on {}", contract.name(), contract.version(), device);
        }
    }

    private static void closeQuietly(OrtSession session, Throwable primary) {
        try {
            session.close();
        } catch (OrtException | RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * Runs the model on the first {@code rows} windows of {@code input} and writes the
     * reconstructions to the first {@code rows} windows of {@code output}. Both buffers are direct
     * and in native order, so ONNX Runtime reads and writes them in place, without copies.
     */
    public void run(FloatBuffer input, FloatBuffer output, int rows) throws OrtException {
        long[] shape = {rows, rowShape[0], rowShape[1]};
        int values = Math.toIntExact(rows * rowShape[0] * rowShape[1]);
        input.clear().limit(values);
        output.clear().limit(values);
        // The output tensor is given to run (pinned), so ONNX Runtime writes into our buffer instead of
        // allocating a result that would then be copied out.
        try (OnnxTensor in = OnnxTensor.createTensor(env, input, shape);
                OnnxTensor out = OnnxTensor.createTensor(env, output, shape);
                OrtSession.Result ignored = session.run(Map.of(contract.onnx().input(), in),
                        Map.of(contract.onnx().output(), out))) {
            // Everything was written to output; closing releases the native tensors.
        }
    }

    public ModelContract contract() {
        return contract;
    }

    /** The device the session runs on: {@code cpu} or {@code cuda:N}, never {@code auto}. */
    public OnnxDevice device() {
        return device;
    }

    /** Why {@code auto} chose the CPU; empty when CUDA was not asked for, or was chosen. */
    public Optional<String> cpuFallbackReason() {
        return Optional.ofNullable(cpuFallbackReason);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the ONNX session of model '{}' failed: {}", contract.name(), e.getMessage());
        } finally {
            options.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxSession{" + contract.name() + " " + contract.version() + " on " + device + ", window "
                + Arrays.toString(rowShape) + "}";
    }
}
