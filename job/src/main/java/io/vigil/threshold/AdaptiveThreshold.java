package io.vigil.threshold;

import io.vigil.alert.Alert;
import io.vigil.alert.AlertSettings;
import io.vigil.alert.FeatureContribution;
import io.vigil.alert.IncidentPhase;
import io.vigil.model.ModelContract;
import io.vigil.score.ScoredWindow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which scored windows are anomalies, with a threshold per key, and turns them into
 * alerts grouped in incidents.
 *
 * <p>In: {@link ScoredWindow}s keyed by entity key. Out: {@link Alert}s (phase start and update
 * for anomalous windows the incident rules let through, end when an incident closes), and on
 * {@link #SCORES} a {@link ScoreRecord} for every score.
 *
 * <p>Thresholds ({@link ThresholdMethod}, computed by {@link Judge}; per key from {@link ThresholdRules}): static, sigma (EWMA of
 * ln(score), state {@value #STATE_NAME}), quantile (t-digest, state {@value #QUANTILE_STATE_NAME})
 * or pot (SPOT/DSPOT, state {@value #POT_STATE_NAME}). A key without state starts from the model's
 * calibration, so it is covered from its first window. Only scores that do not alert are learned
 * (unless {@code threshold.learn-from-anomalies}): an anomaly must not raise its own threshold, and
 * a key that stays anomalous keeps alerting instead of becoming the new normal.
 *
 * <p>Incidents (state {@value #INCIDENT_STATE_NAME}, see {@link AlertSettings}): anomalous windows
 * of a key less than {@code alert.merge-gap} apart in event time are one incident with a
 * deterministic id; its first written alert has phase start, later ones update, and an event-time
 * timer at the last anomalous window + merge gap writes its end. The cooldown and the per-key cap
 * hold back updates (counted, not written); an end is always written for an incident that wrote
 * anything, so a consumer can close what it opened.
 *
 * <p>A new model (another ONNX file, by its SHA-256) scores on another scale. Each key records which
 * model its learned thresholds come from (state {@value #MODEL_STATE_NAME}); restored under another
 * model, a key starts its thresholds again from the new model's calibration at its next score. Its
 * window and any open incident carry over.
 *
 * <p>Metrics: counters {@code scores}, {@code anomalies}, {@code alerts} (start and update written),
 * {@code alertsSuppressed}, {@code incidents}, {@code nanScores}, {@code infiniteScores}, {@code thresholdsReseeded}; meter
 * {@code alertsPerSecond}.
 */
public class AdaptiveThreshold extends KeyedProcessFunction<String, ScoredWindow, Alert> {

    private static final long serialVersionUID = 2L;

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveThreshold.class);

    /** Every score with its threshold, for the optional scores topic. */
    public static final OutputTag<ScoreRecord> SCORES = new OutputTag<>("scores", TypeInformation.of(ScoreRecord.class));

    /** State names are part of the savepoint format: renaming one loses every key's baseline. */
    public static final String STATE_NAME = "threshold";
    public static final String QUANTILE_STATE_NAME = "threshold-quantile";
    public static final String POT_STATE_NAME = "threshold-pot";
    public static final String INCIDENT_STATE_NAME = "incident";
    public static final String MODEL_STATE_NAME = "threshold-model";

    /**
     * ln(0) is −∞: a zero score (a perfect reconstruction) is taken as this instead. Far below any
     * float32 reconstruction error a real window produces, so it only guards the logarithm.
     */
    static final double MIN_SCORE = 1e-12;

    private final String stream;
    private final String modelName;
    private final String modelVersion;
    /** The first 64 bits of the model's ONNX SHA-256: which model's scores a key's thresholds learned. */
    private final long modelId;
    private final String[] columns;
    private final ModelContract.Calibration calibration;
    private final ThresholdRules initialRules;
    /** The rules in force: the initial ones, or those control commands set ({@link #useRules}). */
    private transient ThresholdRules rules;
    /** Register every method's state in open, not only the configured ones': control commands may switch methods. */
    private boolean registerAllStates;
    private final AlertSettings alertSettings;
    private final Duration stateTtl;
    private final long scoresBehindWatermarkMs;
    private final int topFeatures;

    /** Per entry of {@link ThresholdRules#all()}: its judge and its method's JSON name. */
    private transient ThresholdSettings[] settingsByRule;
    private transient Judge[] judges;
    private transient String[] methods;
    /** The settings and judge of the key being processed. */
    private transient ThresholdSettings settings;
    private transient Judge judge;
    private transient String method;
    private transient ValueState<ThresholdState> sigmaState;
    private transient ValueState<QuantileState> quantileState;
    private transient ValueState<PotState> potState;
    private transient ValueState<IncidentState> incidentState;
    private transient ValueState<Long> learnedModel;
    private transient boolean reseedLogged;
    private transient MessageDigest sha256;
    private transient Counter alerts;
    private transient Counter anomalies;
    private transient Counter suppressed;
    private transient Counter incidents;
    private transient Counter scores;
    private transient Counter nanScores;
    private transient Counter infiniteScores;
    private transient Counter reseeded;

    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdSettings settings) {
        this(stream, contract, settings, AlertSettings.defaults(), null);
    }

    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdSettings settings, Duration stateTtl) {
        this(stream, contract, settings, AlertSettings.defaults(), stateTtl);
    }

    /**
     * @param stateTtl how long a key's state survives without being written; null keeps it forever
     */
    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdSettings settings,
            AlertSettings alertSettings, Duration stateTtl) {
        this(stream, contract, ThresholdRules.none(settings), alertSettings, stateTtl);
    }

    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdRules rules,
            AlertSettings alertSettings, Duration stateTtl) {
        this(stream, contract, rules, alertSettings, stateTtl, Duration.ZERO);
    }

    /**
     * @param rules the threshold settings of each key: the job's, or a rule's for keys with its prefix
     * @param stateTtl how long a key's state survives without being written; null keeps it forever
     * @param scoresBehindWatermark how far the watermark here may run ahead of the scores' event
     *     times: the window stage releases a window {@code events.allowed-lateness} after its
     *     newest event's time, so an incident's end waits that much longer for its last windows
     */
    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdRules rules,
            AlertSettings alertSettings, Duration stateTtl, Duration scoresBehindWatermark) {
        if (contract.calibration() == null) {
            throw new IllegalArgumentException("model " + contract.name() + " has no calibration to seed thresholds with");
        }
        if (stateTtl != null && (stateTtl.isNegative() || stateTtl.isZero())) {
            throw new IllegalArgumentException("threshold state TTL = " + stateTtl + ": must be positive");
        }
        this.stream = stream;
        this.modelName = contract.name();
        this.modelVersion = contract.version();
        this.modelId = modelId(contract);
        this.columns = contract.columns().toArray(new String[0]);
        this.calibration = contract.calibration();
        this.initialRules = rules;
        this.alertSettings = alertSettings.validate();
        this.stateTtl = stateTtl;
        if (scoresBehindWatermark == null || scoresBehindWatermark.isNegative()) {
            throw new IllegalArgumentException("events.allowed-lateness = " + scoresBehindWatermark + ": must be a duration >= 0");
        }
        this.scoresBehindWatermarkMs = scoresBehindWatermark.toMillis();
        this.topFeatures = rules.defaults().topFeatures();
        for (ThresholdSettings each : rules.all()) {
            // Fails now, naming the parameter, rather than on the first score.
            new Judge(each.validate(), calibration);
            warnIfUnresolved(each, contract);
        }
    }

    /**
     * A static quantile that the calibration's windows do not reach (fewer than one expected above
     * it) is listed all the same, but it is then about their largest score, not that quantile.
     */
    private static void warnIfUnresolved(ThresholdSettings settings, ModelContract contract) {
        double level = settings.staticQuantile();
        if (settings.method() != ThresholdMethod.STATIC || Double.isNaN(level) || !Double.isNaN(settings.staticValue())) {
            return;
        }
        long samples = contract.calibration().samples();
        if (samples * (1 - level) < 1 - 1e-9) {
            LOG.warn("threshold.static-quantile = {}: model {} was calibrated on {} windows, fewer than the {} it takes"
                    + " to expect one above that quantile, so its listed value is about the largest of them and"
                    + " normal windows may alert more often than 1 in {}", level, contract.name(), samples,
                    (long) Math.ceil(1 / (1 - level) - 1e-6), (long) Math.round(1 / (1 - level)));
        }
    }

    /**
     * The threshold of method static for this model; throws, naming the parameter, when
     * {@code threshold.static-quantile} is not a quantile the model's calibration lists.
     */
    public static double staticThreshold(ThresholdSettings settings, ModelContract contract) {
        return Judge.staticThreshold(settings, contract.calibration());
    }

    /**
     * A keyed state's descriptor. Whether TTL is on is part of the savepoint format (a state
     * written without TTL cannot be restored with it, and the reverse), which is why it is decided
     * now. Without TTL, state grows with the number of distinct keys ever seen: bounded for a fleet
     * of sensors, not for a stream keyed by card or customer. With TTL, a key idle for longer than
     * {@code ttl} is dropped and starts again from the calibration when it returns, which is the
     * same cover any new key gets. The clock is processing time (the only one Flink's TTL has);
     * only writes refresh it, so a read does not cost a write in RocksDB.
     */
    static <T> ValueStateDescriptor<T> descriptor(String name, Class<T> type, Duration ttl) {
        ValueStateDescriptor<T> descriptor = new ValueStateDescriptor<>(name, type);
        if (ttl != null) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .updateTtlOnCreateAndWrite()
                    .neverReturnExpired()
                    .build());
        }
        return descriptor;
    }

    /**
     * The key's model record. Written once, at the key's first score, it would expire after the TTL
     * while the thresholds, written at every score, live on, and a key active for longer than the
     * TTL would keep another model's thresholds. So reading it, once per score, keeps it alive too.
     */
    static ValueStateDescriptor<Long> modelDescriptor(Duration ttl) {
        ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>(MODEL_STATE_NAME, Long.class);
        if (ttl != null) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
                    .neverReturnExpired()
                    .build());
        }
        return descriptor;
    }

    /** The sigma method's state: a few dozen bytes per key. */
    static ValueStateDescriptor<ThresholdState> stateDescriptor(Duration ttl) {
        return descriptor(STATE_NAME, ThresholdState.class, ttl);
    }

    /** The first 64 bits of the SHA-256 of the model's ONNX file, as its contract names it. */
    static long modelId(ModelContract contract) {
        return Long.parseUnsignedLong(contract.onnx().sha256().substring(0, 16), 16);
    }

    /** The model's calibration, which every key's threshold starts from. */
    ModelContract.Calibration calibration() {
        return calibration;
    }

    /** The rules given at construction (the command line and {@code threshold.rules}). */
    public ThresholdRules initialRules() {
        return initialRules;
    }

    /** Makes {@link #open} register every method's state, for an operator whose rules change at runtime. */
    public AdaptiveThreshold registeringAllStates() {
        this.registerAllStates = true;
        return this;
    }

    /**
     * Switches to {@code next} between two elements: every key's next score is judged with its
     * settings there. Learned state is kept (as after a restart with changed parameters).
     */
    public void useRules(ThresholdRules next) {
        List<ThresholdSettings> all = next.all();
        ThresholdSettings[] nextSettings = all.toArray(new ThresholdSettings[0]);
        Judge[] nextJudges = new Judge[all.size()];
        String[] nextMethods = new String[all.size()];
        for (int i = 0; i < all.size(); i++) {
            nextJudges[i] = new Judge(all.get(i), calibration);
            nextMethods[i] = all.get(i).method().name().toLowerCase(Locale.ROOT);
        }
        // Assigned only once every judge is built: a failure leaves the previous rules whole.
        rules = next;
        settingsByRule = nextSettings;
        judges = nextJudges;
        methods = nextMethods;
    }

    /** The descriptors of the learned threshold states (not the incident's), for resets. */
    public List<ValueStateDescriptor<?>> learnedStateDescriptors() {
        return List.of(stateDescriptor(stateTtl), descriptor(QUANTILE_STATE_NAME, QuantileState.class, stateTtl),
                descriptor(POT_STATE_NAME, PotState.class, stateTtl));
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        useRules(initialRules);
        List<ThresholdSettings> all = initialRules.all();
        // Only the states of configured methods are registered; after a restart with another
        // method a key starts that method from the calibration. An operator whose method can be
        // switched at runtime registers them all (an unused one stays empty).
        if (registerAllStates) {
            sigmaState = getRuntimeContext().getState(stateDescriptor(stateTtl));
            quantileState = getRuntimeContext().getState(descriptor(QUANTILE_STATE_NAME, QuantileState.class, stateTtl));
            potState = getRuntimeContext().getState(descriptor(POT_STATE_NAME, PotState.class, stateTtl));
        }
        for (ThresholdSettings each : all) {
            switch (each.method()) {
                case SIGMA -> sigmaState = getRuntimeContext().getState(stateDescriptor(stateTtl));
                case QUANTILE -> quantileState = getRuntimeContext().getState(descriptor(QUANTILE_STATE_NAME, QuantileState.class, stateTtl));
                case POT -> potState = getRuntimeContext().getState(descriptor(POT_STATE_NAME, PotState.class, stateTtl));
                case STATIC -> { }
            }
        }
        incidentState = getRuntimeContext().getState(descriptor(INCIDENT_STATE_NAME, IncidentState.class, stateTtl));
        learnedModel = getRuntimeContext().getState(modelDescriptor(stateTtl));
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
        OperatorMetricGroup metrics = getRuntimeContext().getMetricGroup();
        alerts = metrics.counter("alerts");
        anomalies = metrics.counter("anomalies");
        suppressed = metrics.counter("alertsSuppressed");
        incidents = metrics.counter("incidents");
        scores = metrics.counter("scores");
        nanScores = metrics.counter("nanScores");
        infiniteScores = metrics.counter("infiniteScores");
        reseeded = metrics.counter("thresholdsReseeded");
        metrics.meter("alertsPerSecond", new MeterView(alerts));
    }

    @Override
    public void processElement(ScoredWindow window, Context ctx, Collector<Alert> out) throws Exception {
        process(window, ctx.timerService(), record -> ctx.output(SCORES, record), out);
    }

    /** Judges one score of the current key; shared with the operator that takes control commands. */
    public void process(ScoredWindow window, TimerService timers, Consumer<ScoreRecord> scoreOut, Collector<Alert> out) throws Exception {
        scores.inc();
        forgetAnotherModelsThresholds();
        int rule = rules.indexFor(window.key());
        settings = settingsByRule[rule];
        judge = judges[rule];
        method = methods[rule];
        double score = window.score();
        double threshold;
        boolean anomalous = false;
        if (Double.isNaN(score)) {
            // NaN compares false with everything and, learned, would poison the key's state for
            // good: count it and leave the state alone.
            nanScores.inc();
            threshold = currentThreshold();
        } else if (score == Double.POSITIVE_INFINITY) {
            // The reconstruction overflowed: beyond any threshold, but learned it would make the
            // key's mean, quantile or tail infinite and every later threshold with it. Alerted at
            // the highest severity, the state left alone.
            infiniteScores.inc();
            threshold = currentThreshold();
            anomalous = true;
            anomalies.inc();
            onAnomaly(window, new Judge.Judgement(threshold, true, 0.0), timers, out);
        } else {
            Judge.Judgement judgement = judge(score);
            threshold = judgement.threshold();
            anomalous = judgement.anomalous();
            if (anomalous) {
                anomalies.inc();
                onAnomaly(window, judgement, timers, out);
            }
        }
        scoreOut.accept(new ScoreRecord(stream, window.key(), window.timestamp(), score, threshold, anomalous, window.events()));
    }

    /**
     * Clears the current key's learned thresholds if another model's scores taught them. A key
     * without the record is new, or was restored from a savepoint taken before keys recorded their
     * model: its state, if any, is kept, as it always was.
     */
    private void forgetAnotherModelsThresholds() throws Exception {
        Long learnedFrom = learnedModel.value();
        if (learnedFrom != null && learnedFrom == modelId) {
            return;
        }
        if (learnedFrom != null) {
            for (ValueState<?> state : new ValueState<?>[] {sigmaState, quantileState, potState}) {
                if (state != null) {
                    state.clear();
                }
            }
            reseeded.inc();
            if (!reseedLogged) {
                reseedLogged = true;
                LOG.info("stream {}: model {} {} (onnx {}) replaces the model whose scores the restored thresholds"
                        + " learned ({}): each key starts its thresholds again from this model's calibration at its"
                        + " next score (metric thresholdsReseeded counts them)", stream, modelName, modelVersion,
                        String.format("%016x", modelId), String.format("%016x", learnedFrom));
            }
        }
        learnedModel.update(modelId);
    }

    private Judge.Judgement judge(double score) throws Exception {
        switch (settings.method()) {
            case SIGMA -> {
                ThresholdState current = sigmaState.value();
                if (current == null) {
                    current = ThresholdState.seed(calibration);
                }
                ThresholdState[] next = new ThresholdState[1];
                Judge.Judgement judgement = judge.judgeSigma(current, score, next);
                if (next[0] != current) {
                    sigmaState.update(next[0]);
                }
                return judgement;
            }
            case QUANTILE -> {
                QuantileSketch sketch = QuantileSketch.fromState(quantileState.value(), settings.quantileHorizon());
                Judge.Judgement judgement = judge.judgeQuantile(sketch, score);
                quantileState.update(sketch.toState());
                return judgement;
            }
            case POT -> {
                PotState state = potState.value();
                if (state == null) {
                    state = Spot.create(settings);
                }
                Judge.Judgement judgement = judge.judgePot(state, score);
                potState.update(state);
                return judgement;
            }
            default -> {
                return judge.judgeStatic(score);
            }
        }
    }

    /** The key's threshold without judging a score (for a NaN score's record). */
    private double currentThreshold() throws Exception {
        return switch (settings.method()) {
            case SIGMA -> {
                ThresholdState current = sigmaState.value();
                yield judge.sigmaThreshold(current == null ? ThresholdState.seed(calibration) : current);
            }
            case QUANTILE -> judge.quantileThreshold(QuantileSketch.fromState(quantileState.value(), settings.quantileHorizon()));
            case POT -> {
                PotState state = potState.value();
                yield judge.potThreshold(state == null ? Spot.create(settings) : state);
            }
            case STATIC -> Judge.staticThreshold(settings, calibration);
        };
    }

    /** Opens or extends the key's incident and writes the alert unless the cooldown or cap holds it back. */
    private void onAnomaly(ScoredWindow window, Judge.Judgement judgement, TimerService timers, Collector<Alert> out) throws Exception {
        long time = window.timestamp();
        long gap = alertSettings.mergeGap().toMillis();
        IncidentState incident = incidentState.value();
        if (incident == null) {
            incident = new IncidentState();
        }
        if (incident.open() && time - incident.lastAnomaly > gap) {
            // The watermark has not yet fired the old incident's end (it lags event time): end it now.
            timers.deleteEventTimeTimer(endTimer(incident));
            writeEnd(window.key(), incident, out);
            incident.close();
        }
        if (!incident.open()) {
            incident.id = incidentId(window.key(), time);
            incident.start = time;
            incidents.inc();
        } else {
            timers.deleteEventTimeTimer(endTimer(incident));
        }
        incident.lastAnomaly = Math.max(incident.lastAnomaly, time);
        incident.anomalies++;
        timers.registerEventTimeTimer(endTimer(incident));

        int severity = Tails.severity(judgement.tailProbability());
        FeatureContribution[] features = topFeatures(window, columns, topFeatures);
        if (incident.anomalies == 1 || severity > incident.peakSeverity
                || (severity == incident.peakSeverity && window.score() > incident.peakScore)) {
            incident.peakScore = window.score();
            incident.peakThreshold = judgement.threshold();
            incident.peakSeverity = severity;
            incident.peakFeatures = features;
        }

        if (mayWrite(incident, time, severity)) {
            IncidentPhase phase = incident.written == 0 ? IncidentPhase.START : IncidentPhase.UPDATE;
            incident.written++;
            incident.lastWritten = time;
            incident.maxSeverityWritten = Math.max(incident.maxSeverityWritten, severity);
            alerts.inc();
            out.collect(new Alert(alertId(window.key(), time, window.tie()), stream, window.key(), time, window.score(),
                    judgement.threshold(), severity, modelName, modelVersion, method, incident.id, phase,
                    incident.start, incident.anomalies, features));
        } else {
            suppressed.inc();
        }
        incidentState.update(incident);
    }

    /**
     * Without {@code alert.updates} nothing after an incident's first written alert; the cooldown
     * holds back an update within {@code alert.cooldown} of the incident's last written alert unless
     * it is more severe than all written so far (an escalation is news); the cap holds back
     * anything over {@code alert.max-per-key-per-interval} in the key's interval.
     */
    private boolean mayWrite(IncidentState incident, long time, int severity) {
        if (incident.written > 0 && !alertSettings.updates()) {
            return false;
        }
        if (incident.written > 0 && time - incident.lastWritten < alertSettings.cooldown().toMillis()
                && severity <= incident.maxSeverityWritten) {
            return false;
        }
        if (alertSettings.maxPerInterval() > 0) {
            long interval = Math.floorDiv(time, alertSettings.interval().toMillis());
            if (interval != incident.capInterval) {
                incident.capInterval = interval;
                incident.capCount = 0;
            }
            if (incident.capCount >= alertSettings.maxPerInterval()) {
                return false;
            }
            incident.capCount++;
        }
        return true;
    }

    /**
     * When the watermark has passed every window of the key up to the incident's last anomaly plus
     * the merge gap: the gap, plus how far the watermark runs ahead of the scores' times.
     */
    private long endTimer(IncidentState incident) {
        long wait = alertSettings.mergeGap().toMillis() + scoresBehindWatermarkMs;
        return incident.lastAnomaly > Long.MAX_VALUE - wait ? Long.MAX_VALUE : incident.lastAnomaly + wait;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out) throws Exception {
        fire(timestamp, ctx.getCurrentKey(), ctx.timerService(), out);
    }

    /** An incident timer of {@code key}: ends its incident unless it was extended since. */
    public void fire(long timestamp, String key, TimerService timers, Collector<Alert> out) throws Exception {
        IncidentState incident = incidentState.value();
        // A timer of an incident that was extended or already ended is stale: those are deleted,
        // but a restored TTL-expired state may still leave one.
        if (incident == null || !incident.open()) {
            return;
        }
        if (timestamp < endTimer(incident)) {
            // Set before the restore under a smaller allowed lateness: wait for the windows that
            // may still come (Flink keeps one timer per timestamp, so this never doubles one).
            timers.registerEventTimeTimer(endTimer(incident));
            return;
        }
        method = methods[rules.indexFor(key)];
        writeEnd(key, incident, out);
        incident.close();
        if (alertSettings.maxPerInterval() > 0) {
            incidentState.update(incident);
        } else {
            incidentState.clear();
        }
    }

    /** The incident's summary: its worst window, its span and size. Only for an incident that wrote an alert. */
    private void writeEnd(String key, IncidentState incident, Collector<Alert> out) {
        if (incident.written == 0) {
            return;
        }
        out.collect(new Alert(endId(incident.id), stream, key, incident.lastAnomaly, incident.peakScore,
                incident.peakThreshold, incident.peakSeverity, modelName, modelVersion, method, incident.id,
                IncidentPhase.END, incident.start, incident.anomalies,
                incident.peakFeatures == null ? new FeatureContribution[0] : incident.peakFeatures));
    }

    /**
     * Hex of the first 16 bytes of SHA-256("stream|key|eventTime|model|version"), with "|tie" after
     * the time for a window whose newest event shares its time with earlier ones of the key: the
     * same window scored by the same model gets the same id after a replay, so consumers can
     * de-duplicate, and two windows ending at one time get two ids.
     */
    String alertId(String key, long eventTime, int tie) {
        String time = tie == 0 ? Long.toString(eventTime) : eventTime + "|" + tie;
        return hash(stream + '|' + key + '|' + time + '|' + modelName + '|' + modelVersion);
    }

    /** Like {@link #alertId} of the incident's first anomalous window, in its own namespace. */
    String incidentId(String key, long start) {
        return hash("incident|" + stream + '|' + key + '|' + start + '|' + modelName + '|' + modelVersion);
    }

    private String endId(String incidentId) {
        return hash("end|" + incidentId);
    }

    private String hash(String identity) {
        byte[] digest = sha256.digest(identity.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    /** The {@code count} columns with the largest errors, largest first; ties keep column order. */
    static FeatureContribution[] topFeatures(ScoredWindow window, String[] columns, int count) {
        float[] errors = window.columnErrors();
        return IntStream.range(0, errors.length)
                .boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> errors[i]).reversed())
                .limit(count)
                .map(i -> new FeatureContribution(columns[i], window.observed()[i], window.expected()[i], errors[i]))
                .toArray(FeatureContribution[]::new);
    }
}
