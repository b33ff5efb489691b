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

  /**
   * The retained messages whose topic is {@code prefix} or lies under it ({@code prefix/…}), all of
   * them for the empty prefix, at most {@code limit} (1..1000) per page, starting after {@code
   * cursor} (null for the first page). Within one first level they come in topic order (UTF-16 code
   * unit order), so a browser can group them level by level. Expired messages may be returned, as
   * by {@link #match}. A page may hold fewer than {@code limit} items while more follow: only
   * {@link Page#next} says the end.
   */
  Page<Message> list(String prefix, String cursor, int limit);
}
