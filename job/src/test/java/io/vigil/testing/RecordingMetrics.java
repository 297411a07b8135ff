package io.vigil.testing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

/**
 * A real Flink metric group tree whose registry remembers every metric registered, so that an
 * operator test harness built on {@link #environment()} can assert on an operator's counters by
 * their scope relative to the operator ({@code "deadLetters.oversized"}).
 */
public final class RecordingMetrics {

    private final Map<String, Metric> metrics = new ConcurrentHashMap<>();
    private final TaskMetricGroup taskGroup;

    public RecordingMetrics() {
        TestingMetricRegistry registry = TestingMetricRegistry.builder()
                .setDelimiter('.')
                .setRegisterConsumer((metric, name, group) ->
                        metrics.put(group.getLogicalScope(CharacterFilter.NO_OP_FILTER, '.') + "." + name, metric))
                .build();
        taskGroup = TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "localhost", ResourceID.generate())
                .addJob(new JobID(), "job")
                .addTask(ExecutionAttemptID.randomId(), "task");
    }

    /** An environment for a test harness whose operators register their metrics here. */
    public MockEnvironment environment() {
        return new MockEnvironmentBuilder().setMetricGroup(taskGroup).build();
    }

    /** The count of the counter registered under an operator's group at {@code path}. */
    public long count(String path) {
        return ((Counter) metric(path)).getCount();
    }

    /** The value of the gauge registered under an operator's group at {@code path}. */
    public Object gauge(String path) {
        return ((Gauge<?>) metric(path)).getValue();
    }

    /** Whether an operator registered a metric at {@code path}. */
    public boolean has(String path) {
        return metrics.keySet().stream().anyMatch(name -> name.endsWith(".operator." + path));
    }

    private Metric metric(String path) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().endsWith(".operator." + path))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + path + " among " + metrics.keySet()));
    }
}
