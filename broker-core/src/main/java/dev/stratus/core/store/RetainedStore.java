package dev.stratus.core.store;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.util.List;

/** The retained message of each topic [MQTT-3.3.1-5]. Implementations are thread-safe. */
public interface RetainedStore {

  /** Stores {@code message} as the retained message of its topic, replacing any. */
  void put(Message message);

  /** Removes the retained message of the topic [MQTT-3.3.1-10]; true if there was one. */
  boolean remove(TopicName topic);

  /** The retained message of exactly this topic, or null. */
  Message get(TopicName topic);

  /**
   * The retained messages whose topic {@code filter} matches (wildcards included, the {@code
   * $share} prefix ignored), $-topics excluded from leading wildcards [MQTT-4.7.2-1]. Expired
   * messages may be returned; the engine skips them.
   */
  List<Message> match(TopicFilter filter);

  long count();
}
