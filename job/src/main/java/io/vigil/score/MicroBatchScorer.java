package io.vigil.score;

import io.vigil.model.LoadedModel;
import io.vigil.window.ScoringRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Scores {@link ScoringRequest}s in micro-batches: requests of all keys are buffered and scored
 * with one ONNX Runtime run per batch of at most {@code maxBatchRows}, which is what makes model
 * inference cheap per window. Out come {@link ScoredWindow}s, one per request, in the order the
 * requests came in and with their record timestamps.
 *
 * <p>A batch is scored when it is full, when {@code maxBatchDelayMs} of processing time have passed
 * since its first request, before every checkpoint barrier, and at the end of input. The buffer is
 * therefore always empty when a checkpoint is taken: the operator keeps no state, and after a
 * restore nothing is scored twice or lost (the requests not yet scored are replayed from the
 * source). Watermarks are held back while requests are buffered and passed on right after them, so
 * that no result falls behind a watermark that overtook it.
 *
 * <p>Runs non-keyed, chained after the keyed window assembler. The ONNX session is shared by the
 * job's slots on a TaskManager ({@link SharedSessions}); the batch buffers are this instance's own.
 * Metrics: histograms {@code batchSize} and {@code inferenceMicros} (per batch: copying in, the
 * run, the error math), counter {@code windowsScored}, gauges {@code onnxDevice} ("cpu" or
 * "cuda:N") and {@code onnxCuda} (1 on a GPU, else 0).
 */
public class MicroBatchScorer extends AbstractStreamOperator<ScoredWindow>
        implements OneInputStreamOperator<ScoringRequest, ScoredWindow> {

    private static final long serialVersionUID = 1L;

    /** Samples kept by each histogram. */
    private static final int HISTOGRAM_WINDOW = 1000;

    private final LoadedModel model;
    private final int maxBatchRows;
    private final long maxBatchDelayMs;
    private final OnnxDevice device;
    private final int intraOpThreads;

    private transient SharedSessions.Lease lease;
    private transient OnnxScorer scorer;
    private transient List<ScoringRequest> pending;
    /** The record timestamps of {@link #pending}; {@code Long.MIN_VALUE} for a record without one. */
    private transient long[] pendingTimestamps;
    private transient long batchDeadline;
    private transient ScheduledFuture<?> flushTimer;
    private transient Watermark heldWatermark;
    private transient StreamRecord<ScoredWindow> outRecord;
    private transient Histogram batchSize;
    private transient Histogram inferenceMicros;
    private transient Counter windowsScored;

    public MicroBatchScorer(LoadedModel model, int maxBatchRows, long maxBatchDelayMs, OnnxDevice device,
            int intraOpThreads) {
        if (maxBatchRows < 1) {
            throw new IllegalArgumentException("maximum batch rows must be >= 1, got " + maxBatchRows);
        }
        if (maxBatchDelayMs < 1) {
            throw new IllegalArgumentException("maximum batch delay must be >= 1 ms, got " + maxBatchDelayMs);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + intraOpThreads);
        }
        this.model = model;
        this.maxBatchRows = maxBatchRows;
        this.maxBatchDelayMs = maxBatchDelayMs;
        this.device = device;
        this.intraOpThreads = intraOpThreads;
    }

    /**
     * Appends the scorer to {@code requests}, with {@code uid} as its uid and name. ONNX Runtime
     * must be on the TaskManagers' class path (the cluster's lib/), see the README.
     */
    public static SingleOutputStreamOperator<ScoredWindow> apply(DataStream<ScoringRequest> requests, LoadedModel model,
            int maxBatchRows, long maxBatchDelayMs, OnnxDevice device, int intraOpThreads, String uid) {
        return requests
                .transform(uid, TypeInformation.of(ScoredWindow.class),
                        new MicroBatchScorer(model, maxBatchRows, maxBatchDelayMs, device, intraOpThreads))
                .uid(uid)
                .name(uid);
    }

    @Override
    public void open() throws Exception {
        super.open();
        lease = SharedSessions.acquire(model, device, intraOpThreads);
        OnnxSession session = lease.session();
        scorer = new OnnxScorer(session, maxBatchRows);
        pending = new ArrayList<>(maxBatchRows);
        pendingTimestamps = new long[maxBatchRows];
        outRecord = new StreamRecord<>(null);

        batchSize = getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceMicros = getMetricGroup().histogram("inferenceMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        windowsScored = getMetricGroup().counter("windowsScored");
        String deviceName = session.device().toString();
        int cuda = session.device().isCuda() ? 1 : 0;
        getMetricGroup().gauge("onnxDevice", () -> deviceName);
        getMetricGroup().gauge("onnxCuda", () -> cuda);
    }

    @Override
    public void processElement(StreamRecord<ScoringRequest> record) throws Exception {
        // The request is kept, not copied: the assembler emits a new request, with a new array, per window.
        pendingTimestamps[pending.size()] = record.hasTimestamp() ? record.getTimestamp() : Long.MIN_VALUE;
        pending.add(record.getValue());
        if (pending.size() >= maxBatchRows) {
            flush();
        } else if (pending.size() == 1) {
            batchDeadline = getProcessingTimeService().getCurrentProcessingTime() + maxBatchDelayMs;
            flushTimer = getProcessingTimeService().registerTimer(batchDeadline, this::onFlushTimer);
        }
    }

    private void onFlushTimer(long time) throws Exception {
        // A timer of an earlier batch may fire after that batch was flushed by size; the batch now
        // buffered then has a later deadline of its own.
        if (!pending.isEmpty() && time >= batchDeadline) {
            flush();
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (pending.isEmpty()) {
            super.processWatermark(mark);
        } else {
            heldWatermark = mark;
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        // Emitted before the barrier, so the checkpoint holds no buffered request and its results
        // are downstream of it: none is lost or counted twice on recovery.
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            cancelFlushTimer();
            if (lease != null) {
                lease.close();
            }
        } finally {
            super.close();
        }
    }

    private void flush() throws Exception {
        cancelFlushTimer();
        if (pending.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        ScoredWindow[] scored = scorer.score(pending);
        inferenceMicros.update((System.nanoTime() - start) / 1_000);
        batchSize.update(scored.length);
        windowsScored.inc(scored.length);
        for (int i = 0; i < scored.length; i++) {
            long timestamp = pendingTimestamps[i];
            if (timestamp == Long.MIN_VALUE) {
                outRecord.eraseTimestamp();
                output.collect(outRecord.replace(scored[i]));
            } else {
                output.collect(outRecord.replace(scored[i], timestamp));
            }
        }
        pending.clear();
        if (heldWatermark != null) {
            Watermark mark = heldWatermark;
            heldWatermark = null;
            super.processWatermark(mark);
        }
    }

    private void cancelFlushTimer() {
        if (flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
    }
}
