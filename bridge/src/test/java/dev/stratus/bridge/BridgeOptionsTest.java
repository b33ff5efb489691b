package dev.stratus.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The queue and buffer limit options: defaults, sizes with suffixes, refusals. */
class BridgeOptionsTest {
  @Test
  void defaultsAreTheDocumentedOnes() throws Exception {
    BridgeOptions o = BridgeOptions.parse();
    assertEquals(10_000, o.maxQueuedMessages());
    assertEquals(100, o.maxInflight());
    assertEquals(1 << 20, o.outboundSoftLimit());
    assertEquals(8 << 20, o.outboundHardLimit());
  }

  @Test
  void limitsAreSettable() throws Exception {
    BridgeOptions o =
        BridgeOptions.parse(
            "--max-queued-messages",
            "1000000",
            "--max-inflight=20",
            "--outbound-soft-limit",
            "256k",
            "--outbound-hard-limit",
            "2m");
    assertEquals(1_000_000, o.maxQueuedMessages());
    assertEquals(20, o.maxInflight());
    assertEquals(256 * 1024, o.outboundSoftLimit());
    assertEquals(2 << 20, o.outboundHardLimit());
    assertEquals(12345, BridgeOptions.parse("--outbound-soft-limit", "12345").outboundSoftLimit());
  }

  @Test
  void badLimitsAreRefused() {
    for (String[] args :
        new String[][] {
          {"--max-inflight", "0"},
          {"--max-queued-messages", "-1"},
          {"--max-queued-messages", "many"},
          {"--outbound-soft-limit", "0"},
          {"--outbound-soft-limit", "4g"},
          {"--outbound-soft-limit", "9999999m"},
          {"--outbound-soft-limit", "2m", "--outbound-hard-limit", "1m"},
        }) {
      var e = assertThrows(BridgeOptions.UsageException.class, () -> BridgeOptions.parse(args));
      assertTrue(e.getMessage().startsWith("--"), e.getMessage());
    }
  }
}
