package io.vigil.window;

import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** What the window stage keeps in state or sends downstream is serialized by Flink, never by Kryo. */
class WindowTypesTest {

    @Test
    void windowStateIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(WindowState.class);
    }

    @Test
    void pendingEventIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(PendingEvent.class);
    }

    @Test
    void scoringRequestIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ScoringRequest.class);
    }
}
