package io.vigil.score;

import static io.vigil.score.TestModels.ramp;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SharedSessionsTest {

    @Test
    void sharesOneSessionPerModelAndClosesItWhenTheLastUserLeaves() {
        int before = SharedSessions.openSessions();
        SharedSessions.Lease first = SharedSessions.acquire(TestModels.dense(), OnnxDevice.CPU, 1);
        // A second operator instance deserializes its own copy of the model: equal content, other objects.
        SharedSessions.Lease second = SharedSessions.acquire(TestModels.dense(), OnnxDevice.CPU, 1);
        OnnxSession session = first.session();
        assertSame(session, second.session());
        assertEquals(before + 1, SharedSessions.openSessions());

        first.close();
        first.close(); // a second close must not release the other user's reference
        assertDoesNotThrow(() -> new OnnxScorer(session, 1).score(List.of(ramp("k", 1, 0f))));
        assertEquals(before + 1, SharedSessions.openSessions());

        second.close();
        assertEquals(before, SharedSessions.openSessions());
        assertThrows(IllegalStateException.class, () -> new OnnxScorer(session, 1).score(List.of(ramp("k", 1, 0f))));
    }

    @Test
    void keepsSeparateSessionsForOtherModelsAndSettings() {
        try (SharedSessions.Lease dense = SharedSessions.acquire(TestModels.dense(), OnnxDevice.CPU, 1);
                SharedSessions.Lease halving = SharedSessions.acquire(TestModels.halving(), OnnxDevice.CPU, 1);
                SharedSessions.Lease twoThreads = SharedSessions.acquire(TestModels.dense(), OnnxDevice.CPU, 2);
                SharedSessions.Lease otherMeans = SharedSessions.acquire(
                        TestModels.withMeans(TestModels.dense(), 0f, 0f, 0f), OnnxDevice.CPU, 1)) {
            assertNotSame(dense.session(), halving.session());
            assertNotSame(dense.session(), twoThreads.session());
            // Same graph, another contract: the scorer de-normalizes with the session's contract, so no sharing.
            assertNotSame(dense.session(), otherMeans.session());
        }
    }

    @Test
    void aReleasedLeaseGivesNoSession() {
        SharedSessions.Lease lease = SharedSessions.acquire(TestModels.dense(), OnnxDevice.CPU, 1);
        lease.close();
        assertThrows(IllegalStateException.class, lease::session);
    }
}
