package io.vigil.threshold;

import io.vigil.alert.FeatureContribution;

/**
 * One key's alert lifecycle, kept in keyed state: the open incident, if any, and the key's count
 * against the alert cap. A POJO of primitives, strings and {@link FeatureContribution}s; its size
 * does not grow with the incident's length.
 */
public class IncidentState {

    /** The open incident's id; null when none is open. */
    public String id;
    /** Event time of its first and of its last anomalous window. */
    public long start;
    public long lastAnomaly;
    /** Anomalous windows in it, and how many of them were written as alerts. */
    public long anomalies;
    public long written;
    /** Event time and highest severity of its written alerts. */
    public long lastWritten;
    public int maxSeverityWritten;
    /** Its most severe window, for the end summary. */
    public double peakScore;
    public double peakThreshold;
    public int peakSeverity;
    public FeatureContribution[] peakFeatures;
    /** The cap interval the key's count is for (event time / interval), and the count. */
    public long capInterval;
    public int capCount;

    public IncidentState() {}

    boolean open() {
        return id != null;
    }

    void close() {
        id = null;
        start = lastAnomaly = anomalies = written = lastWritten = 0;
        maxSeverityWritten = peakSeverity = 0;
        peakScore = peakThreshold = 0;
        peakFeatures = null;
    }
}
