package io.vigil.window;

import io.vigil.deadletter.DeadLetter;
import io.vigil.deadletter.DeadLetterReason;
import io.vigil.model.ModelContract;
import io.vigil.parse.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each key's events in event-time order and cuts them into the model's windows. In:
 * {@link Event}s keyed by {@link Event#key()}, with event-time watermarks. Out: a
 * {@link ScoringRequest} whenever a key's window is due (see {@link WindowBuilder}); on
 * {@link #LATE}, a {@link DeadLetter} for each event that came after the watermark had passed its
 * time plus the allowed lateness.
 *
 * <p>Ordering: an event is held in a reorder buffer until the watermark reaches its time plus the
 * allowed lateness, then released with the others due at that moment, ordered by (time, Kafka
 * partition, offset). An event that arrives after that moment could only be placed out of order,
 * so it is dead-lettered instead. Each key therefore sees its events exactly in event-time order,
 * at the cost of {@code allowedLateness} of extra delay beyond the watermark. Requests leave with
 * the release time as their record timestamp (never behind the watermark, so downstream event-time
 * logic sees none of them as late); {@link ScoringRequest#timestamp()} is the newest event's time.
 *
 * <p>A restored {@code "window"} state of another model's layout (another window size, or other
 * features) is dropped and the key's window fills again from its next events.
 *
 * <p>Keyed state (the names are part of the savepoint format):
 * <ul>
 *   <li>{@code "pending-events"}, the reorder buffer: release time → the events due then. Every
 *       entry has an event-time timer that removes it, so it holds at most the events of the last
 *       {@code allowedLateness} plus the watermark's delay;
 *   <li>{@code "window"}, a {@link WindowState}: window.size × columns floats per key, fixed. It
 *       is the one thing that outlives a key's activity: with many short-lived keys (card numbers,
 *       sessions) only the state TTL bounds it.
 * </ul>
 *
 * <p>State TTL must be decided before the first savepoint: turning it on or off later changes how
 * the {@code "window"} state is serialized, and restoring from that savepoint then fails. A key
 * idle for longer than the TTL (processing time) starts over, as if new. The reorder buffer has no
 * TTL: its timers drain it, and expiring it would lose events silently.
 *
 * <p>Metrics: {@code eventsLate}, {@code windowsEmitted}, {@code eventsDroppedOnModelChange}.
 */
public class WindowAssembler extends KeyedProcessFunction<String, Event, ScoringRequest> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(WindowAssembler.class);

    /** Events that arrived too late to be placed in order, as dead letters with reason {@code late}. */
    public static final OutputTag<DeadLetter> LATE =
            new OutputTag<>("late-events", TypeInformation.of(DeadLetter.class));

    static final String PENDING_STATE = "pending-events";
    static final String WINDOW_STATE = "window";

    private static final Comparator<PendingEvent> EVENT_ORDER = Comparator.comparingLong(PendingEvent::timestamp)
            .thenComparingInt(PendingEvent::partition)
            .thenComparingLong(PendingEvent::offset);

    private final WindowBuilder windows;
    private final long allowedLatenessMs;
    private final Duration stateTtl;

    private transient MapState<Long, List<PendingEvent>> pending;
    private transient ValueState<WindowState> window;
    private transient Counter eventsLate;
    private transient Counter windowsEmitted;
    private transient Counter eventsDroppedOnModelChange;
    private transient boolean modelChangeLogged;

    public WindowAssembler(ModelContract contract, long allowedLatenessMs) {
        this(contract, allowedLatenessMs, null);
    }

    /**
     * @param allowedLatenessMs how long after the watermark an event is still accepted and ordered
     * @param stateTtl how long an idle key's window state is kept; null or zero keeps it forever.
     *     Decide before the first savepoint: see the class comment.
     */
    public WindowAssembler(ModelContract contract, long allowedLatenessMs, Duration stateTtl) {
        if (allowedLatenessMs < 0) {
            throw new IllegalArgumentException("allowed lateness must be >= 0 ms, got " + allowedLatenessMs);
        }
        if (stateTtl != null && stateTtl.isNegative()) {
            throw new IllegalArgumentException("state TTL must not be negative, got " + stateTtl);
        }
        this.windows = new WindowBuilder(contract);
        this.allowedLatenessMs = allowedLatenessMs;
        this.stateTtl = stateTtl == null || stateTtl.isZero() ? null : stateTtl;
    }

    @Override
    public void open(OpenContext openContext) {
        pending = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                PENDING_STATE, Types.LONG, new ListTypeInfo<>(PendingEvent.class)));
        ValueStateDescriptor<WindowState> windowDescriptor =
                new ValueStateDescriptor<>(WINDOW_STATE, WindowState.class);
        if (stateTtl != null) {
            windowDescriptor.enableTimeToLive(StateTtlConfig.newBuilder(stateTtl)
                    .updateTtlOnCreateAndWrite() // every event writes it: idle time counts from the last event
                    .neverReturnExpired()
                    .build());
        }
        window = getRuntimeContext().getState(windowDescriptor);
        eventsLate = getRuntimeContext().getMetricGroup().counter("eventsLate");
        windowsEmitted = getRuntimeContext().getMetricGroup().counter("windowsEmitted");
        eventsDroppedOnModelChange = getRuntimeContext().getMetricGroup().counter("eventsDroppedOnModelChange");
    }

    @Override
    public void processElement(Event event, Context ctx, Collector<ScoringRequest> out) throws Exception {
        long watermark = ctx.timerService().currentWatermark();
        long releaseAt = releaseTime(event.timestamp());
        if (releaseAt <= watermark) {
            // Events of this key up to the watermark minus the lateness are already in windows.
            eventsLate.inc();
            String detail = "event time " + Instant.ofEpochMilli(event.timestamp()) + " plus the allowed lateness of "
                    + allowedLatenessMs + " ms is not after the watermark " + Instant.ofEpochMilli(watermark);
            ctx.output(LATE, DeadLetter.of(DeadLetterReason.LATE, detail, event.source()));
            return;
        }
        List<PendingEvent> due = pending.get(releaseAt);
        if (due == null) {
            due = new ArrayList<>();
        }
        due.add(new PendingEvent(
                event.timestamp(), event.source().partition(), event.source().offset(), event.columns()));
        pending.put(releaseAt, due);
        // One timer per key and release time: Flink keeps a single timer for equal timestamps.
        ctx.timerService().registerEventTimeTimer(releaseAt);
    }

    /**
     * Releases the events due at {@code time}. Timers fire in time order and every buffered event
     * is due at its own timer, so all events with time + lateness ≤ {@code time} are out by now.
     * Keying the buffer by release time (not event time) keeps each entry tied to its timer even if
     * the allowed lateness changes between runs.
     */
    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<ScoringRequest> out) throws Exception {
        List<PendingEvent> due = pending.get(time);
        if (due == null) {
            return;
        }
        pending.remove(time);
        due.sort(EVENT_ORDER);

        WindowState state = window.value();
        if (state == null || !windows.fits(state)) {
            state = windows.newState();
        }
        // The events due together are those of one event time (due at that time plus the lateness).
        int tie = 0;
        long previous = Long.MIN_VALUE;
        for (PendingEvent event : due) {
            if (!windows.fits(event.columns())) {
                // Parsed under another model and waiting when the job was stopped for the change:
                // its columns cannot be read as this model's. The key's window starts over anyway.
                eventsDroppedOnModelChange.inc();
                if (!modelChangeLogged) {
                    modelChangeLogged = true;
                    LOG.warn("events buffered under another model's features were dropped on restore (metric "
                            + "eventsDroppedOnModelChange): stop the job with --drain before changing a model's "
                            + "features, so that none waits in the reorder buffer");
                }
                continue;
            }
            tie = event.timestamp() == previous ? tie + 1 : 0;
            previous = event.timestamp();
            ScoringRequest request =
                    windows.append(state, ctx.getCurrentKey(), event.timestamp(), tie, event.columns());
            if (request != null) {
                windowsEmitted.inc();
                out.collect(request);
            }
        }
        window.update(state);
    }

    /** Event time plus the allowed lateness, saturating instead of overflowing for far-future times. */
    private long releaseTime(long timestamp) {
        return timestamp > Long.MAX_VALUE - allowedLatenessMs ? Long.MAX_VALUE : timestamp + allowedLatenessMs;
    }
}
