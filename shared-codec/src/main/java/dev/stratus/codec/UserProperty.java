package dev.stratus.codec;

import java.util.Objects;

/** An MQTT 5 user property: a UTF-8 string pair; names may repeat and order is kept. */
public record UserProperty(String name, String value) {
  public UserProperty {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }
}
