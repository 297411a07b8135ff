package io.vigil.parse;

import io.vigil.deadletter.DeadLetter;
import io.vigil.ingest.RawEvent;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** What flows into, out of and beside the parser is serialized by Flink, never by Kryo. */
class ParseTypesTest {

    @Test
    void rawEventIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(RawEvent.class);
    }

    @Test
    void eventIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Event.class);
    }

    @Test
    void deadLetterIsAPojo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(DeadLetter.class);
    }
}
