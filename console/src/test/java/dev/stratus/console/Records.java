package dev.stratus.console;

import dev.stratus.codec.MqttVersion;
import dev.stratus.core.ConnectionId;
import dev.stratus.core.store.ConnectionRecord;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.Map;

/**
 * Builds connection records for the tests by component name, so that components other branches add
 * to {@link ConnectionRecord} (security adds roles and a bearer token) take their null/zero default
 * instead of breaking these tests' constructor calls.
 */
final class Records {
  private Records() {}

  static ConnectionRecord connected(
      String id, String clientId, String edge, String user, String remote, Instant at) {
    return build(
        Map.of(
            "id",
            new ConnectionId(id),
            "edge",
            edge,
            "remoteAddress",
            remote,
            "openedAt",
            at,
            "clientId",
            clientId,
            "version",
            MqttVersion.V5,
            "keepAliveSeconds",
            30,
            "receiveMaximum",
            10,
            "maximumPacketSize",
            Long.MAX_VALUE),
        user);
  }

  private static ConnectionRecord build(Map<String, Object> values, String user) {
    RecordComponent[] components = ConnectionRecord.class.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      String name = components[i].getName();
      Object v = name.equals("username") ? user : values.get(name);
      if (v == null && types[i] == int.class) {
        v = 0;
      } else if (v == null && types[i] == long.class) {
        v = 0L;
      } else if (v == null && types[i] == boolean.class) {
        v = false;
      }
      args[i] = v;
    }
    try {
      Constructor<ConnectionRecord> c = ConnectionRecord.class.getDeclaredConstructor(types);
      return c.newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build a ConnectionRecord", e);
    }
  }
}
