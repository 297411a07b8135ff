package io.vigil.threshold;

import io.vigil.alert.Alert;
import io.vigil.alert.FeatureContribution;
import io.vigil.model.ModelContract;
import io.vigil.score.ScoredWindow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.IntStream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decides which scored windows are anomalies, with a threshold that adapts to each key.
 *
 * <p>In: {@link ScoredWindow}s keyed by entity key. Out: an {@link Alert} for each score above the
 * key's threshold, and on {@link #SCORES} a {@link ScoreRecord} for every score.
 *
 * <p>State: per key one {@link ThresholdState} (named {@value #STATE_NAME}), an exponentially
 * weighted mean and variance of ln(score). A key without state starts from the model's calibration,
 * so it is covered from its first window. A score alerts when ln(score) &gt; mean + k·sd. Only
 * scores that do not alert are learned: an anomaly must not raise its own threshold, and a key
 * that stays anomalous keeps alerting instead of becoming the new normal.
 *
 * <p>Severity, 1–100, is how far above the threshold the score is on a log scale:
 * clamp(round(100·log10(score / threshold)), 1, 100). A score twice the threshold is 30, ten
 * times the threshold or more is 100.
 *
 * <p>Metrics: counters {@code scores}, {@code alerts} and {@code nanScores}, meter {@code alertsPerSecond}.
 */
public class AdaptiveThreshold extends KeyedProcessFunction<String, ScoredWindow, Alert> {

    private static final long serialVersionUID = 1L;

    /** Every score with its threshold, for the optional scores topic. */
    public static final OutputTag<ScoreRecord> SCORES = new OutputTag<>("scores", TypeInformation.of(ScoreRecord.class));

    /** The state's name is part of the savepoint format: renaming it loses every key's baseline. */
    public static final String STATE_NAME = "threshold";

    /**
     * ln(0) is −∞: a zero score (a perfect reconstruction) is taken as this instead. Far below any
     * float32 reconstruction error a real window produces, so it only guards the logarithm.
     */
    static final double MIN_SCORE = 1e-12;

    private final String stream;
    private final String modelName;
    private final String modelVersion;
    private final String[] columns;
    private final ModelContract.Calibration calibration;
    private final ThresholdSettings settings;
    private final Duration stateTtl;

    private transient ValueState<ThresholdState> state;
    private transient MessageDigest sha256;
    private transient Counter alerts;
    private transient Counter scores;
    private transient Counter nanScores;

    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdSettings settings) {
        this(stream, contract, settings, null);
    }

    /**
     * @param stateTtl how long a key's baseline survives without a normal score; null keeps it forever
     */
    public AdaptiveThreshold(String stream, ModelContract contract, ThresholdSettings settings, Duration stateTtl) {
        if (contract.calibration() == null) {
            throw new IllegalArgumentException("model " + contract.name() + " has no calibration to seed thresholds with");
        }
        if (stateTtl != null && (stateTtl.isNegative() || stateTtl.isZero())) {
            throw new IllegalArgumentException("threshold state TTL = " + stateTtl + ": must be positive");
        }
        this.stream = stream;
        this.modelName = contract.name();
        this.modelVersion = contract.version();
        this.columns = contract.columns().toArray(new String[0]);
        this.calibration = contract.calibration();
        this.settings = settings.validate();
        this.stateTtl = stateTtl;
    }

    /**
     * The keyed state's descriptor. Whether TTL is on is part of the savepoint format (a state
     * written without TTL cannot be restored with it, and the reverse), which is why it is decided
     * now. Without TTL, state grows with the number of distinct keys ever seen: bounded for a fleet
     * of sensors, not for a stream keyed by card or customer. With TTL, a key idle for longer than
     * {@code ttl} is dropped (a few dozen bytes plus the key) and starts again from the calibration when
     * it returns, which is the same cover any new key gets. The clock is processing time (the only
     * one Flink's TTL has); only writes refresh it, so a read does not cost a write in RocksDB.
     */
    static ValueStateDescriptor<ThresholdState> stateDescriptor(Duration ttl) {
        ValueStateDescriptor<ThresholdState> descriptor = new ValueStateDescriptor<>(STATE_NAME, ThresholdState.class);
        if (ttl != null) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .updateTtlOnCreateAndWrite()
                    .neverReturnExpired()
                    .build());
        }
        return descriptor;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        state = getRuntimeContext().getState(stateDescriptor(stateTtl));
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
        OperatorMetricGroup metrics = getRuntimeContext().getMetricGroup();
        alerts = metrics.counter("alerts");
        scores = metrics.counter("scores");
        nanScores = metrics.counter("nanScores");
        metrics.meter("alertsPerSecond", new MeterView(alerts));
    }

    @Override
    public void processElement(ScoredWindow window, Context ctx, Collector<Alert> out) throws Exception {
        scores.inc();
        ThresholdState current = state.value();
        if (current == null) {
            current = ThresholdState.seed(calibration);
        }
        double logThreshold = current.logThreshold(settings.k());
        double threshold = Math.exp(logThreshold);
        double score = window.score();
        boolean alert = false;
        if (Double.isNaN(score)) {
            // NaN compares false with everything and, learned, would poison the key's mean for
            // good: count it and leave the state alone.
            nanScores.inc();
        } else {
            double logScore = Math.log(Math.max(score, MIN_SCORE));
            alert = logScore > logThreshold;
            if (alert) {
                alerts.inc();
                out.collect(alert(window, threshold));
            } else {
                state.update(current.learn(logScore, settings.alpha(), settings.warmup(), calibration));
            }
        }
        ctx.output(SCORES, new ScoreRecord(stream, window.key(), window.timestamp(), score, threshold, alert, window.events()));
    }

    private Alert alert(ScoredWindow window, double threshold) {
        return new Alert(
                alertId(window.key(), window.timestamp()),
                stream,
                window.key(),
                window.timestamp(),
                window.score(),
                threshold,
                severity(window.score(), threshold),
                modelName,
                modelVersion,
                topFeatures(window, columns, settings.topFeatures()));
    }

    /**
     * Hex of the first 16 bytes of SHA-256("stream|key|eventTime|model|version"): the same window
     * scored by the same model gets the same id after a replay, so consumers can de-duplicate.
     */
    String alertId(String key, long eventTime) {
        String identity = stream + '|' + key + '|' + eventTime + '|' + modelName + '|' + modelVersion;
        byte[] digest = sha256.digest(identity.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    /** clamp(round(100·log10(score / threshold)), 1, 100): see the class comment. */
    static int severity(double score, double threshold) {
        long severity = Math.round(100 * Math.log10(score / threshold));
        return (int) Math.max(1, Math.min(100, severity));
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
