package io.vigil.control;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;

import org.junit.jupiter.api.Test;

/** Commands cross the broadcast and sit in broadcast state: serialized without Kryo. */
class ControlTypesTest {

    @Test
    void thresholdCommandIsAPojo() {
        assertSerializedAsPojoWithoutKryo(ThresholdCommand.class);
    }
}
