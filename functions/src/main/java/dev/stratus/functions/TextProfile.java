package dev.stratus.functions;

import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The text profile of MQTT over API Gateway WebSocket (docs/text-profile.md): API Gateway rejects
 * binary frames, while MQTT over WebSocket requires them [MQTT-6.0.0-1], so each text message
 * carries the base64 of one or more complete MQTT packets, in both directions.
 */
public final class TextProfile {
  private TextProfile() {}

  /** The WebSocket subprotocol a client offers to speak this profile. */
  public static final String SUBPROTOCOL = "mqtt-base64.stratus.dev";

  /**
   * API Gateway's message limit, 128 KB, read as 128,000 bytes so that the profile holds whether
   * the service counts kilobytes as 1,000 or 1,024 bytes.
   */
  public static final int MAX_MESSAGE_CHARS = 128_000;

  /**
   * Characters of a message kept for the client's sequence prefix ({@code <seq>:}, at most 16
   * digits and the colon, docs/text-profile.md), rounded up.
   */
  public static final int SEQUENCE_PREFIX_RESERVE = 20;

  /**
   * The largest MQTT packet whose base64 fits one message next to a sequence prefix: base64 turns
   * each 3 bytes into 4 characters, so floor((128,000 - 20) / 4) x 3 = 95,985 bytes become 127,980
   * characters. Announced to v5 clients as the server's Maximum Packet Size [MQTT-3.2.2-15] and
   * enforced on what they send.
   */
  public static final int MAX_PACKET_SIZE = (MAX_MESSAGE_CHARS - SEQUENCE_PREFIX_RESERVE) / 4 * 3;

  /** The packets of one message, as a fresh array (the caller owns it: decode with decodeOwned). */
  public static byte[] decode(String message) {
    // the basic alphabet, padding included, as the browser's btoa produces it (RFC 4648 §4)
    return Base64.getDecoder().decode(message);
  }

  /** One message carrying {@code packets}, whole packets back to back. */
  public static String encode(byte[] packets) {
    return Base64.getEncoder().encodeToString(packets);
  }

  /**
   * True when a {@code Sec-WebSocket-Protocol} header value (a comma-separated list, RFC 6455 §4.1)
   * offers this profile's subprotocol.
   */
  public static boolean offered(String secWebSocketProtocol) {
    if (secWebSocketProtocol == null) {
      return false;
    }
    for (String p : List.of(secWebSocketProtocol.split(","))) {
      if (p.strip().toLowerCase(Locale.ROOT).equals(SUBPROTOCOL)) {
        return true;
      }
    }
    return false;
  }
}
