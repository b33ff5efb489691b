package dev.stratus.codec;

/** MQTT 5 subscription option: whether retained messages are sent when a subscription is made. */
public enum RetainHandling {
  /** 0: send retained messages at the time of the subscribe. */
  SEND,
  /** 1: send retained messages only if the subscription does not currently exist. */
  SEND_IF_NEW_SUBSCRIPTION,
  /** 2: do not send retained messages. */
  DO_NOT_SEND;

  private static final RetainHandling[] BY_VALUE = values();

  public int value() {
    return ordinal();
  }

  public static RetainHandling of(int value) {
    return BY_VALUE[value];
  }
}
