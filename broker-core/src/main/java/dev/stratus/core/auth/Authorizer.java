package dev.stratus.core.auth;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;

/**
 * Decides what an authenticated client may do. Called on the publish path: keep it cheap. Topics
 * starting with {@code $} are refused to clients by the engine before this is asked.
 */
public interface Authorizer {

  boolean mayPublish(String clientId, String username, TopicName topic);

  /** The filter includes any {@code $share/{group}/} prefix. */
  boolean maySubscribe(String clientId, String username, TopicFilter filter);

  /**
   * Allows everything. The engine refuses to run with it unless {@code
   * BrokerConfig.developmentMode()} is true.
   */
  Authorizer ALLOW_ALL =
      new Authorizer() {
        @Override
        public boolean mayPublish(String clientId, String username, TopicName topic) {
          return true;
        }

        @Override
        public boolean maySubscribe(String clientId, String username, TopicFilter filter) {
          return true;
        }
      };
}
