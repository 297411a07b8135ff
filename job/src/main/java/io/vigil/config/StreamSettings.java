package io.vigil.config;

import io.vigil.model.LoadedModel;
import java.util.List;

/**
 * One event stream scored by the job: where its events come from and the model that scores them.
 *
 * @param topics the topics to read, or empty when {@code topicPattern} is set
 * @param keyPath JSON path of the entity key: the parameter's, else the model's
 * @param timestampPath JSON path of the event time: the parameter's, else the model's
 */
public record StreamSettings(
        String name, LoadedModel model, List<String> topics, String topicPattern, String keyPath, String timestampPath) {

    /** Operator uids start with the stream name, so streams can be added without breaking savepoints. */
    public String uid(String stage) {
        return name + "-" + stage;
    }
}
