package dev.stratus.core.auth;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import java.util.Set;

/**
 * Decides what an authenticated client may do. Each method gets the client id, the principal's user
 * name (null when anonymous) and roles, as {@link AuthResult.Accepted} gave them. Called on the
 * publish path: keep it cheap. Topics starting with {@code $} are refused to publishers by the
 * engine before this is asked [MQTT-4.7.2-1].
 */
public interface Authorizer {

  boolean mayPublish(String clientId, String username, Set<String> roles, TopicName topic);

  /** The filter includes any {@code $share/{group}/} prefix. */
  boolean maySubscribe(String clientId, String username, Set<String> roles, TopicFilter filter);

  /**
   * Whether a message on {@code topic} may be delivered to this client (retained messages and
   * queued ones included). Only asked when {@link #checksReceive()} is true, so that an authorizer
   * without receive rules costs nothing on the fan-out path.
   */
  default boolean mayReceive(String clientId, String username, Set<String> roles, TopicName topic) {
    return true;
  }

  /** Whether the engine must ask {@link #mayReceive} for every outgoing PUBLISH. */
  default boolean checksReceive() {
    return false;
  }

  /**
   * Allows everything. The engine refuses to run with it unless {@code
   * BrokerConfig.developmentMode()} is true.
   */
  Authorizer ALLOW_ALL =
      new Authorizer() {
        @Override
        public boolean mayPublish(
            String clientId, String username, Set<String> roles, TopicName topic) {
          return true;
        }

        @Override
        public boolean maySubscribe(
            String clientId, String username, Set<String> roles, TopicFilter filter) {
          return true;
        }
      };
}
