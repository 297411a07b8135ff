package io.vigil.alert;

/**
 * An anomaly alert as written to the alerts topic: one per anomalous window that the incident
 * rules let through (phase start or update), and one closing summary per incident (phase end).
 *
 * @param alertId deterministic: the same input and model give the same id, so a consumer can
 *     de-duplicate across reprocessing
 * @param eventTime event time (epoch ms) of the newest event in the anomalous window; for an end,
 *     that of the incident's last anomalous window
 * @param score the window's score; for an end, the incident's highest
 * @param threshold the threshold the score was judged against
 * @param severity 0–100, from the estimated probability p that a normal window of the key scores
 *     this high: round(−10·log10 p), so 40 is one in 10⁴ windows, whatever the key or method
 * @param method the threshold method (static, sigma, quantile, pot)
 * @param incidentId deterministic id of the incident: the same for all its alerts
 * @param phase start, update or end
 * @param incidentStart event time (epoch ms) of the incident's first anomalous window
 * @param incidentAnomalies anomalous windows in the incident so far, written or not
 * @param topFeatures the model columns with the largest reconstruction errors, largest first
 */
public record Alert(
        String alertId,
        String stream,
        String key,
        long eventTime,
        double score,
        double threshold,
        int severity,
        String model,
        String modelVersion,
        String method,
        String incidentId,
        IncidentPhase phase,
        long incidentStart,
        long incidentAnomalies,
        FeatureContribution[] topFeatures) {}
