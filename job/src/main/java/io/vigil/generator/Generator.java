package io.vigil.generator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Generates the built-in streams: interleaves the simulated sensor and transaction streams in
 * event-time order, delays each event by up to {@code maxOutOfOrderMs} (so events arrive a little
 * out of order, never by more than that), encodes them as JSON with either timestamp form, and
 * replaces a fraction by malformed records. Injected anomalies come labelled.
 *
 * <p>Use it as an {@link Iterator} of records (no pacing; call {@link #drainLabels()} for the
 * labels), collect a bounded run with {@link #generate(GeneratorConfig)}, or drive a sink with
 * {@link #run(EventSink, Consumer)}, which in realtime mode paces records to the wall clock. The same
 * configuration and seed give the same records, byte for byte (realtime runs aside: they start now).
 *
 * <p>State: the per-key simulators and the records generated but not yet due (at most the events
 * of {@code maxOutOfOrderMs} of event time).
 */
public final class Generator implements Iterator<GeneratedEvent> {

    public static final String SENSORS = "sensors";
    public static final String TRANSACTIONS = "transactions";

    private static final long PROGRESS_EVERY_MS = 5_000;

    private final GeneratorConfig config;
    private final long start;
    private final long end;
    private final List<Lane> lanes = new ArrayList<>();
    private final PriorityQueue<InFlight> inFlight = new PriorityQueue<>(
            Comparator.comparingLong(InFlight::arrival).thenComparingLong(InFlight::sequence));
    private final Random delays;
    private final Random timestampForms;
    private long sequence;
    private final List<AnomalyLabel> labels = new ArrayList<>();
    private final Map<String, Long> eventsByStream = new LinkedHashMap<>();
    private final Map<Malformation, Long> malformedByKind = new EnumMap<>(Malformation.class);
    private final Map<AnomalyKind, Long> anomaliesByKind = new EnumMap<>(AnomalyKind.class);
    private final Object pacing = new Object();
    private volatile boolean stopRequested;

    /** One stream: its simulator, how much it produced, and its share of malformed records. */
    private static final class Lane {
        final StreamSimulator simulator;
        final Random malformations;
        long generated;
        /**
         * Malformed records owed: grows by the rate with every record and shrinks by one with every
         * malformed one. Records inside anomalies are never broken (their labels would lie), so
         * drawing with this debt as the chance keeps the stream's fraction at the requested rate anyway.
         */
        double malformedDebt;
        int nextMalformation;
        boolean done;

        Lane(StreamSimulator simulator, long seed) {
            this.simulator = simulator;
            this.malformations = new Random(Distributions.seed(seed, simulator.stream(), -1, "malformations"));
        }
    }

    private record InFlight(long arrival, long sequence, GeneratedEvent event) {}

    /** The records as collected by {@link #generate(GeneratorConfig)}. */
    public record Generated(List<GeneratedEvent> events, List<AnomalyLabel> labels, GeneratorSummary summary) {}

    public Generator(GeneratorConfig config) {
        this.config = config;
        this.start = config.realtime() ? System.currentTimeMillis() : config.start().toEpochMilli();
        this.end = config.duration() == null ? Long.MAX_VALUE : start + config.duration().toMillis();
        if (config.streams().sensors()) {
            lanes.add(new Lane(new SensorSimulator(config.sensorKeys(), start, config.sensorIntervalMs(),
                    config.anomalyRate(), config.seed()), config.seed()));
        }
        if (config.streams().transactions()) {
            lanes.add(new Lane(new TransactionSimulator(config.transactionKeys(), start, config.anomalyRate(),
                    config.seed()), config.seed()));
        }
        lanes.forEach(lane -> eventsByStream.put(lane.simulator.stream(), 0L));
        this.delays = new Random(Distributions.seed(config.seed(), "generator", -1, "delays"));
        this.timestampForms = new Random(Distributions.seed(config.seed(), "generator", -1, "timestamp-forms"));
    }

    /** Generates a bounded run in memory. */
    public static Generated generate(GeneratorConfig config) {
        if (!config.bounded()) {
            throw new IllegalArgumentException("an in-memory run needs --events or --duration");
        }
        Generator generator = new Generator(config);
        List<GeneratedEvent> events = new ArrayList<>();
        generator.forEachRemaining(events::add);
        return new Generated(events, generator.drainLabels(), generator.summary());
    }

    /** Event time (epoch ms) at which the run starts: the configured start, or the wall clock in realtime mode. */
    public long start() {
        return start;
    }

    @Override
    public boolean hasNext() {
        fill();
        return !inFlight.isEmpty();
    }

    @Override
    public GeneratedEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return inFlight.poll().event();
    }

    /** Labels completed since the last call, in the order their anomalies ended. */
    public List<AnomalyLabel> drainLabels() {
        List<AnomalyLabel> drained = new ArrayList<>(labels);
        labels.clear();
        return drained;
    }

    public GeneratorSummary summary() {
        return new GeneratorSummary(eventsByStream, malformedByKind, anomaliesByKind);
    }

    /**
     * Writes records and labels to the sink until the run ends, {@link #stop()} is called or the
     * thread is interrupted. In realtime mode each record is sent when the wall clock reaches its
     * arrival time. When stopped early, anomalies in progress are labelled up to their last record
     * and the records already generated are still sent, so that every label's records are in the sink.
     *
     * @param progress called every few seconds with the summary so far
     */
    public GeneratorSummary run(EventSink sink, Consumer<GeneratorSummary> progress) throws IOException {
        long nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
        while (hasNext()) {
            InFlight next = inFlight.poll();
            if (Thread.currentThread().isInterrupted()) {
                stopRequested = true;
            }
            if (config.realtime() && !stopRequested) {
                awaitWallClock(next.arrival());
            }
            if (stopRequested) {
                stopGenerating();
            }
            sink.event(next.event());
            for (AnomalyLabel label : drainLabels()) {
                sink.label(label);
            }
            if (System.currentTimeMillis() >= nextProgress) {
                progress.accept(summary());
                nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
            }
        }
        for (AnomalyLabel label : drainLabels()) {
            sink.label(label);
        }
        return summary();
    }

    public GeneratorSummary run(EventSink sink) throws IOException {
        return run(sink, summary -> {});
    }

    /** Ends a {@link #run} soon, from any thread. */
    public void stop() {
        stopRequested = true;
        synchronized (pacing) {
            pacing.notifyAll();
        }
    }

    private void awaitWallClock(long time) {
        synchronized (pacing) {
            long wait;
            while (!stopRequested && (wait = time - System.currentTimeMillis()) > 0) {
                try {
                    pacing.wait(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopRequested = true;
                }
            }
        }
    }

    private void stopGenerating() {
        for (Lane lane : lanes) {
            finish(lane);
        }
    }

    /** Generates until the earliest record in flight is due: no record generated later can arrive before it. */
    private void fill() {
        while (true) {
            Lane lane = earliestLane();
            if (lane == null) {
                return;
            }
            if (!inFlight.isEmpty() && inFlight.peek().arrival() <= lane.simulator.peekTime()) {
                return;
            }
            generate(lane);
        }
    }

    /** The stream whose next event comes first, ending streams that reached their limit; null when all have. */
    private Lane earliestLane() {
        Lane earliest = null;
        for (Lane lane : lanes) {
            if (lane.done) {
                continue;
            }
            boolean enough = config.eventsPerStream() > 0 && lane.generated >= config.eventsPerStream();
            if (enough || lane.simulator.peekTime() >= end) {
                finish(lane);
                continue;
            }
            if (earliest == null || lane.simulator.peekTime() < earliest.simulator.peekTime()) {
                earliest = lane;
            }
        }
        return earliest;
    }

    private void finish(Lane lane) {
        if (!lane.done) {
            lane.done = true;
            lane.simulator.finish();
            collectLabels(lane);
        }
    }

    private void generate(Lane lane) {
        SimulatedEvent event = lane.simulator.next();
        lane.generated++;
        collectLabels(lane);
        boolean epochMillis = timestampForms.nextDouble() < config.epochTimestampFraction();
        Malformation malformation = malformation(lane, event);
        byte[] payload = malformation == null
                ? EventEncoder.encode(event, epochMillis)
                : EventEncoder.encodeMalformed(event, epochMillis, malformation, lane.malformations);
        long delay = (long) (delays.nextDouble() * (config.maxOutOfOrderMs() + 1));
        GeneratedEvent generated = new GeneratedEvent(
                event.stream(), event.key(), event.timestamp(), payload, malformation, event.anomaly());
        inFlight.add(new InFlight(event.timestamp() + delay, sequence++, generated));
        eventsByStream.merge(event.stream(), 1L, Long::sum);
        if (malformation != null) {
            malformedByKind.merge(malformation, 1L, Long::sum);
        }
    }

    private Malformation malformation(Lane lane, SimulatedEvent event) {
        if (config.malformedRate() == 0) {
            return null;
        }
        lane.malformedDebt += config.malformedRate();
        if (event.anomaly() != null || lane.malformations.nextDouble() >= lane.malformedDebt) {
            return null;
        }
        lane.malformedDebt -= 1;
        Malformation[] kinds = Malformation.values();
        return kinds[lane.nextMalformation++ % kinds.length];
    }

    private void collectLabels(Lane lane) {
        for (AnomalyLabel label : lane.simulator.drainLabels()) {
            labels.add(label);
            anomaliesByKind.merge(label.kind(), 1L, Long::sum);
        }
    }

    /** The command line: run with {@code --help} for the options. */
    public static void main(String[] args) {
        GeneratorOptions options;
        try {
            options = GeneratorOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("run with --help to see the options");
            System.exit(2);
            return;
        }
        if (options.helpRequested()) {
            System.out.print(GeneratorOptions.usage());
            return;
        }
        Generator generator = new Generator(options.config());
        System.err.println("generating " + options.describe());
        // Ctrl-C ends a run cleanly: records in flight are sent, labels written, the producer flushed.
        Thread main = Thread.currentThread();
        AtomicBoolean finished = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (!finished.get()) {
                generator.stop();
                try {
                    main.join(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "generator-shutdown"));
        try (EventSink sink = options.openSink()) {
            GeneratorSummary summary = generator.run(sink, progress -> System.err.println("... " + progress));
            System.out.println(summary);
        } catch (IOException | RuntimeException e) {
            finished.set(true);
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
        finished.set(true);
    }
}
