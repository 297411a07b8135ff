package io.vigil.parse;

import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.ingest.RawEvent;
import io.vigil.model.ModelContract;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns Kafka records into {@link Event}s. In: {@link RawEvent}. Out: an {@code Event} per record
 * that the model can read, and a {@link DeadLetter} on {@link #DEAD_LETTERS} for every other one,
 * with the reason and the original bytes; nothing is dropped silently and no input makes it throw.
 * Stateless.
 *
 * <p>Metrics: {@code eventsParsed}, and one counter per reason under {@code deadLetters}
 * ({@code deadLetters.malformed_json}, {@code deadLetters.oversized}, …).
 */
public class EventParser extends ProcessFunction<RawEvent, Event> {

    private static final long serialVersionUID = 1L;

    /** Records that cannot be scored, with every reason but {@code late}. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    private final FeatureExtractor extractor;
    private final int maxPayloadBytes;

    private transient Counter eventsParsed;
    private transient Map<DeadLetterReason, Counter> deadLetters;

    /**
     * @param keyPathOverride replaces the contract's key path; null keeps it
     * @param timestampPathOverride replaces the contract's timestamp path; null keeps it
     * @param maxPayloadBytes larger payloads are dead-lettered as {@code oversized} unparsed
     * @throws IllegalArgumentException on an invalid contract, path or size, naming it
     */
    public EventParser(ModelContract contract, String keyPathOverride, String timestampPathOverride,
            int maxPayloadBytes) {
        if (maxPayloadBytes < 1) {
            throw new IllegalArgumentException("parse.max-payload-bytes must be at least 1, got " + maxPayloadBytes);
        }
        // Built here, not in open(), so that a bad path fails when the job is defined.
        this.extractor = new FeatureExtractor(contract, keyPathOverride, timestampPathOverride);
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        eventsParsed = metrics.counter("eventsParsed");
        MetricGroup reasons = metrics.addGroup("deadLetters");
        deadLetters = new EnumMap<>(DeadLetterReason.class);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            if (reason != DeadLetterReason.LATE) { // counted where lateness is known: the window stage
                deadLetters.put(reason, reasons.counter(reason.code()));
            }
        }
    }

    @Override
    public void processElement(RawEvent raw, Context ctx, Collector<Event> out) {
        byte[] payload = raw.payload();
        // Checked before parsing so that a huge record costs nothing but its length.
        if (payload != null && payload.length > maxPayloadBytes) {
            reject(DeadLetterReason.OVERSIZED, "payload is " + payload.length
                    + " bytes, more than parse.max-payload-bytes = " + maxPayloadBytes, raw, ctx);
            return;
        }
        FeatureExtractor.Result result = extractor.extract(payload);
        if (result instanceof FeatureExtractor.Accepted accepted) {
            eventsParsed.inc();
            out.collect(new Event(accepted.key(), accepted.timestamp(), accepted.columns(), raw));
        } else {
            FeatureExtractor.Rejected rejected = (FeatureExtractor.Rejected) result;
            reject(rejected.reason(), rejected.detail(), raw, ctx);
        }
    }

    private void reject(DeadLetterReason reason, String detail, RawEvent raw, Context ctx) {
        deadLetters.get(reason).inc();
        ctx.output(DEAD_LETTERS, DeadLetter.of(reason, detail, raw));
    }
}
