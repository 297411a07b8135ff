package io.vigil.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.config.JobSettings;
import io.vigil.deadletter.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The command format of docs/thresholds.md: what parses, and what is dead-lettered with its bytes. */
class CommandParserTest {

    private static OneInputStreamOperatorTestHarness<io.vigil.ingest.RawEvent, ThresholdCommand> parser() throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(
                new CommandParser(JobSettings.thresholdParameterNames(), List.of("sensors", "transactions"), 1024));
    }

    @Test
    void theDocumentedCommandsParse() throws Exception {
        try (var parser = parser()) {
            for (String json : List.of(
                    "{\"command\":\"set\",\"scope\":{\"prefix\":\"pump-\"},\"parameters\":{\"threshold.k\":\"5\"}}",
                    "{\"command\":\"set\",\"parameters\":{\"method\":\"pot\",\"risk\":1e-5}}",
                    "{\"command\":\"set\",\"stream\":\"sensors\",\"scope\":\"global\",\"parameters\":{\"learn-from-anomalies\":true}}",
                    "{\"command\":\"reset\",\"scope\":{\"key\":\"pump-17\"}}",
                    "{\"command\":\"clear\",\"scope\":{\"prefix\":\"pump-\"}}")) {
                parser.processElement(new StreamRecord<>(ControlledThresholdTest.raw(json)));
            }
            List<ThresholdCommand> commands = parser.extractOutputValues();
            assertEquals(5, commands.size(), () -> "dead letters: " + parser.getSideOutput(CommandParser.DEAD_LETTERS));
            ThresholdCommand first = commands.get(0);
            assertEquals("prefix:pump-", first.scopeId());
            assertArrayEquals(new String[] {"k"}, first.names, "'threshold.' is optional");
            assertArrayEquals(new String[] {"5"}, first.values);
            assertEquals("global:", commands.get(1).scopeId(), "no scope is global");
            assertEquals("sensors", commands.get(2).stream);
            assertNull(commands.get(1).stream, "no stream is every stream");
            assertEquals("key:pump-17", commands.get(3).scopeId());
            assertEquals(ThresholdCommand.CLEAR, commands.get(4).command);
        }
    }

    @Test
    void malformedCommandsAreDeadLetteredWithTheirBytes() throws Exception {
        List<String> bad = List.of(
                "not json",
                "[1, 2]",
                "{\"command\":\"drop\"}",
                "{\"command\":\"set\",\"parameters\":{\"kk\":\"5\"}}",
                "{\"command\":\"set\",\"parameters\":{}}",
                "{\"command\":\"set\",\"scope\":{\"prefix\":\"\"},\"parameters\":{\"k\":\"5\"}}",
                "{\"command\":\"set\",\"scope\":{\"prefix\":\"a\",\"key\":\"b\"},\"parameters\":{\"k\":\"5\"}}",
                "{\"command\":\"reset\",\"scope\":{\"key\":\"a\"},\"parameters\":{\"k\":\"5\"}}",
                "{\"command\":\"set\",\"stream\":\"sensor\",\"parameters\":{\"k\":\"5\"}}",
                "{\"command\":\"set\",\"parameters\":{\"k\":{\"v\":5}}}",
                "{\"command\":\"set\",\"parameter\":{\"k\":\"5\"}}",
                "{\"command\":\"set\",\"parameters\":{\"k\":\"" + "9".repeat(1100) + "\"}}");
        try (var parser = parser()) {
            for (String json : bad) {
                parser.processElement(new StreamRecord<>(ControlledThresholdTest.raw(json)));
            }
            assertTrue(parser.extractOutputValues().isEmpty());
            List<DeadLetter> dead = parser.getSideOutput(CommandParser.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
            assertEquals(bad.size(), dead.size());
            for (int i = 0; i < bad.size(); i++) {
                assertEquals("invalid_command", dead.get(i).reason());
                assertArrayEquals(bad.get(i).getBytes(StandardCharsets.UTF_8), dead.get(i).payload());
                assertTrue(!dead.get(i).detail().isEmpty());
            }
        }
    }
}
