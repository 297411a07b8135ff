package io.vigil.score;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vigil.model.LoadedModel;
import io.vigil.model.ModelContract;
import java.util.HashMap;
import java.util.Map;

/**
 * One {@link OnnxSession} per model and device in this JVM, shared by every operator instance
 * that asks for it: the slots of a TaskManager then hold one copy of the weights (and, on a GPU,
 * one CUDA context) instead of one per slot. Reference-counted: the session closes when its last
 * {@link Lease} is closed. A model is identified by the sha256 of its graph and its contract, so
 * two jobs' different contracts for the same graph never share a session.
 *
 * <p>The registry is static in the job's class loader, which Flink shares among the tasks of one
 * job on one TaskManager; sessions are therefore shared within a job, not across jobs.
 */
public final class SharedSessions {

    private record Key(String onnxSha256, String contractJson, OnnxDevice device, int intraOpThreads) {}

    private static final class Entry {
        final OnnxSession session;
        int users;

        Entry(OnnxSession session) {
            this.session = session;
        }
    }

    private static final Map<Key, Entry> OPEN = new HashMap<>();

    private SharedSessions() {}

    /**
     * The session of {@code model} on {@code device}, opened on first use (see
     * {@link OnnxSession#open(LoadedModel, OnnxDevice, int)}). Close the lease when done.
     */
    public static Lease acquire(LoadedModel model, OnnxDevice device, int intraOpThreads) {
        Key key = new Key(LoadedModel.sha256(model.onnxBytes()), json(model.contract()), device, intraOpThreads);
        synchronized (OPEN) {
            // Opening under the lock makes a second slot wait for the first one's session instead of
            // opening its own; it happens once per job start.
            Entry entry = OPEN.computeIfAbsent(key, k -> new Entry(OnnxSession.open(model, device, intraOpThreads)));
            entry.users++;
            return new Lease(key, entry.session);
        }
    }

    /** How many sessions are open; for tests. */
    static int openSessions() {
        synchronized (OPEN) {
            return OPEN.size();
        }
    }

    private static void release(Key key) {
        synchronized (OPEN) {
            Entry entry = OPEN.get(key);
            if (entry != null && --entry.users == 0) {
                OPEN.remove(key);
                entry.session.close();
            }
        }
    }

    private static String json(ModelContract contract) {
        try {
            return ModelContract.JSON.writeValueAsString(contract);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the contract of model '" + contract.name() + "' as JSON", e);
        }
    }

    /** A use of a shared session; closing it more than once releases it once. */
    public static final class Lease implements AutoCloseable {
        private final Key key;
        private final OnnxSession session;
        private boolean released;

        private Lease(Key key, OnnxSession session) {
            this.key = key;
            this.session = session;
        }

        public OnnxSession session() {
            if (released) {
                throw new IllegalStateException("the lease of " + session + " was released");
            }
            return session;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                release(key);
            }
        }
    }
}
