package dev.stratus.codec;

/** Quality of service levels. The value 3 is malformed in every version [MQTT-3.3.1-4]. */
public enum QoS {
  AT_MOST_ONCE,
  AT_LEAST_ONCE,
  EXACTLY_ONCE;

  private static final QoS[] BY_VALUE = values();

  public int value() {
    return ordinal();
  }

  /** Returns the level for a value in 0..2; callers validate the value before. */
  public static QoS of(int value) {
    return BY_VALUE[value];
  }

  public static QoS min(QoS a, QoS b) {
    return a.ordinal() <= b.ordinal() ? a : b;
  }
}
